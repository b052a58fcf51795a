// The cookie page: no react-auth-kit and no token in JavaScript. The API's
// cookie backend sets an HttpOnly cookie, which fetch sends because the
// client asks for credentials; the API allows this origin with
// -cors-origins (to read the answers) and -trusted-origins (to log in, out
// and make changes from here).
import { StrictMode, useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, createConfig } from './client/client';
import { authCookieLogin, authCookieLogout, usersCurrentUser, type User } from './client';
import { apiURL, fieldErrors, type FieldErrors } from './api';
import { Field, FormError } from './Field';
import { Notebooks } from './Notebooks';

const cookieClient = createClient(createConfig({ baseUrl: apiURL, credentials: 'include' }));

function CookieApp() {
  const [me, setMe] = useState<User | null | undefined>(undefined); // undefined: not known yet
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const creds = useMemo(() => ({ client: cookieClient }), []);
  const whoami = useCallback(async () => {
    const r = await usersCurrentUser(creds);
    setMe(r.data ?? null);
  }, [creds]);
  useEffect(() => {
    void whoami();
  }, [whoami]);

  const logIn = async (e: FormEvent) => {
    e.preventDefault();
    const r = await authCookieLogin({ ...creds, body: { username: email, password } });
    if (r.response.status !== 204) return setErrors(fieldErrors(r.error, r.response.status));
    setErrors({});
    await whoami();
  };
  const logOut = async () => {
    await authCookieLogout(creds);
    setMe(null);
  };

  if (me === undefined) return <p>Loading…</p>;
  if (me === null) {
    return (
      <form onSubmit={logIn} id="login">
        <h1>Log in (cookie)</h1>
        <Field name="username" label="Email" errors={errors} value={email} onChange={setEmail} />
        <Field name="password" label="Password" type="password" errors={errors} value={password} onChange={setPassword} />
        <FormError errors={errors} />
        <button type="submit">Log in</button>
      </form>
    );
  }
  return (
    <main>
      <p id="me">
        Logged in as <b>{me.display_name || me.email}</b> (cookie){' '}
        <button type="button" onClick={() => void logOut()}>
          Log out
        </button>
      </p>
      <Notebooks creds={creds} onSignedOut={() => setMe(null)} />
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <CookieApp />
  </StrictMode>,
);
