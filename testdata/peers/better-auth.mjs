// better-auth issuers on loopback, for authkit's JWKS tests (strategy/jwks).
//
//   node better-auth.mjs POSTGRES_URL [POSTGRES_URL ...]
//
// Starts one better-auth per URL (its search_path parameter names the
// schema it keeps its tables in), each with email and password sign-in and
// the jwt plugin: /api/auth/token hands a signed-in user an EdDSA JWT
// (issuer: its base URL, audience: "notes-api", 15 minutes), and
// /api/auth/jwks publishes the keys. With ROTATE_SECONDS set, a new key
// signs once the newest is that old (better-auth's rotationInterval).
// Prints one line per instance, "issuer <base URL>", then "ready"; runs
// until stdin closes, so that it ends with the test.
import http from "node:http";
import { betterAuth } from "better-auth";
import { jwt } from "better-auth/plugins";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import pg from "pg";

const rotate = Number(process.env.ROTATE_SECONDS || 0);

async function start(dsn) {
  const u = new URL(dsn);
  const schema = u.searchParams.get("search_path");
  u.searchParams.delete("search_path");
  const pool = new pg.Pool({ connectionString: u.toString(), options: schema ? `-c search_path=${schema}` : undefined });

  let handler = (req, res) => { res.writeHead(503); res.end(); };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${server.address().port}`;

  const options = {
    baseURL: base,
    secret: "a better-auth secret for tests only, long enough",
    database: pool,
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    plugins: [jwt({
      jwks: rotate ? { rotationInterval: rotate } : undefined,
      jwt: { issuer: base, audience: "notes-api", expirationTime: "15m" },
    })],
  };
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  handler = toNodeHandler(auth.handler);
  return { base, server, pool };
}

const instances = [];
for (const dsn of process.argv.slice(2)) {
  const inst = await start(dsn);
  instances.push(inst);
  console.log(`issuer ${inst.base}`);
}
console.log("ready");

process.stdin.resume();
process.stdin.on("end", async () => {
  for (const { server, pool } of instances) {
    server.close();
    await pool.end();
  }
  process.exit(0);
});
