import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import useSignIn from 'react-auth-kit/hooks/useSignIn';
import { authJwtLogin, registerRegister } from './client';
import { fieldErrors, type FieldErrors } from './api';
import { Field, FormError } from './Field';
import type { UserState } from './session';

// useLogIn logs in over the JWT backend and hands the tokens to
// react-auth-kit. It decodes both as JWTs to read exp: the refresh token
// is one only when the API runs with -refresh-jwt.
function useLogIn() {
  const signIn = useSignIn<UserState>();
  return async (email: string, password: string): Promise<FieldErrors | null> => {
    const r = await authJwtLogin({ body: { username: email, password } });
    if (!r.data) return fieldErrors(r.error, r.response.status);
    try {
      signIn({
        auth: { token: r.data.access_token, type: 'Bearer' },
        refresh: r.data.refresh_token ?? null,
        userState: { email },
      });
    } catch {
      return { '': 'The API hands out opaque refresh tokens: start it with -refresh-jwt.' };
    }
    return null;
  };
}

export function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const logIn = useLogIn();
  const navigate = useNavigate();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = await logIn(email, password);
    if (errs) setErrors(errs);
    else navigate('/notebooks');
  };
  return (
    <form onSubmit={submit} id="login">
      <h1>Log in</h1>
      <Field name="username" label="Email" errors={errors} value={email} onChange={setEmail} />
      <Field name="password" label="Password" type="password" errors={errors} value={password} onChange={setPassword} />
      <FormError errors={errors} />
      <button type="submit">Log in</button> or <Link to="/register">register</Link>
    </form>
  );
}

// Register makes the account, then logs in straight away.
export function Register() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const logIn = useLogIn();
  const navigate = useNavigate();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await registerRegister({ body: { email, password, display_name: displayName || null } });
    if (!r.data) {
      setErrors(fieldErrors(r.error, r.response.status));
      return;
    }
    const errs = await logIn(email, password);
    if (errs) setErrors(errs);
    else navigate('/notebooks');
  };
  return (
    <form onSubmit={submit} id="register">
      <h1>Register</h1>
      <Field name="email" label="Email" errors={errors} value={email} onChange={setEmail} />
      <Field name="password" label="Password" type="password" errors={errors} value={password} onChange={setPassword} />
      <Field name="display_name" label="Display name" errors={errors} value={displayName} onChange={setDisplayName} />
      <FormError errors={errors} />
      <button type="submit">Register</button> or <Link to="/login">log in</Link>
    </form>
  );
}
