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
