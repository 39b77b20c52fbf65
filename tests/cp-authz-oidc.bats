#!/usr/bin/env bats
# cp-authz's oidc provider: ID tokens minted by PyJWT and pyca/cryptography
# (tests/oidc-mint.py, an implementation independent of the code under test)
# against a JWKS committed in the plane.  Every accepted algorithm; every
# denial of issue 19 with exit 1, its specific reason and one ledger entry
# that names issuer and subject but never holds the token; role mapping by
# claim and by roles.csv; the settings and the JWKS refused as hostile
# input; a plane pinned to oidc installing and removing through cp-plane
# and make.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
MINT=$BATS_TEST_DIRNAME/oidc-mint.py

setup_file() {
	# RSA key generation is the slow part: one set of keys for the file.
	mkdir -p "$BATS_FILE_TMPDIR/keys"
	/usr/bin/python3 "$MINT" keys "$BATS_FILE_TMPDIR/keys"
}

setup() {
	K=$BATS_FILE_TMPDIR/keys
	cd "$BATS_TEST_TMPDIR"
	export HOME=$BATS_TEST_TMPDIR/home
	unset CONTROL_PLANE_ROOT CONTROL_PLANE_TOKEN CONTROL_PLANE_AUTH_PROVIDER \
		CONTROL_PLANE_SHARED_SECRET CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ALLOW_PASSTHROUGH
	mkdir -p home plane/registries plane/ledger plane/keys
	PLANE=$BATS_TEST_TMPDIR/plane
	cp "$K/jwks.json" plane/keys/jwks.json
	conf > plane/registries/plane.conf
	printf 'user,roles\nalice,admin\nbob,"auditor"\n' > plane/registries/roles.csv
}

# conf [LINE...]: the oidc settings of the tests, with LINE... after them.
conf() {
	cat <<-'EOF'
	CONTROL_PLANE_AUTH_PROVIDER=oidc
	CONTROL_PLANE_OIDC_ISSUER=https://ci.example
	CONTROL_PLANE_OIDC_AUDIENCE=cp-plane
	CONTROL_PLANE_OIDC_JWKS=keys/jwks.json
	CONTROL_PLANE_OIDC_ROLES_CLAIM=groups
	CONTROL_PLANE_OIDC_ROLE_MAP=deployers:maintainer,auditors:auditor,repo:org/app:ref:main:maintainer
	EOF
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# mint KEY ALG KID [CLAIMS_JSON]: a token by PyJWT.
mint() { /usr/bin/python3 "$MINT" token "$K" "$@"; }

ledger_n() { cat plane/ledger/*.jsonl 2> /dev/null | wc -l; }
last_event() { tail -n 1 plane/ledger/governance.jsonl; }

# allow TOKEN USER ROLES_JSON: cp-authz says yes to verify (which every role
# grants), as USER with ROLES, the issuer shown.
allow() {
	run --separate-stderr -0 cp-authz -C "$PLANE" --json --token "$1" verify
	jq -e --arg u "$2" --argjson r "$3" '.allowed == true and .user == $u and .roles == $r and
		.provider == "oidc" and .issuer == "https://ci.example" and .provider_chosen_by == "plane"' \
		<<< "$output"
}

# deny TOKEN REASON [SUBJECT]: exit 1 with REASON, one ledger entry that
# says it (with the claimed subject, default alice) and holds no part of
# the token.
deny() {
	local n sub=${3-alice} part
	n=$(ledger_n)
	run --separate-stderr -1 cp-authz -C "$PLANE" --json --token "$1" install
	jq -e --arg r "$2" '.allowed == false and .user == null and .issuer == null and
		.reason == $r and .ledgered == true' <<< "$output" ||
		{ echo "got: $output" >&2; return 1; }
	[ "$(ledger_n)" -eq $((n + 1)) ]
	last_event | jq -e --arg r "$2" --arg s "$sub" '.event_type == "authz_denied" and
		.decision == "DENIED" and .reason == $r and .metadata.provider == "oidc" and
		.metadata.authenticated == false and .metadata.action == "install" and
		(if $s == "" then .metadata.subject == null else .metadata.subject == $s end)'
	# never the token: no part of it (the empty signature of alg none aside)
	for part in ${1//./ }; do
		[ ${#part} -lt 16 ] || nope grep -qF -- "$part" plane/ledger/governance.jsonl
	done
}

nope() {
	if "$@"; then
		echo "unexpected success: $*" >&2
		return 1
	fi
}

@test "RS256, PS256, ES256 and EdDSA tokens are accepted; --json shows user, roles, provider, issuer" {
	allow "$(mint rsa RS256 rsa-1)" alice '["admin"]'
	allow "$(mint rsa PS256 rsa-1)" alice '["admin"]'
	allow "$(mint ec ES256 ec-1)" alice '["admin"]'
	allow "$(mint ed EdDSA ed-1)" alice '["admin"]'
	[ "$(ledger_n)" -eq 0 ]
	# the text form says the issuer too
	run --separate-stderr -0 cp-authz -C "$PLANE" --token "$(mint ed EdDSA ed-1)" verify
	[ "$output" = "allowed: user alice, roles admin, action verify, provider oidc, issuer https://ci.example" ]
}

@test "aud as a list holding the audience is accepted; a list without it is denied" {
	allow "$(mint rsa RS256 rsa-1 '{"aud":["other","cp-plane"]}')" alice '["admin"]'
	deny "$(mint rsa RS256 rsa-1 '{"aud":["other","cp-planes"]}')" "invalid token: wrong audience (aud)"
	deny "$(mint rsa RS256 rsa-1 '{"aud":"cp-plane2"}')" "invalid token: wrong audience (aud)"
	deny "$(mint rsa RS256 rsa-1 '{"aud":null}')" "invalid token: no aud"
	deny "$(mint rsa RS256 rsa-1 '{"aud":7}')" "invalid token: aud is neither a string nor a list"
}

@test "times: expired, not yet valid, issued in the future, no exp; the leeway (default 60 s, set by LEEWAY)" {
	deny "$(mint ec ES256 ec-1 '{"exp":{"now":-120}}')" "invalid token: expired (exp)"
	allow "$(mint ec ES256 ec-1 '{"exp":{"now":-30}}')" alice '["admin"]'
	deny "$(mint ec ES256 ec-1 '{"nbf":{"now":300}}')" "invalid token: not yet valid (nbf)"
	allow "$(mint ec ES256 ec-1 '{"nbf":{"now":30}}')" alice '["admin"]'
	deny "$(mint ec ES256 ec-1 '{"iat":{"now":300}}')" "invalid token: issued in the future (iat)"
	deny "$(mint ec ES256 ec-1 '{"exp":null}')" "invalid token: no exp (an ID token must expire)"
	deny "$(mint ec ES256 ec-1 '{"exp":"tomorrow"}')" "invalid token: exp is not a number"
	conf CONTROL_PLANE_OIDC_LEEWAY=0 > plane/registries/plane.conf
	deny "$(mint ec ES256 ec-1 '{"exp":{"now":-30}}')" "invalid token: expired (exp)"
	conf CONTROL_PLANE_OIDC_LEEWAY=600 > plane/registries/plane.conf
	allow "$(mint ec ES256 ec-1 '{"exp":{"now":-300}}')" alice '["admin"]'
}

@test "iss must be exact" {
	deny "$(mint ed EdDSA ed-1 '{"iss":"https://evil.example"}')" "invalid token: wrong issuer (iss)"
	deny "$(mint ed EdDSA ed-1 '{"iss":"https://ci.example/"}')" "invalid token: wrong issuer (iss)"
	deny "$(mint ed EdDSA ed-1 '{"iss":null}')" "invalid token: no iss"
	last_event | jq -e '.metadata.issuer == null'
	deny "$(mint ed EdDSA ed-1 '{"iss":"https://evil.example"}')" "invalid token: wrong issuer (iss)"
	last_event | jq -e '.metadata.issuer == "https://evil.example"'
}

@test "keys: unknown kid, a key from outside the JWKS, an RSA key's kid on an ES256 token, no kid among several keys" {
	deny "$(mint rsa RS256 rsa-9)" "invalid token: unknown kid (no key of the JWKS has it)"
	# signed by a key the JWKS does not hold, under the kid of one it does
	deny "$(mint rogue RS256 rsa-1)" "invalid token: the signature does not verify"
	deny "$(mint rsa2 PS256 rsa-1)" "invalid token: the signature does not verify"
	deny "$(mint ec ES256 rsa-1)" "invalid token: the key's type or curve does not fit the alg (RS256 and PS256 need RSA, ES256 EC P-256, EdDSA OKP Ed25519)"
	deny "$(mint ed EdDSA ec-1)" "invalid token: the key's type or curve does not fit the alg (RS256 and PS256 need RSA, ES256 EC P-256, EdDSA OKP Ed25519)"
	deny "$(mint rsa RS256 -)" "invalid token: no kid, and the JWKS holds more than one key"
	# a JWKS of one key: a token without kid takes it
	jq '{keys: [.keys[] | select(.kid == "ed-1") | del(.kid)]}' "$K/jwks.json" > plane/keys/jwks.json
	allow "$(mint ed EdDSA -)" alice '["admin"]'
	deny "$(mint rogue RS256 -)" "invalid token: the key's type or curve does not fit the alg (RS256 and PS256 need RSA, ES256 EC P-256, EdDSA OKP Ed25519)"
}

@test "a JWK's alg and use must agree with the token" {
	jq '.keys[0].alg = "PS256"' "$K/jwks.json" > plane/keys/jwks.json
	deny "$(mint rsa RS256 rsa-1)" "invalid token: the key's alg is not the token's"
	allow "$(mint rsa PS256 rsa-1)" alice '["admin"]'
	jq '.keys[1].use = "enc"' "$K/jwks.json" > plane/keys/jwks.json
	deny "$(mint ec ES256 ec-1)" "invalid token: the key is not for signatures (use or key_ops)"
	jq '.keys[0].key_ops = ["encrypt"]' "$K/jwks.json" > plane/keys/jwks.json
	deny "$(mint rsa RS256 rsa-1)" "invalid token: the key is not for signatures (use or key_ops)"
}

@test "algorithm confusion: alg none, HS256 keyed with the RSA public key's PEM, algorithms off the list" {
	deny "$(mint rsa none -)" "invalid token: alg none (an unsigned token) refused"
	deny "$(mint rsa none rsa-1)" "invalid token: alg none (an unsigned token) refused"
	deny "$(/usr/bin/python3 "$MINT" hs256-pem "$K" rsa-1)" \
		"invalid token: HMAC alg (HS*) refused: only the issuer's public keys verify"
	deny "$(mint rsa RS384 rsa-1)" "invalid token: alg not allowed (RS256, PS256, ES256, EdDSA)"
	deny "$(mint rsa RS512 rsa-1)" "invalid token: alg not allowed (RS256, PS256, ES256, EdDSA)"
}

@test "a payload swapped under a valid signature, a truncated token, an oversized one, malformed parts" {
	a=$(mint rsa RS256 rsa-1)
	b=$(mint rsa RS256 rsa-1 '{"sub":"mallory","groups":["deployers"]}')
	deny "$(/usr/bin/python3 "$MINT" swap "$a" "$b")" "invalid token: the signature does not verify" mallory
	deny "${a%??????????}" "invalid token: the signature does not verify"
	deny "${a%.*}" "invalid token: not a JWS in compact form (three base64url parts)" ""
	deny "${a%%.*}" "invalid token: not a JWS in compact form (three base64url parts)" ""
	deny "$a.$a" "invalid token: not a JWS in compact form (three base64url parts)" ""
	# EdDSA: a signature one byte short, and the ES256 one cut
	e=$(mint ed EdDSA ed-1)
	deny "${e%???}" "invalid token: the signature does not verify"
	e=$(mint ec ES256 ec-1)
	deny "${e%????}" "invalid token: the signature does not verify"
	# 9000 bytes of claims: too long, by --token and by --token-file
	big=$(mint rsa RS256 rsa-1 "{\"pad\":\"$(head -c 9000 /dev/zero | tr '\0' x)\"}")
	[ ${#big} -gt 8192 ]
	n=$(ledger_n)
	run --separate-stderr -1 cp-authz -C "$PLANE" --json --token "$big" install
	jq -e '.reason == "invalid token: too long"' <<< "$output"
	printf '%s\n' "$big" > big.tok
	run --separate-stderr -1 cp-authz -C "$PLANE" --json --token-file big.tok install
	jq -e '.reason == "invalid token: too long"' <<< "$output"
	[ "$(ledger_n)" -eq $((n + 2)) ]
	last_event | jq -e '.reason == "invalid token: too long" and .metadata.subject == null'
	# not base64url, not JSON, not an object, duplicate keys
	h=$(printf '{"alg":"RS256","kid":"rsa-1"}' | basenc --base64url | tr -d '=\n')
	p=$(printf '{"sub":"alice"}' | basenc --base64url | tr -d '=\n')
	deny "a!b.$p.sig" "invalid token: the header is not base64url of a JSON object" ""
	deny "$(printf '{"alg":' | basenc --base64url | tr -d '=\n').$p.sig" \
		"invalid token: the header is not base64url of a JSON object" ""
	deny "$(printf '[1]' | basenc --base64url | tr -d '=\n').$p.sig" \
		"invalid token: the header is not base64url of a JSON object" ""
	deny "$(printf '{"alg":"RS256","alg":"none"}' | basenc --base64url | tr -d '=\n').$p.sig" \
		"invalid token: the header is not base64url of a JSON object" ""
	deny "$h.$(printf '{"sub":' | basenc --base64url | tr -d '=\n').sig" \
		"invalid token: the payload is not base64url of a JSON object" ""
	deny "$h.$p=.sig" "invalid token: the payload is not base64url of a JSON object" ""
	deny "$h.$p.sig" "invalid token: the signature does not verify"
	deny "$(printf '{"alg":"RS256","kid":"rsa-1","crit":["exp"]}' | basenc --base64url | tr -d '=\n').$p.sig" \
		"invalid token: crit header (no extension is understood)"
	# no token at all
	n=$(ledger_n)
	run --separate-stderr -1 cp-authz -C "$PLANE" --json install
	jq -e '.reason == "no token"' <<< "$output"
	[ "$(ledger_n)" -eq $((n + 1)) ]
}

@test "roles: roles.csv for the user, the map over a list or a string claim, the union; an unmapped user holds none" {
	# carol is in no row of roles.csv: her roles are the map's
	allow "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":["x","deployers"]}')" carol '["maintainer"]'
	allow "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":"auditors"}')" carol '["auditor"]'
	allow "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":["auditors","deployers","auditors"]}')" carol '["auditor","maintainer"]'
	# a value holding ':' maps (the role is after the last ':')
	allow "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":"repo:org/app:ref:main"}')" carol '["maintainer"]'
	# bob: auditor by roles.csv, maintainer by the claim
	allow "$(mint ed EdDSA ed-1 '{"sub":"bob","groups":["deployers"]}')" bob '["auditor","maintainer"]'
	allow "$(mint ed EdDSA ed-1 '{"sub":"bob","groups":["auditors"]}')" bob '["auditor"]'
	# an auditor may verify but not install
	run --separate-stderr -1 cp-authz -C "$PLANE" --json --token "$(mint ed EdDSA ed-1 '{"sub":"bob"}')" install
	jq -e '.user == "bob" and .roles == ["auditor"] and .reason == "no role of the user grants the action"' <<< "$output"
	last_event | jq -e '.metadata.user == "bob" and .metadata.authenticated == true and .metadata.subject == "bob" and .metadata.issuer == "https://ci.example"'
	run --separate-stderr -1 cp-authz -C "$PLANE" --json --token "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":["other"]}')" verify
	jq -e '.user == "carol" and .roles == [] and .reason == "the user holds no role"' <<< "$output"
	deny "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":{"a":1}}')" \
		"invalid token: the roles claim is neither a string nor a list" carol
	deny "$(mint ed EdDSA ed-1 '{"sub":"carol","groups":["deployers",3]}')" \
		"invalid token: the roles claim holds a value that is not a string" carol
	# no roles file: roles from the map only
	rm plane/registries/roles.csv
	allow "$(mint ed EdDSA ed-1 '{"groups":"deployers"}')" alice '["maintainer"]'
}

@test "the user claim: sub by default, USER_CLAIM=email, missing or not a user name" {
	conf CONTROL_PLANE_OIDC_USER_CLAIM=email > plane/registries/plane.conf
	printf 'user,roles\nci@example.org,maintainer\n' > plane/registries/roles.csv
	allow "$(mint rsa RS256 rsa-1 '{"email":"ci@example.org"}')" ci@example.org '["maintainer"]'
	deny "$(mint rsa RS256 rsa-1)" "invalid token: the user claim is missing or not a string"
	conf > plane/registries/plane.conf
	deny "$(mint rsa RS256 rsa-1 '{"sub":"repo:org/app:ref:refs/heads/main"}')" \
		"invalid token: the user claim is not a valid user name (no ':', no control character, at most 256 bytes)" \
		"repo:org/app:ref:refs/heads/main"
	deny "$(mint rsa RS256 rsa-1 '{"sub":17}')" "invalid token: the user claim is missing or not a string" ""
}

@test "settings: each required one, a bad JWKS path, LEEWAY and ROLE_MAP syntax: exit 2, nothing ledgered" {
	tok=$(mint rsa RS256 rsa-1)
	check() { # WANT_STDERR_PATTERN
		run --separate-stderr -2 cp-authz -C "$PLANE" --token "$tok" install
		[[ $stderr == $1 ]] || { echo "stderr: $stderr" >&2; return 1; }
		[ "$(ledger_n)" -eq 0 ]
	}
	for k in ISSUER AUDIENCE JWKS; do
		conf | grep -v "^CONTROL_PLANE_OIDC_$k=" > plane/registries/plane.conf
		check "cp-authz: $PLANE/registries/plane.conf: auth provider oidc needs CONTROL_PLANE_OIDC_$k"
	done
	conf CONTROL_PLANE_OIDC_JWKS=/etc/passwd > plane/registries/plane.conf
	check "*CONTROL_PLANE_OIDC_JWKS must be a path relative to the plane's root*"
	conf CONTROL_PLANE_OIDC_JWKS=../jwks.json > plane/registries/plane.conf
	check "*CONTROL_PLANE_OIDC_JWKS must be a path relative to the plane's root*"
	conf CONTROL_PLANE_OIDC_JWKS=keys/none.json > plane/registries/plane.conf
	check "cp-authz: oidc: *keys/none.json*No such file or directory"
	for v in -1 x 3601 '1 2' 0x10; do
		conf "CONTROL_PLANE_OIDC_LEEWAY=$v" > plane/registries/plane.conf
		check "*CONTROL_PLANE_OIDC_LEEWAY: seconds from 0 to 3600"
	done
	conf 'CONTROL_PLANE_OIDC_ROLE_MAP=deployers' > plane/registries/plane.conf
	check "*CONTROL_PLANE_OIDC_ROLE_MAP: each entry is claim-value:role (entry 1)"
	conf 'CONTROL_PLANE_OIDC_ROLE_MAP=a:admin,b:bad role' > plane/registries/plane.conf
	check "*CONTROL_PLANE_OIDC_ROLE_MAP: entry 2: invalid role name"
	conf | grep -v ROLES_CLAIM > plane/registries/plane.conf
	check "*CONTROL_PLANE_OIDC_ROLE_MAP needs CONTROL_PLANE_OIDC_ROLES_CLAIM*"
	# the environment cannot move a plane pinned to oidc to another provider
	conf > plane/registries/plane.conf
	CONTROL_PLANE_AUTH_PROVIDER=hmac check "cp-authz: the plane pins auth provider oidc: the environment (CONTROL_PLANE_AUTH_PROVIDER=hmac) cannot select another"
	# and may name it: the settings still come from the plane
	run --separate-stderr -0 env CONTROL_PLANE_AUTH_PROVIDER=oidc cp-authz -C "$PLANE" --token "$tok" install
}

@test "the JWKS is hostile input: symlink, FIFO, oversized, not JSON, private or symmetric keys, weak RSA, a bad Ed25519 x, duplicate kids" {
	tok=$(mint rsa RS256 rsa-1)
	check() {
		run --separate-stderr -2 timeout 5 cp-authz -C "$PLANE" --token "$tok" install
		[[ $stderr == $1 ]] || { echo "stderr: $stderr" >&2; return 1; }
		[ "$(ledger_n)" -eq 0 ]
	}
	ln -sf "$K/jwks.json" plane/keys/link.json
	conf CONTROL_PLANE_OIDC_JWKS=keys/link.json > plane/registries/plane.conf
	check "cp-authz: oidc: *keys/link.json*"
	mkdir -p outside && cp "$K/jwks.json" outside/ && rm -rf plane/keys && ln -s ../outside plane/keys
	conf > plane/registries/plane.conf
	check "cp-authz: oidc: *keys/jwks.json*"
	rm plane/keys && mkdir plane/keys
	mkfifo plane/keys/jwks.json
	check "cp-authz: oidc: the JWKS (a regular file of at most 262144 bytes)*"
	rm plane/keys/jwks.json
	{ printf '{"keys":[],"pad":"'; head -c 300000 /dev/zero | tr '\0' x; printf '"}'; } > plane/keys/jwks.json
	check "cp-authz: oidc: the JWKS (a regular file of at most 262144 bytes)*"
	printf '{"keys":[' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: not JSON*"
	printf '[]' > plane/keys/jwks.json
	check 'cp-authz: oidc: keys/jwks.json: not a JWKS (an object whose "keys" is a list)'
	printf '{"keys":[]}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json holds no key"
	/usr/bin/python3 -c '
import json, sys
from cryptography.hazmat.primitives import serialization
import jwt
k = serialization.load_pem_private_key(open(sys.argv[1] + "/rsa.pem", "rb").read(), None)
print(jwt.algorithms.RSAAlgorithm.to_jwk(k))' "$K" > rsa-private.jwk
	jq -s '{keys: .}' rsa-private.jwk > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1 holds 'd': a private or symmetric key has no place in the plane*"
	printf '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1 holds 'k': a private or symmetric key*"
	/usr/bin/python3 -c '
from cryptography.hazmat.primitives.asymmetric import rsa
import jwt
print(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()))' |
		jq -s '{keys: .}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1: an RSA key of fewer than 2048 bits"
	printf '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1: an Ed25519 key whose x is not 32 bytes"
	printf '{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1 (kty EC): libcjose cannot import it*"
	printf '{"keys":[{"kid":"a"}]}' > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: key 1 has no kty"
	jq '.keys[1].kid = "rsa-1"' "$K/jwks.json" > plane/keys/jwks.json
	check "cp-authz: oidc: keys/jwks.json: keys 1 and 2 have one kid"
	# a key of a type it cannot use is kept, and verifies nothing
	jq '.keys += [{"kty":"OKP","crv":"X25519","x":"AAAA","kid":"x-1"}]' "$K/jwks.json" > plane/keys/jwks.json
	allow "$tok" alice '["admin"]'
}

# ---------------------------------------------------------------------------
# a plane pinned to oidc, through cp-plane and make

plane_oidc() {
	P=$BATS_TEST_TMPDIR/p
	rm -rf "$P"
	mkdir -p "$P"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$P/Makefile"
	cp "$K/jwks.json" "$P/registries/oidc-jwks.json"
	conf | sed 's|^CONTROL_PLANE_OIDC_JWKS=.*|CONTROL_PLANE_OIDC_JWKS=registries/oidc-jwks.json|' \
		> "$P/registries/plane.conf"
}

@test "a plane pinned to oidc: install and remove through cp-plane (--token-file) and make (CONTROL_PLANE_TOKEN); a forged token is denied and ledgered" {
	plane_oidc
	f=frameworks/FMWK-200_ledger_protocol.md
	# ci is maintainer in the example's roles.csv; the token comes from a CI job
	mint ed EdDSA ed-1 '{"sub":"ci"}' > ci.tok
	run --separate-stderr -0 cp-plane -C "$P" --json --token-file ci.tok remove PKG-FMWK-200
	jq -e '.status == "removed" and .user == "ci" and .provider == "oidc"' <<< "$output"
	[ ! -e "$P/$f" ]
	tail -n 1 "$P/ledger/governance.jsonl" | jq -e '.event_type == "package_remove" and .metadata.user == "ci" and .metadata.provider == "oidc"'
	# who vouched for the user: the issuer and subject, as a denial records them
	tail -n 1 "$P/ledger/governance.jsonl" | jq -e '.metadata.issuer == "https://ci.example" and .metadata.subject == "ci"'
	CONTROL_PLANE_TOKEN=$(mint rsa RS256 rsa-1 '{"sub":"ci"}') run -0 make --no-print-directory -C "$P" install PKG=PKG-FMWK-200
	tar -xzOf "$P/packages_store/PKG-FMWK-200.tar.gz" "$f" | cmp - "$P/$f"
	tail -n 1 "$P/ledger/governance.jsonl" | jq -e '.event_type == "package_install" and .metadata.user == "ci"'
	# carol, a maintainer by the claim's map
	CONTROL_PLANE_TOKEN=$(mint ec ES256 ec-1 '{"sub":"carol","groups":["deployers"]}') run -0 make --no-print-directory -C "$P" remove PKG=PKG-FMWK-200
	[ ! -e "$P/$f" ]
	# a forged token: denied (exit 1), one ledger entry, nothing removed
	n=$(wc -l < "$P/ledger/governance.jsonl")
	bad=$(mint rogue RS256 rsa-1 '{"sub":"ci"}')
	run --separate-stderr -1 cp-plane -C "$P" --token "$bad" install PKG-FMWK-200
	[ ! -e "$P/$f" ]
	[ "$(wc -l < "$P/ledger/governance.jsonl")" -eq $((n + 1)) ]
	tail -n 1 "$P/ledger/governance.jsonl" | jq -e '.event_type == "authz_denied" and
		.metadata.provider == "oidc" and .metadata.subject == "ci" and .metadata.issuer == "https://ci.example" and
		.reason == "invalid token: the signature does not verify"'
	nope grep -qF "${bad##*.}" "$P/ledger/governance.jsonl"
	# an expired one through make
	CONTROL_PLANE_TOKEN=$(mint ed EdDSA ed-1 '{"sub":"ci","exp":{"now":-3600}}') run -2 make --no-print-directory -C "$P" install PKG=PKG-FMWK-200
	tail -n 1 "$P/ledger/governance.jsonl" | jq -e '.reason == "invalid token: expired (exp)"'
	run -0 cp-ledger -C "$P" verify
}
