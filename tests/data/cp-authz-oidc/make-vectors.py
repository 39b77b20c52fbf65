#!/usr/bin/python3
"""Write jwks.json and tokens.txt here: fixed-time ID tokens signed by PyJWT
(python3-jwt, python3-cryptography) for tests/unit/oidc_test.c, which checks
cp_oidc_verify against them at chosen times.  Keys are made afresh and only
the public ones are kept, so rerunning changes every token and key but no
expectation.  tokens.txt: one "NAME TOKEN" per line."""
import json
import os
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

here = os.path.dirname(os.path.abspath(__file__))
keys = {
    "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ec": ec.generate_private_key(ec.SECP256R1()),
    "ed": ed25519.Ed25519PrivateKey.generate(),
}
algos = {"rsa": jwt.algorithms.RSAAlgorithm, "ec": jwt.algorithms.ECAlgorithm,
         "ed": jwt.algorithms.OKPAlgorithm}
jwks = []
for name, k in keys.items():
    j = json.loads(algos[name].to_jwk(k.public_key()))
    j["kid"] = name + "-1"
    jwks.append(j)
with open(os.path.join(here, "jwks.json"), "w") as f:
    json.dump({"keys": jwks}, f, indent=1)
    f.write("\n")

base = {"iss": "https://ci.example", "aud": ["x", "cp-plane"], "sub": "alice",
        "iat": 1700000000, "exp": 1700000600, "groups": ["deployers", "other"]}
out = []
for name, key, alg in (("rs256", "rsa", "RS256"), ("ps256", "rsa", "PS256"),
                       ("es256", "ec", "ES256"), ("eddsa", "ed", "EdDSA")):
    out.append((name, jwt.encode(base, keys[key], algorithm=alg, headers={"kid": key + "-1"})))
nbf = dict(base, nbf=1700000300)
out.append(("nbf", jwt.encode(nbf, keys["ed"], algorithm="EdDSA", headers={"kid": "ed-1"})))
noexp = dict(base)
del noexp["exp"]
out.append(("noexp", jwt.encode(noexp, keys["ed"], algorithm="EdDSA", headers={"kid": "ed-1"})))
with open(os.path.join(here, "tokens.txt"), "w") as f:
    for name, tok in out:
        f.write(name + " " + tok + "\n")
