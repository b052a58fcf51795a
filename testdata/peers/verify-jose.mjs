// A Node verifier of authkit's access tokens, as a resource server in
// Node would be: jose's createRemoteJWKSet and jwtVerify.
//
//   node verify-jose.mjs JWKS_URL ISSUER AUDIENCE < tokens
//
// For each token (one a line) prints "ok <sub> <kid>" or "refused <why>".
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from "jose";
import { createInterface } from "node:readline";

const [jwksURL, issuer, audience] = process.argv.slice(2);
const keys = createRemoteJWKSet(new URL(jwksURL));
for await (const token of createInterface({ input: process.stdin })) {
  if (!token) continue;
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer, audience, algorithms: ["ES256", "EdDSA", "RS256"], requiredClaims: ["exp", "sub"],
    });
    console.log(`ok ${payload.sub} ${decodeProtectedHeader(token).kid}`);
  } catch (e) {
    console.log(`refused ${e.code || e.name}`);
  }
}
