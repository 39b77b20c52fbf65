#!/usr/bin/env bash
# tests/fuzz/seeds.sh [NAME...]: write the raw seed inputs of each harness into
# build/fuzz/seed/NAME/ from tests/data/, the plane's own files and the shared
# vectors; `make fuzz-merge FUZZ=NAME` (after copying them into build/fuzz/corpus/NAME)
# minimises them into tests/fuzz/corpus/NAME.  Run from the repository's top.
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
