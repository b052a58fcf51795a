// The session, kept by react-auth-kit: the access token, and the refresh
// token that createRefresh exchanges before the access token expires.
import { useSyncExternalStore } from 'react';
import createStore from 'react-auth-kit/createStore';
import createRefresh from 'react-auth-kit/createRefresh';
import { authJwtRefresh } from './client';

export type UserState = { email: string };

// Minutes between refreshes; the access token lives an hour.
const interval = Number(import.meta.env.VITE_REFRESH_MINUTES ?? 10);

const refresh = createRefresh<UserState>({
  interval,
  refreshApiCallback: async ({ refreshToken, authUserState }) => {
    if (!refreshToken) return { isSuccess: false, newAuthToken: '' };
    const r = await authJwtRefresh({ body: { refresh_token: refreshToken } });
    if (!r.data) return { isSuccess: false, newAuthToken: '' };
    return {
      isSuccess: true,
      newAuthToken: r.data.access_token,
      newAuthTokenType: 'Bearer',
      // A JWT (the API's -refresh-jwt): react-auth-kit reads its exp.
      newRefreshToken: r.data.refresh_token,
      newAuthUserState: authUserState,
    };
  },
});

export const store = createStore<UserState>({
  authName: '_auth',
  authType: 'localstorage',
  refresh,
  debug: import.meta.env.VITE_AUTH_DEBUG === '1',
});

// react-auth-kit 3.1.3's AuthProvider starts the refresh interval only when
// it renders signed in, and nothing makes it render again at sign-in: a
// session begun on this page would never be refreshed until a reload.
// useSignedIn re-renders whoever renders the AuthProvider when the
// session starts or ends.
const listeners = new Set<() => void>();
// Deferred: react-auth-kit also signs out while AuthOutlet renders.
store.tokenObject.subscribe(() => queueMicrotask(() => listeners.forEach((l) => l())));

export function useSignedIn(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    () => store.tokenObject.value.isSignIn,
  );
}
