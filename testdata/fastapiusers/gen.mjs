// gen.mjs makes users.json: FastAPI Users accounts whose password hashes
// come from implementations independent of authkit's Go code, in the exact
// forms FastAPI Users stores:
//
//   - argon2id as argon2-cffi (pwdlib's Argon2Hasher) writes it with its
//     defaults: $argon2id$v=19$m=65536,t=3,p=4$<16-byte salt>$<32-byte hash>,
//     base64 without padding, parameters in the order m,t,p;
//   - bcrypt as pwdlib's BcryptHasher (and passlib before it) writes it:
//     $2b$12$...
//
// Each argon2id hash is computed by the npm package "argon2" (node-argon2,
// which wraps the reference C implementation, as argon2-cffi does) as raw
// bytes, encoded here the way the reference encoder (and so argon2-cffi)
// does, and checked against a second implementation, "hash-wasm", which
// must produce the very same string from the same salt. Each bcrypt hash is
// made by "bcryptjs" and checked by hash-wasm's bcryptVerify.
//
// Usage, in an empty directory (node_modules is not committed):
//
//   npm install argon2@0.45.1 bcryptjs@3.0.3 hash-wasm@4.13.0
//   node gen.mjs > users.json
//
// Salts are random: every run gives new hashes of the same passwords.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const argon2 = require("argon2");
const bcrypt = require("bcryptjs");
const hashwasm = require("hash-wasm");

// argon2-cffi's PasswordHasher() defaults (RFC 9106 low-memory profile),
// which pwdlib's Argon2Hasher() and so FastAPI Users use.
const cffi = { timeCost: 3, memoryCost: 65536, parallelism: 4, hashLength: 32, saltLength: 16 };

// version reads an installed package's version (not every package exports
// its package.json).
const version = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url))).version;

const b64 = (buf) => Buffer.from(buf).toString("base64").replace(/=+$/, "");

async function argon2cffi(password) {
  const salt = randomBytes(cffi.saltLength);
  const raw = await argon2.hash(password, {
    type: argon2.argon2id, version: 0x13, raw: true, salt,
    timeCost: cffi.timeCost, memoryCost: cffi.memoryCost,
    parallelism: cffi.parallelism, hashLength: cffi.hashLength,
  });
  const encoded = `$argon2id$v=19$m=${cffi.memoryCost},t=${cffi.timeCost},p=${cffi.parallelism}$${b64(salt)}$${b64(raw)}`;
  const other = await hashwasm.argon2id({
    password, salt, iterations: cffi.timeCost, memorySize: cffi.memoryCost,
    parallelism: cffi.parallelism, hashLength: cffi.hashLength, outputType: "encoded",
  });
  if (other !== encoded) throw new Error(`argon2: node-argon2 and hash-wasm disagree:\n${encoded}\n${other}`);
  if (!(await argon2.verify(encoded, password))) throw new Error("argon2: node-argon2 does not verify its hash");
  return encoded;
}

async function bcrypt2b12(password) {
  const encoded = bcrypt.hashSync(password, 12);
  if (!encoded.startsWith("$2b$12$")) throw new Error(`bcrypt: unexpected prefix: ${encoded}`);
  if (!(await hashwasm.bcryptVerify({ password, hash: encoded }))) throw new Error("bcrypt: hash-wasm does not verify bcryptjs's hash");
  return encoded;
}

// The accounts. Passwords are JavaScript strings, hashed as UTF-8, as
// Python's str is by argon2-cffi and pwdlib.
const users = [
  { id: "5f0b6a2e-3c1d-4e8f-9a7b-1c2d3e4f5a6b", email: "King.Arthur@Camelot.bt", password: "Excalibur from the lake", kind: "argon2",
    is_active: true, is_superuser: false, is_verified: true,
    note: "argon2-cffi defaults; mixed-case email" },
  { id: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", email: "Lancelot@Camelot.BT", password: "Joyous Gard 1485", kind: "bcrypt",
    is_active: true, is_superuser: true, is_verified: true,
    note: "bcrypt $2b$12$ (passlib/pwdlib); superuser" },
  { id: "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f", email: "mordred@camelot.bt", password: "Camlann is coming", kind: "argon2",
    is_active: false, is_superuser: false, is_verified: false,
    note: "inactive" },
  { id: "2e3f4a5b-6c7d-4e8f-a0b1-c2d3e4f5a6b7", email: "ÉLAINE@Astolat.bt", password: "Lily maid of Astolat", kind: "argon2",
    is_active: true, is_superuser: false, is_verified: false,
    note: "non-ASCII email, which SQLite's lower() does not fold" },
  { id: "4a5b6c7d-8e9f-4a0b-b1c2-d3e4f5a6b7c8", email: "percival@corbenic.bt", password: "ｇｒａｉｌ ｃａｓｔｌｅ", kind: "argon2",
    is_active: true, is_superuser: false, is_verified: true,
    note: "password in fullwidth letters, which NFKC changes: hashed as typed, as FastAPI Users does" },
];

for (const u of users) {
  u.hashed_password = u.kind === "argon2" ? await argon2cffi(u.password) : await bcrypt2b12(u.password);
}
process.stdout.write(JSON.stringify({
  generator: "testdata/fastapiusers/gen.mjs",
  packages: {
    argon2: version("argon2"),
    bcryptjs: version("bcryptjs"),
    "hash-wasm": version("hash-wasm"),
  },
  node: process.version,
  users,
}, null, 2) + "\n");
