import { useCallback, useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useNavigate } from 'react-router';
import AuthProvider from 'react-auth-kit';
import AuthOutlet from '@auth-kit/react-router/AuthOutlet';
import useAuthHeader from 'react-auth-kit/hooks/useAuthHeader';
import useSignOut from 'react-auth-kit/hooks/useSignOut';
import { authJwtLogout, usersCurrentUser, type User } from './client';
import { bearer } from './api';
import { store, useSignedIn } from './session';
import { Login, Register } from './Login';
import { Notebooks } from './Notebooks';

// Home is the protected page: the user and their notebooks, over the
// bearer token react-auth-kit keeps (and refreshes).
function Home() {
  const header = useAuthHeader(); // "Bearer <token>", the current one
  const signOut = useSignOut();
  const navigate = useNavigate();
  const token = header?.replace(/^Bearer /, '') ?? '';
  const creds = useMemo(() => ({ auth: bearer(token) }), [token]);
  const [me, setMe] = useState<User | null>(null);
  const gone = useCallback(() => {
    signOut();
    navigate('/login');
  }, [signOut, navigate]);
  useEffect(() => {
    // Only a 401 ends the session: a fetch cut short (the page unloading)
    // must not sign out, which would clear the tokens for the next page.
    void usersCurrentUser(creds).then((r) => {
      if (r.data) setMe(r.data);
      else if (r.response?.status === 401) gone();
    });
  }, [creds, gone]);
  const logOut = async () => {
    await authJwtLogout(creds); // the token stops working server-side too
    gone();
  };
  return (
    <main>
      <p id="me">
        Logged in as <b>{me?.display_name || me?.email}</b>{' '}
        <button type="button" onClick={() => void logOut()}>
          Log out
        </button>
      </p>
      <Notebooks creds={creds} onSignedOut={gone} />
    </main>
  );
}

export function App() {
  useSignedIn(); // so that AuthProvider starts refreshing at sign-in
  return (
    <AuthProvider store={store}>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route path="/register" element={<Register />} />
          <Route element={<AuthOutlet fallbackPath="/login" />}>
            <Route path="/notebooks" element={<Home />} />
          </Route>
          <Route path="*" element={<Navigate to="/notebooks" replace />} />
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}
