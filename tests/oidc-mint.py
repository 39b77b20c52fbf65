#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Keys, JWKS and ID tokens for tests/cp-authz-oidc.bats, made by PyJWT and
pyca/cryptography (Debian's python3-jwt, python3-cryptography): an
implementation independent of the code under test.

  oidc-mint.py keys DIR
      private keys DIR/{rsa,ec,ed,rogue,rsa2}.pem and DIR/jwks.json holding the
      public keys of rsa (kid "rsa-1"), ec ("ec-1") and ed ("ed-1")
  oidc-mint.py token DIR KEY ALG KID [CLAIMS_JSON]
      an ID token signed by DIR/KEY.pem with ALG (RS256, PS256, ES256, EdDSA,
      none), header kid KID ("-": no kid).  The claims: iss
      https://ci.example, aud cp-plane, sub alice, iat now, exp now+600, with
      CLAIMS_JSON merged over them (a value null removes the claim, a value
      {"now": N} is the time now + N)
  oidc-mint.py hs256-pem DIR KID [CLAIMS_JSON]
      the algorithm-confusion forgery: HS256 with DIR/rsa.pem's public key
      PEM as the HMAC secret
  oidc-mint.py swap TOKEN_A TOKEN_B
      TOKEN_A's header and signature around TOKEN_B's payload
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load(d, name):
    with open(os.path.join(d, name + ".pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def keys(d):
    made = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rogue": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "ed": ed25519.Ed25519PrivateKey.generate(),
    }
    for name, k in made.items():
        with open(os.path.join(d, name + ".pem"), "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    jwks = []
    for name, kid, algo in (("rsa", "rsa-1", jwt.algorithms.RSAAlgorithm),
                            ("ec", "ec-1", jwt.algorithms.ECAlgorithm),
                            ("ed", "ed-1", jwt.algorithms.OKPAlgorithm)):
        jwk = json.loads(algo.to_jwk(made[name].public_key()))
        jwk["kid"] = kid
        jwk["use"] = "sig"
        jwks.append(jwk)
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": jwks}, f, indent=1)


def claims(extra):
    now = int(time.time())
    c = {"iss": "https://ci.example", "aud": "cp-plane", "sub": "alice",
         "iat": now, "exp": now + 600}
    for k, v in json.loads(extra or "{}").items():
        if v is None:
            c.pop(k, None)
        elif isinstance(v, dict) and "now" in v:
            c[k] = now + v["now"]
        else:
            c[k] = v
    return c


def token(d, key, alg, kid, extra):
    headers = {} if kid == "-" else {"kid": kid}
    if alg == "none":
        return jwt.encode(claims(extra), None, algorithm="none", headers=headers)
    return jwt.encode(claims(extra), load(d, key), algorithm=alg, headers=headers)


def hs256_pem(d, kid, extra):
    pem = load(d, "rsa").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims(extra)).encode())
    mac = hmac.new(pem, (head + "." + body).encode(), hashlib.sha256).digest()
    return head + "." + body + "." + b64(mac)


def main(argv):
    if argv[1] == "keys":
        keys(argv[2])
        return
    if argv[1] == "token":
        print(token(argv[2], argv[3], argv[4], argv[5], argv[6] if len(argv) > 6 else None))
    elif argv[1] == "hs256-pem":
        print(hs256_pem(argv[2], argv[3], argv[4] if len(argv) > 4 else None))
    elif argv[1] == "swap":
        a, b = argv[2].split("."), argv[3].split(".")
        print(a[0] + "." + b[1] + "." + a[2])
    else:
        sys.exit("unknown command " + argv[1])


if __name__ == "__main__":
    main(sys.argv)
