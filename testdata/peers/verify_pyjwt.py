"""A Python verifier of authkit's access tokens, as a resource server in
Python would be: PyJWT's PyJWKClient and jwt.decode.

    /usr/bin/python3 verify_pyjwt.py JWKS_URL ISSUER AUDIENCE < tokens

For each token (one a line) prints "ok <sub> <kid>" or "refused <why>".
"""
import sys

import jwt

jwks_url, issuer, audience = sys.argv[1:4]
client = jwt.PyJWKClient(jwks_url)
for line in sys.stdin:
    token = line.strip()
    if not token:
        continue
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key.key, algorithms=["ES256", "EdDSA", "RS256"],
            issuer=issuer, audience=audience, options={"require": ["exp", "iss", "aud", "sub"]},
        )
        print("ok", claims["sub"], jwt.get_unverified_header(token)["kid"], flush=True)
    except Exception as e:  # every refusal is an answer, not a crash
        print("refused", type(e).__name__, flush=True)
