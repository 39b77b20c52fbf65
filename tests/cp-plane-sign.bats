#!/usr/bin/env bats
# Signed packages in the plane (issue 18): the policy in registries/plane.conf,
# trusted keys in registries/keys/*.pub, pack signing with
# CONTROL_PLANE_SIGNING_KEY, and install's checks of signify signatures,
# the Python tools' JSON .sig and .provenance.json.  Independent answers:
# signify-openbsd, and Python's cryptography (/usr/bin/python3) for the
# Python-era signatures.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CPP=$REPO/bin/cp-plane
ID=PKG-FMWK-300
F=frameworks/FMWK-300_package_standard.md
A=packages_store/PKG-FMWK-300.tar.gz

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/plane
	K=$T/keys
	export HOME=$T/home
	mkdir -p "$P" "$HOME" "$K"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT CONTROL_PLANE_SIGNING_KEY
	export CONTROL_PLANE_SHARED_SECRET=sign-test-secret-0123
	export CONTROL_PLANE_TOKEN="alice:$(printf alice | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
	"$REPO/bin/cp-sign" -G -n -p "$K/rel.pub" -s "$K/rel.sec"
	"$REPO/bin/cp-sign" -G -n -p "$K/evil.pub" -s "$K/evil.sec"
	mkdir -p "$P/registries/keys"
	cp "$K/rel.pub" "$P/registries/keys/"
	cd "$P"
}

cpp() { "$CPP" -C "$P" "$@"; }
sha() { sha256sum < "$1" | cut -c1-64; }
last() { tail -n 1 ledger/governance.jsonl; }
require() { echo "CONTROL_PLANE_SIGNATURES=required" >> registries/plane.conf; }
# a new version of the package, packed (signed when CONTROL_PLANE_SIGNING_KEY is set)
repack() { echo "edit $RANDOM" >> "$F"; cpp -q pack "$F" $ID; }

# The 32-byte Ed25519 seed of a signify secret key, as hex (its layout: Ed BK rounds salt checksum keynum seckey).
seed_hex() {
	/usr/bin/python3 -c 'import base64, sys
raw = base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
print(raw[40:72].hex())' "$1"
}

# A Python-era JSON .sig: algorithm ed25519 (over the archive's hex digest, with the seed of signify key $1) or hmac-sha256.
python_sig() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import base64, hashlib, hmac, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
alg, seed, digest = sys.argv[1], sys.argv[2], sys.argv[3]
if alg == "ed25519":
    sig = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).sign(digest.encode())
else:
    sig = hmac.new(b"shared", digest.encode(), hashlib.sha256).digest()
print(json.dumps({"version": "1.0", "algorithm": alg, "archive_hash": digest, "signer": "py",
                  "timestamp": "2026-01-31T00:00:00+00:00", "signature": base64.b64encode(sig).decode()}, indent=2))
EOF
}

@test "required: an unsigned archive is refused, ledgered; a signed one installs and signify-openbsd verifies it" {
	require
	repack
	[ ! -e $A.sig ]
	n=$(wc -l < ledger/governance.jsonl)
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"no signature, and the plane requires signatures"* ]]
	[ "$(wc -l < ledger/governance.jsonl)" -eq $((n + 1)) ]
	last | jq -e '.decision == "REFUSED"'
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec run -0 cpp pack "$F" $ID
	signify-openbsd -V -q -p "$K/rel.pub" -m $A
	[ "$(python3 -c 'import csv; print([r["signature"] for r in csv.DictReader(open("registries/packages_registry.csv", newline="")) if r["id"] == "PKG-FMWK-300"][0])')" = "$A.sig" ]
	last | jq -e '.event_type == "package_pack" and .metadata.signed == true'
	run -0 cpp update $ID
	last | jq -e '.metadata.signature == {"policy": "required", "kind": "signify", "key": "rel", "provenance": "none", "attestation": "verified"}'
	[ "$(tar -xzOf $A $F | sha256sum)" = "$(sha256sum < $F)" ]
	"$REPO/bin/cp-ledger" verify
}

@test "a signature by a key the plane does not trust, or of other bytes, is refused whatever the policy" {
	repack
	cpp -q update $ID
	repack
	signify-openbsd -S -s "$K/evil.sec" -m $A
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"a key the plane does not trust"* ]]
	# the trusted key's signature of another archive
	cp $A "$T/new.tgz"
	git_old=$(sha $A)
	signify-openbsd -S -s "$K/rel.sec" -m "$T/new.tgz" -x $A.sig
	printf 'x' >> "$T/new.tgz"
	signify-openbsd -S -s "$K/rel.sec" -m "$T/new.tgz" -x $A.sig
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"does not verify with registries/keys/rel.pub"* ]]
	[ "$(sha $A)" = "$git_old" ]
	# and a good one installs, without the policy asking for it
	signify-openbsd -S -s "$K/rel.sec" -m $A
	run -0 cpp update $ID
	last | jq -e '.metadata.signature.kind == "signify" and .metadata.signature.policy == "optional"'
}

@test "an archive swapped after it was signed: refused (digest first), never installed" {
	require
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec repack
	cp $A "$T/good.tgz"
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-9] ^= 1; open(sys.argv[1], "wb").write(b)' $A
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"digest mismatch"* ]]
	cp "$T/good.tgz" $A
	run -0 cpp update $ID
}

@test "pack: the signing key is refused inside the plane and when others can read it; a repack without a key drops the old signature" {
	cp "$K/rel.sec" "$P/rel.sec"
	CONTROL_PLANE_SIGNING_KEY=$P/rel.sec run --separate-stderr -2 cpp pack "$F" $ID
	[[ "$stderr" == *"inside the plane"* ]]
	rm "$P/rel.sec"
	chmod 640 "$K/rel.sec"
	echo more >> "$F"
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec run --separate-stderr -2 cpp pack "$F" $ID
	[[ "$stderr" == *"chmod 600"* ]]
	chmod 600 "$K/rel.sec"
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec run -0 cpp pack "$F" $ID
	[ -e $A.sig ]
	# signing an up-to-date archive that has no signature yet is not "up to date"
	rm $A.sig
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec run -0 cpp pack "$F" $ID
	signify-openbsd -V -q -p "$K/rel.pub" -m $A
	echo again >> "$F"
	run -0 cpp pack "$F" $ID
	[ ! -e $A.sig ]
	[ "$(python3 -c 'import csv; print([r["signature"] for r in csv.DictReader(open("registries/packages_registry.csv", newline="")) if r["id"] == "PKG-FMWK-300"][0])')" = "" ]
	# no key material in the plane, the ledger or the output
	run -1 grep -rqF "$(sed -n 2p "$K/rel.sec")" "$P"
}

@test "Python-era .sig: Ed25519 over the digest by a trusted key verifies; hmac is no signature; another archive's hash is refused" {
	repack
	cpp -q update $ID
	repack
	d=$(sha $A)
	python_sig ed25519 "$(seed_hex "$K/rel.sec")" "$d" > $A.sig
	run -0 cpp update $ID
	last | jq -e '.metadata.signature.kind == "python-ed25519" and .metadata.signature.key == "rel"'
	repack
	d=$(sha $A)
	python_sig ed25519 "$(seed_hex "$K/evil.sec")" "$d" > $A.sig
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"verifies with no key"* ]]
	python_sig hmac-sha256 x "$(printf '%064d' 0)" > $A.sig
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"not this archive's"* ]]
	python_sig hmac-sha256 x "$d" > $A.sig
	run -0 cpp update $ID
	last | jq -e '.metadata.signature.kind == "python-hmac" and .metadata.signature.key == null'
	# with the policy required, hmac is refused
	require
	repack
	python_sig hmac-sha256 x "$(sha $A)" > $A.sig
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"proves no signer"* ]]
}

@test "Python-era .provenance.json: subject.sha256 must be the archive's" {
	repack
	cpp -q update $ID
	repack
	printf '{"version": "slsa-0.1-lite", "subject": {"name": "x", "sha256": "%064d"}}\n' 0 > $A.provenance.json
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"subject.sha256"*"is not this archive's"* ]]
	printf '{"version": "slsa-0.1-lite", "subject": {"name": "x", "sha256": "%s"}}\n' "$(sha $A)" > $A.provenance.json
	run -0 cpp update $ID
	last | jq -e '.metadata.signature.provenance == "verified"'
}

@test "a trusted key that does not parse, or a bad policy value, is an error (2), not skipped" {
	repack
	echo 'untrusted comment: x' > registries/keys/broken.pub
	run --separate-stderr -2 cpp update $ID
	[[ "$stderr" == *"registries/keys/broken.pub"* ]]
	rm registries/keys/broken.pub
	echo "CONTROL_PLANE_SIGNATURES=maybe" >> registries/plane.conf
	run --separate-stderr -2 cpp update $ID
	[[ "$stderr" == *"required or optional"* ]]
}

@test "pack with a key writes an in-toto attestation: a DSSE envelope that Python's cryptography verifies, its statement naming the archive; install checks it" {
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec repack
	[ -e $A.intoto.jsonl ]
	/usr/bin/python3 - "$K/rel.pub" $A <<'EOF2'
import base64, csv, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
pub = base64.b64decode(open(sys.argv[1]).read().splitlines()[1])
keynum, key = pub[2:10], pub[10:42]
env_bytes = open(sys.argv[2] + ".intoto.jsonl", "rb").read()
env = json.loads(env_bytes)
body = base64.b64decode(env["payload"])
t = env["payloadType"].encode()
assert t == b"application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
[s] = env["signatures"]
assert s["keyid"] == keynum.hex()
Ed25519PublicKey.from_public_bytes(key).verify(base64.b64decode(s["sig"]), pae)
st = json.loads(body)
archive = open(sys.argv[2], "rb").read()
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["subject"] == [{"name": "PKG-FMWK-300.tar.gz", "digest": {"sha256": hashlib.sha256(archive).hexdigest()}}]
assert st["predicateType"] == "https://slsa.dev/provenance/v1"
deps = st["predicate"]["buildDefinition"]["resolvedDependencies"]
f = "frameworks/FMWK-300_package_standard.md"
assert deps == [{"name": f, "digest": {"sha256": hashlib.sha256(open(f, "rb").read()).hexdigest()}}], deps
assert "/" + "tmp" not in body.decode()
row = [r for r in csv.DictReader(open("registries/packages_registry.csv", newline="")) if r["id"] == "PKG-FMWK-300"][0]
assert row["attestation_path"] == sys.argv[2] + ".intoto.jsonl"
assert row["attestation_digest"] == hashlib.sha256(env_bytes).hexdigest()
EOF2
	run -0 cpp update $ID
	last | jq -e '.metadata.signature.attestation == "verified"'
	# cp-sign checks an envelope too: the key, and the message's digest among the subjects
	run -0 "$REPO/bin/cp-sign" -V -p "$K/rel.pub" -m $A -x $A.intoto.jsonl
	[ "$output" = "Attestation Verified" ]
	run -1 "$REPO/bin/cp-sign" -V -p "$K/evil.pub" -m $A -x $A.intoto.jsonl
	run -1 "$REPO/bin/cp-sign" -V -p "$K/rel.pub" -m "$F" -x $A.intoto.jsonl
	# an attestation of another archive (or by an untrusted key) is refused
	cp $A.intoto.jsonl "$T/att"
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec repack
	cp "$T/att" $A.intoto.jsonl
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"no subject of its statement has this archive's sha256"* ]]
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec cpp -q pack "$F" $ID 2>/dev/null || true
	rm -f $A.intoto.jsonl
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec repack
	python3 -c 'import json, sys
p = sys.argv[1]; e = json.loads(open(p).read()); e["signatures"][0]["keyid"] = "00" * 8
open(p, "w").write(json.dumps(e) + "\n")' $A.intoto.jsonl
	run --separate-stderr -1 cpp update $ID
	[[ "$stderr" == *"no signature by a trusted key"* ]]
}

@test "make validate checks an active tar row's attestation file against attestation_digest (as validate_packages.py)" {
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > Makefile
	CONTROL_PLANE_SIGNING_KEY=$K/rel.sec repack
	make --no-print-directory validate
	echo ' ' >> $A.intoto.jsonl
	run --separate-stderr -2 make --no-print-directory validate
	[[ "$output" == *"PKG-FMWK-300"*"attestation_digest mismatch"* ]]
	rm $A.intoto.jsonl
	run --separate-stderr -0 make --no-print-directory validate
	[[ "$output" == *"WARN"*"attestation_path"*"does not exist"* ]]
	# without --root no file is read
	echo x > $A.intoto.jsonl
	"$REPO/bin/cp-regrow" -f registries/packages_registry.csv validate
}
