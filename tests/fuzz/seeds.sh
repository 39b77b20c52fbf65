#!/usr/bin/env bash
# tests/fuzz/seeds.sh [NAME...]: write the raw seed inputs of each harness into
# build/fuzz/seed/NAME/ from tests/data/, the plane's own files and the shared
# vectors; `make fuzz-merge FUZZ=NAME` (after copying them into build/fuzz/corpus/NAME)
# minimises them into tests/fuzz/corpus/NAME.  Run from the repository's top.
# SPDX-License-Identifier: ISC
set -eu
out=build/fuzz/seed
n=0
# seed NAME FILE [PREFIX-BYTE]: one seed, optionally after one selector byte.
seed() {
	mkdir -p "$out/$1"
	n=$((n + 1))
	if [ $# -ge 3 ]; then
		{ printf "\\x$3"; cat "$2"; } > "$out/$1/s$n"
	else
		cat "$2" > "$out/$1/s$n"
	fi
}
# text NAME STRING: a seed written out here.
text() {
	mkdir -p "$out/$1"
	n=$((n + 1))
	printf '%b' "$2" > "$out/$1/s$n"
}
names=" $* "
on() { [ "$names" = "  " ] || [[ "$names" == *" $1 "* ]]; }

if on csv; then
	for f in tests/data/cp-regrow/*.csv tests/data/cp-authz/roles.csv registries/*.csv \
	    $(find tests/data/python-plane tests/data/cp-plane-adopt -name '*.csv'); do
		for b in 00 01 02 04; do seed csv "$f" $b; done
	done
fi
if on conf; then
	text conf 'CONTROL_PLANE_SHARED_SECRET=s3cret\n'
	text conf '# comment\nexport A="quoted # not a comment"\r\nB = \x27single\x27\n\nC=x#y\n'
	text conf 'CONTROL_PLANE_AUTH_PROVIDER=hmac\nX=1\nX=2\n'
	text conf 'BAD LINE\n'
	text conf '  export   K_2=  "unterminated\n'
fi
if on roles; then
	seed roles tests/data/cp-authz/roles.csv
	text roles 'user,roles\r\nalice,"admin,reader"\r\nbob,maintainer\r\n'
	text roles '\xef\xbb\xbfuser,roles,extra\nc\xc3\xa9sar,auditor,x\n'
fi
if on sumline; then
	while IFS= read -r line; do text sumline "$line"; done < <(
		cd tests/data && find . -type f | head -20 | xargs sha256sum)
	text sumline '\\\\0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  a\\\\nb\\\\\\\\c'
	text sumline '0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef *bin'
	text sumline 'SHA256 (a (b) = c) = 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
fi
if on semver; then
	text semver '1.0.0 1.0.0-alpha ^1.0.0\n1.0.0-alpha.1 1.0.0-alpha.beta ~1.0.0\n'
	text semver '1.2.3+build.5 1.2.3 >=1.2.3\n0.0.1 0.0.2 ==0.0.1\n10.20.30 10.20.3 10.20.30\n'
	text semver 'A B C\nB C\nC A\nD D\nE F\n'
	text semver '1.0.0-0.3.7 1.0.0-x.7.z.92 ^0.0.1\n18446744073709551615.0.0 1.0.0-rc.1+b ~18446744073709551615.0.0\n'
	# The registries' ids and deps, as lines "id dep dep".
	for f in tests/data/cp-regrow/chain.csv tests/data/cp-regrow/diamond.csv tests/data/cp-regrow/bad-cycle.csv; do
		python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    print(r["id"], " ".join(d.strip() for d in (r.get("deps") or "").split(",") if d.strip()))' "$f" \
		    > "$out/semver.tmp" && seed semver "$out/semver.tmp"
	done
	rm -f "$out/semver.tmp"
fi
if on jws; then
	# the oidc vectors: each token alone (checked against the committed keys), and after the JWKS
	while read -r _ tok; do
		text jws "\\x00$tok"
		mkdir -p "$out/jws"; n=$((n + 1))
		{ printf '\001'; cat tests/data/cp-authz-oidc/jwks.json; printf '\000%s' "$tok"; } > "$out/jws/s$n"
	done < <(grep -v '^#' tests/data/cp-authz-oidc/tokens.txt)
fi
if on token; then
	while read -r _ _ tok; do text token "$tok"; done < <(grep -v '^#' tests/data/tokens-cp2.txt)
	text token 'alice:765542af1f1d587bc60c218dca532a258f56b9c21a427cc819de2a1ff6d3e146'
	text token 'no colon'
	text token 'c\xc3\xa9sar:00'
fi
if on ledger; then
	while IFS= read -r line; do text ledger "$line"; done < <(
		cat tests/data/cp-ledger/*.jsonl tests/data/ledger-cp2.jsonl ledger/*.jsonl | head -400 |
		    sed 's/\\/\\\\/g')
	text ledger '{"a":1e400,"b":NaN,"c":-Infinity,"d":123456789012345678901234567890,"e":"\\\\u0000\\\\ud83d\\\\ude00"}'
	text ledger '[1.0,1e-7,-0.0,1E+2,{"k":[]}]'
	text ledger '{"a":1,"a":2}'
	text ledger '{"x":"\\\\udc00"}'
fi
V=${CP_VECTORS:-/work/shared/vectors}/signing
if on checkpoint; then
	seed checkpoint "$V/checkpoint.note"
	text checkpoint 'example.org/cp-vector\n3\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n'
	text checkpoint 'o\n18446744073709551615\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next\n\n\xe2\x80\x94 k AAAAAAAA\n\xe2\x80\x94 k2 AAAAAAAAAAA=\n'
fi
if on signify; then
	for f in tests/data/cp-sign/*.pub "$V"/*.pub; do seed signify "$f" 00; done
	for f in tests/data/cp-sign/*.sec "$V"/*.sec; do seed signify "$f" 01; done
	for f in tests/data/cp-sign/*.sig "$V"/*.sig; do seed signify "$f" 02; done
fi
if on dsse; then
	seed dsse "$V/envelope.json"
	# The same statement signed by the vector's key under its signify keyid.
	mkdir -p "$out/dsse"
	/usr/bin/python3 - "$V/envelope.json" > "$out/dsse/signed" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
env = json.load(open(sys.argv[1]))
t, body = env["payloadType"], base64.b64decode(env["payload"])
k = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
pae = b"DSSEv1 %d %s %d " % (len(t), t.encode(), len(body)) + body
sig = base64.b64encode(k.sign(pae)).decode()
print(json.dumps({"payload": env["payload"], "payloadType": t,
    "signatures": [{"keyid": "0123456789abcdef", "sig": sig}]}))
PY
fi
if on tar || on gzin; then
	# cp-tar's hostile corpus (tests/cp-tar.bats makes the same), the planes' packs.
	mkdir -p "$out/tarsrc/outside" "$out/tarsrc/x/sub" "$out/tarsrc/corpus"
	python3 tests/cp-tar-corpus.py "$out/tarsrc/corpus" "$out/tarsrc/outside" >/dev/null
	echo hello > "$out/tarsrc/x/sub/file"
	ln -sf file "$out/tarsrc/x/sub/link"
	ln -f "$out/tarsrc/x/sub/file" "$out/tarsrc/x/hard"
	long=$(printf 'd%.0s' $(seq 120))/$(printf 'n%.0s' $(seq 120))
	mkdir -p "$out/tarsrc/x/${long%/*}" && echo long > "$out/tarsrc/x/$long"
	for fmt in gnu pax ustar; do
		tar --format=$fmt -C "$out/tarsrc" -czf "$out/tarsrc/corpus/own-$fmt.tar.gz" x 2>/dev/null || true
	done
	for f in "$out"/tarsrc/corpus/* $(find tests/data -name '*.tar.gz' | head -3); do
		if on gzin && [ "$(stat -c %s "$f")" -lt 100000 ]; then seed gzin "$f"; fi
		if on tar && gzip -dc "$f" > "$out/tar.tmp" 2>/dev/null &&
		    [ "$(stat -c %s "$out/tar.tmp")" -lt 200000 ]; then
			for b in 00 01 02; do seed tar "$out/tar.tmp" $b; done
		fi
	done
	rm -rf "$out/tarsrc" "$out/tar.tmp"
fi
if on manifest; then
	for f in $(find tests/data -name MANIFEST.json); do seed manifest "$f"; done
	text manifest '{"version": "2", "checksums": {"a": {"sha256": "x", "size": 1}, "b/c": {}, "gone": {}, "../x": {}, "MANIFEST.json": [1]}, "extra": {"k": [1, 2.5, null]}, "merkle_scheme": "cp2"}'
	text manifest '{"checksums": [], "version": 3}'
	text manifest '[]'
fi
if on receipt; then
	# Two bytes of ID.sha256's length, ID.sha256, ID.info.
	mkdir -p "$out/receipt"
	python3 - "$out/receipt" <<'PY'
import struct, sys
d = "0123456789abcdef" * 4
cases = [
    ("%s  a\n%s  b/c d\n" % (d, d), "package=P\ndigest=%s\ndestination=.\noutput_type=extension\n" % d),
    ("\\%s  a\\nb\\\\c\n" % d, "package=P\ndigest=%s\ndestination=/opt/ext\noutput_type=external\n" % d),
    ("%s *x\n" % d.upper(), "output_type=module\ndestination=modules/P\ndigest=%s\npackage=P\n" % d),
    ("%s  ../x\n%s  a\n" % (d, d), "package=P\n"),
    ("", "package=Q\ndigest=%s\ndestination=\noutput_type=other\n" % d),
]
for i, (s, info) in enumerate(cases):
    s, info = s.encode(), info.encode()
    open("%s/r%d" % (sys.argv[1], i), "wb").write(struct.pack("<H", len(s)) + s + info)
PY
fi
if on hashcache; then
	# Selector 1: a whole file; 0: records only (the harness frames them).
	mkdir -p "$out/hashcache"
	python3 - "$out/hashcache" <<'PY'
import hashlib, sys
d = "ab" * 32
recs = "2049 131 12 1769896811074330000 1769896811074330000 %s\n" % d
recs += "0 18446744073709551615 0 -9223372036854775808 9223372036854775807 %s\n" % ("0" * 64)
body = "cp-hash-cache 1\n" + recs
whole = body + "end 2 %s\n" % hashlib.sha256(body.encode()).hexdigest()
for name, data in [("whole", b"\x01" + whole.encode()), ("recs", b"\x00" + recs.encode()),
                   ("foreign", b"\x01not a cache\n"), ("empty", b"\x01"),
                   ("bad", b"\x01" + whole.replace("end 2", "end 3").encode())]:
    open("%s/%s" % (sys.argv[1], name), "wb").write(data)
PY
fi
if on istate || on hashcache; then
	# A real state and cache, from bin/cp-integrity over a copy of the Python plane.
	if [ -x bin/cp-integrity ]; then
		rm -rf "$out/plane" && cp -R tests/data/python-plane/plane "$out/plane"
		bin/cp-integrity -C "$out/plane" --state "$PWD/$out/plane.state" --cache "$PWD/$out/plane.cache" \
		    >/dev/null 2>&1 || true
		if on hashcache && [ -s "$out/plane.cache" ]; then seed hashcache "$out/plane.cache" 01; fi
		if on istate && [ -s "$out/plane.state" ]; then
			seed istate "$out/plane.state" 01
			# The content after the key, for the framing form (selector 0).
			python3 - "$out/plane.state" "$out/istate/body" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
total = struct.unpack("<Q", b[-12:-4])[0]
at = 21 + 24
n = struct.unpack("<Q", b[at:at + 8])[0]
open(sys.argv[2], "wb").write(b"\x00" + b[at + 8 + n + 1:total])
PY
		fi
		rm -rf "$out/plane" "$out/plane.state" "$out/plane.cache"
	else
		echo "seeds.sh: no bin/cp-integrity (make it first): no state or cache seed" >&2
	fi
fi
