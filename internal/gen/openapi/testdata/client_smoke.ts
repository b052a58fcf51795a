// A front end's use of the TypeScript client that @hey-api/openapi-ts
// generates from openapi.json. .ci/run generates the client into ./client
// beside a copy of this file, compiles both with tsc --strict, and runs the
// result against examples/notebooks: the document must be consumable, its
// types must fit the real answers, and the calls must work.
//
// Usage: node client_smoke.js http://127.0.0.1:PORT
import { client } from './client/client.gen';
import { authCookieLogin, authJwtLogin, authJwtLogout, registerRegister, resetForgotPassword, usersCurrentUser } from './client';
import type { BearerResponse, ErrorModel, HttpValidationError, User } from './client';

declare const process: { argv: string[]; exitCode?: number };

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function main(base: string): Promise<void> {
  client.setConfig({ baseUrl: base });
  const email = `ts-client-${Date.now()}@example.com`;
  const password = 'generated-client-works-42';

  const reg = await registerRegister({ body: { email, password } });
  check(reg.response.status === 201 && reg.data !== undefined, `register: ${reg.response.status}`);
  const user: User = reg.data!;
  check(user.email === email && user.is_active && !user.is_superuser, 'register: user ' + JSON.stringify(user));

  const dup = await registerRegister({ body: { email, password } });
  const dupErr: ErrorModel | undefined = dup.response.status === 400 ? (dup.error as ErrorModel) : undefined;
  check(dupErr?.detail === 'REGISTER_USER_ALREADY_EXISTS', 'duplicate register: ' + JSON.stringify(dup.error));

  const weak = await registerRegister({ body: { email: `weak-${email}`, password: 'short' } });
  const weakDetail = (weak.error as ErrorModel | undefined)?.detail;
  check(typeof weakDetail === 'object' && weakDetail.code === 'REGISTER_INVALID_PASSWORD' && weakDetail.reason !== '',
    'weak password: ' + JSON.stringify(weak.error));

  const bad = await registerRegister({ body: { email: 'not an email', password } });
  const badErr = bad.error as HttpValidationError | undefined;
  check(bad.response.status === 422 && badErr?.detail[0]?.loc[1] === 'email', 'bad email: ' + JSON.stringify(bad.error));

  const login = await authJwtLogin({ body: { username: email, password } });
  const tokens: BearerResponse | undefined = login.data;
  check(login.response.status === 200 && tokens?.token_type === 'bearer', `login: ${login.response.status}`);

  const cookie = await authCookieLogin({ body: { username: email, password } });
  check(cookie.response.status === 204 && (cookie.response.headers.get('set-cookie') ?? '').startsWith('authkit='),
    `cookie login: ${cookie.response.status}`);

  const forgot = await resetForgotPassword({ body: { email } });
  check(forgot.response.status === 202 && forgot.data === null, `forgot password: ${forgot.response.status}`);

  const me = await usersCurrentUser({ auth: tokens!.access_token });
  check(me.response.status === 200 && me.data?.id === user.id, `me: ${me.response.status}`);

  const out = await authJwtLogout({ auth: tokens!.access_token });
  check(out.response.status === 204, `logout: ${out.response.status}`);
  const after = await usersCurrentUser({ auth: tokens!.access_token });
  check(after.response.status === 401, `me after logout: ${after.response.status}`);
  console.log('generated client: register, login (bearer and cookie), forgot password, me, logout: OK');
}

main(process.argv[2]).catch((err) => {
  console.error('generated client:', err);
  process.exitCode = 1;
});
