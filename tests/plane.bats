#!/usr/bin/env bats
# The plane targets of mk/plane.mk, each test in a fresh copy of the
# repository's example plane under $BATS_TEST_TMPDIR.  Expected answers come
# from sha256sum, GNU tar, jq, python3 (csv, tarfile, hmac) and openssl.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	P=$BATS_TEST_TMPDIR/plane
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$P" "$HOME"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$P/Makefile"
	# The example plane pins hmac: act as alice (admin in registries/roles.csv),
	# her token computed by openssl from a secret of the test's own.
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE
	export CONTROL_PLANE_SHARED_SECRET=plane-test-secret
	export CONTROL_PLANE_TOKEN=$(token alice)
	cd "$P"
}

token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}

# make itself exits 2 whenever a recipe fails (GNU make has no other failure
# status); the step's own status shows in make's "Error N" line, and mk
# returns that, so that tests can tell a negative answer (1) from an error (2).
mk() {
	local rc=0
	make --no-print-directory -C "$P" "$@" 2> "$BATS_TEST_TMPDIR/mk.err" || rc=$?
	cat "$BATS_TEST_TMPDIR/mk.err" >&2
	if [ "$rc" -eq 2 ] && tail -n 1 "$BATS_TEST_TMPDIR/mk.err" | grep -q '\] Error 1$'; then
		rc=1
	fi
	return "$rc"
}

# The plane's hashed listing (helper's tree_state) without the ledger, the
# caches and lock files: a refusal must leave it byte-identical.
snapshot() {
	tree_state "$P" | grep -Ev '(^| )\./(ledger|\.cp)(/| |$)|\.lock( |$)'
}

events() { jq -r .event_type "$P"/ledger/governance.jsonl; }
last_event() { tail -n 1 "$P"/ledger/governance.jsonl; }

report() { mk integrity-json; }

# field REGISTRY ID COLUMN, read by Python's csv
field() {
	python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["id"] == sys.argv[2]: print(r[sys.argv[3]])' "$P/registries/$1" "$2" "$3"
}
cp_field() { field control_plane_registry.csv "$@"; }
pkg_field() { field packages_registry.csv "$@"; }

@test "the example plane is healthy, its ledger intact, its registries valid" {
	run -0 mk integrity
	[[ "$output" == *"integrity: HEALTHY"* ]]
	run -0 mk validate
	run -0 mk ledger-verify
	run -0 report
	[ "$(jq .healthy <<< "$output")" = true ]
	[ "$(jq -c .invalid,.missing <<< "$output" | tr -d '\n')" = "[][]" ]
}

@test "lifecycle: remove, install, edit, pack, update, external install, remove; ledger in order" {
	f=frameworks/FMWK-300_package_standard.md
	n0=$(wc -l < ledger/governance.jsonl)
	# FORCE=1: PKG-MOD-DOC-LINT depends on it, and remove refuses that since issue 20
	run -0 mk remove PKG=PKG-FMWK-300 FORCE=1
	[ ! -e "$f" ] && [ ! -e installed/PKG-FMWK-300.sha256 ]
	[ -z "$(cp_field FMWK-300 id)" ]
	run -0 mk integrity
	run -0 mk ledger-verify
	run -0 mk install PKG=PKG-FMWK-300
	# the installed bytes are the archive's, as GNU tar reads it
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	[ "$(cp_field FMWK-300 content_hash)" = "$(sha256sum < "$f" | cut -c1-64)" ]
	(cd "$P" && sha256sum -c --quiet installed/PKG-FMWK-300.sha256)
	run -0 mk integrity
	# edit, pack, update
	echo "A new rule." >> "$f"
	run -1 mk integrity
	run -0 mk pack SRC="$f" ID=PKG-FMWK-300
	new=$(sha256sum < packages_store/PKG-FMWK-300.tar.gz | cut -c1-64)
	[ "$(pkg_field PKG-FMWK-300 digest)" = "$new" ]
	[ "$(cut -c1-64 packages_store/PKG-FMWK-300.tar.gz.sha256)" = "$new" ]
	(cd packages_store && sha256sum -c --quiet PKG-FMWK-300.tar.gz.sha256)
	run -0 mk update PKG=PKG-FMWK-300
	grep -qx "digest=$new" installed/PKG-FMWK-300.info
	run -0 mk integrity
	run -0 mk validate
	run -0 mk sync
	jq -e '.install_order | index("PKG-FMWK-100") < index("PKG-FMWK-300")' registries/compiled/packages.json
	# the bytes package_sync.py writes (gen.py of tests/data/cp-regrow holds its rules)
	cmp registries/compiled/packages.json <(python3 -c 'import sys; sys.path.insert(0, sys.argv[1])
import gen; gen.sync("registries/packages_registry.csv", "/dev/stdout")' "$DATA/cp-regrow")
	# external: outside the plane, recorded in the ledger with path and hashes
	run -0 mk install PKG=PKG-EXT-HELLO
	ext=$HOME/.local/share/cp-example/ext-hello
	[ -x "$ext/bin/cp-hello" ]
	[ "$(last_event | jq -r .metadata.destination)" = "$ext" ]
	[ "$(last_event | jq -r '.metadata.files[] | select(.path == "bin/cp-hello") | .sha256')" = \
		"$(sha256sum < "$ext/bin/cp-hello" | cut -c1-64)" ]
	run -0 mk integrity
	run -0 mk remove PKG=PKG-EXT-HELLO
	[ ! -e "$ext/bin/cp-hello" ]
	run -0 mk remove PKG=PKG-MOD-DOC-LINT
	[ ! -e modules/doc_lint ]
	run -0 mk integrity
	run -0 mk ledger-verify
	[ "$(events | tail -n +$((n0 + 1)) | tr '\n' ' ')" = \
		"package_remove package_install package_pack package_update package_install package_remove package_remove " ]
}

@test "nothing to do twice: pack of unchanged sources, install of the installed digest" {
	run -0 mk pack SRC=modules/doc_lint ID=PKG-MOD-DOC-LINT
	n=$(wc -l < ledger/governance.jsonl)
	before=$(snapshot)
	run -0 mk pack SRC=modules/doc_lint ID=PKG-MOD-DOC-LINT
	[[ "$output" == *"Nothing to be done"* ]]
	run -0 mk install PKG=PKG-MOD-DOC-LINT
	[[ "$output" == *"already installed"* ]]
	[ "$(snapshot)" = "$before" ]
	[ "$(wc -l < ledger/governance.jsonl)" -eq "$n" ]
}

@test "pack is deterministic: same bytes from another copy, mtimes and umask" {
	cp packages_store/PKG-MOD-DOC-LINT.tar.gz want.tgz
	touch -d '2001-02-03' modules/doc_lint/*
	rm -rf .cp
	(umask 077 && mk pack SRC=modules/doc_lint ID=PKG-MOD-DOC-LINT)
	cmp want.tgz packages_store/PKG-MOD-DOC-LINT.tar.gz
	# GNU tar sees the paths relative to the module directory, files only (no directory
	# entry: package_install.py refuses an existing directory without --force)
	[ "$(tar -tzf want.tgz | tr '\n' ' ')" = "doc_lint/README.md doc_lint/doc_lint.py " ]
}

@test "unknown ID: pack and install exit 1 and write nothing" {
	before=$(snapshot)
	run -1 mk pack SRC=frameworks ID=PKG-NOPE
	run -1 mk install PKG=PKG-NOPE
	[ "$(snapshot)" = "$before" ]
	[ ! -e packages_store/PKG-NOPE.tar.gz ]
	[ "$(last_event | jq -r '.event_type + " " + .decision')" = "package_install REFUSED" ]
}

@test "refusals leave the plane byte-identical and are ledgered: digest and sidecar mismatch" {
	mk remove PKG=PKG-FMWK-200
	before=$(snapshot)
	# one byte changed in the archive
	cp packages_store/PKG-FMWK-200.tar.gz keep.tgz
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-9] ^= 1; open(sys.argv[1], "wb").write(b)' \
		packages_store/PKG-FMWK-200.tar.gz
	before=$(snapshot)
	run -1 mk install PKG=PKG-FMWK-200
	[[ "$output" == *"digest mismatch"* ]]
	[ "$(snapshot)" = "$before" ]
	[ "$(last_event | jq -r .decision)" = REFUSED ]
	mv keep.tgz packages_store/PKG-FMWK-200.tar.gz
	# a sidecar that disagrees with the registry
	printf '%064d  PKG-FMWK-200.tar.gz\n' 0 > packages_store/PKG-FMWK-200.tar.gz.sha256
	before=$(snapshot)
	run -1 mk install PKG=PKG-FMWK-200
	[[ "$output" == *"sidecar mismatch"* ]]
	[ "$(snapshot)" = "$before" ]
	run -0 mk ledger-verify
}

@test "refusals: a hostile archive, a collision without FORCE" {
	# a symlink out of the plane, then a file through it; the registry digest matches it
	python3 - <<'EOF'
import io, tarfile
with tarfile.open("packages_store/PKG-FMWK-200.tar.gz", "w:gz") as t:
    s = tarfile.TarInfo("frameworks/evil"); s.type = tarfile.SYMTYPE; s.linkname = "/tmp"
    t.addfile(s)
    d = b"pwned\n"; f = tarfile.TarInfo("frameworks/evil/pwned.txt"); f.size = len(d)
    t.addfile(f, io.BytesIO(d))
EOF
	h=$(sha256sum < packages_store/PKG-FMWK-200.tar.gz | cut -c1-64)
	rm packages_store/PKG-FMWK-200.tar.gz.sha256
	mk remove PKG=PKG-FMWK-200
	cp-regrow -i registries/packages_registry.csv set PKG-FMWK-200 "digest=$h"
	before=$(snapshot)
	run -2 mk install PKG=PKG-FMWK-200
	[ "$(snapshot)" = "$before" ]
	[ ! -e /tmp/pwned.txt ]
	[ "$(last_event | jq -r '.event_type + " " + .decision')" = "package_install REFUSED" ]
	# collision: a file of other bytes is there, the receipt is not (the same bytes would be adopted)
	rm installed/PKG-FMWK-100.*
	echo "local edit" >> frameworks/FMWK-100_*.md
	before=$(snapshot)
	run -1 mk install PKG=PKG-FMWK-100
	[[ "$output" == *"does not own"*"FORCE=1"* ]]
	[ "$(snapshot)" = "$before" ]
	run -0 mk install PKG=PKG-FMWK-100 FORCE=1
	[ -f installed/PKG-FMWK-100.sha256 ]
	run -0 mk ledger-verify
}

@test "authorization: a reader's token, no token, a forged token are denied, ledgered, plane unchanged" {
	mk remove PKG=PKG-FMWK-200
	before=$(snapshot)
	CONTROL_PLANE_TOKEN=$(token guest) run -1 mk install PKG=PKG-FMWK-200
	[ "$(last_event | jq -r '.event_type + " " + .decision + " " + .metadata.user')" = "authz_denied DENIED guest" ]
	CONTROL_PLANE_TOKEN= run -1 mk install PKG=PKG-FMWK-200
	[ "$(last_event | jq -r .event_type)" = authz_denied ]
	# a token made with another secret
	CONTROL_PLANE_TOKEN=alice:$(printf alice | openssl dgst -sha256 -hmac other | sed 's/.*= //') run -1 mk install PKG=PKG-FMWK-200
	# the pinned provider cannot be swapped for passthrough from the environment
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run -2 mk install PKG=PKG-FMWK-200
	[ "$(snapshot)" = "$before" ]
	run ! grep -q plane-test-secret ledger/governance.jsonl
	# a maintainer may
	CONTROL_PLANE_TOKEN=$(token ci) run -0 mk install PKG=PKG-FMWK-200
	[ "$(last_event | jq -r '.metadata.user + " " + .metadata.provider')" = "ci hmac" ]
	run -0 mk ledger-verify
}

@test "integrity finds an invalid, a missing, an orphan and a modified registry" {
	echo changed >> frameworks/FMWK-100_agent_development_standard.md
	rm frameworks/FMWK-200_ledger_protocol.md
	echo '# stray' > frameworks/FMWK-999_stray.md
	run --separate-stderr -1 report
	r=$output
	[ "$(jq .healthy <<< "$r")" = false ]
	[ "$(jq -r '.invalid[0].id' <<< "$r")" = FMWK-100 ]
	[ "$(jq -r '.invalid[0].actual' <<< "$r")" = "$(sha256sum < frameworks/FMWK-100_agent_development_standard.md | cut -c1-64)" ]
	[ "$(jq -r '.invalid[0].expected' <<< "$r")" = "$(cp_field FMWK-100 content_hash)" ]
	[ "$(jq -c '.missing' <<< "$r")" = '[{"id":"FMWK-200","path":"/frameworks/FMWK-200_ledger_protocol.md"}]' ]
	[ "$(jq -c '.orphans, .orphan_count' <<< "$r" | tr '\n' ' ')" = '["frameworks/FMWK-999_stray.md"] 1 ' ]
	# orphans alone fail only with STRICT=1
	cp "$REPO/frameworks/FMWK-100_agent_development_standard.md" frameworks/
	cp "$REPO/frameworks/FMWK-200_ledger_protocol.md" frameworks/
	run -0 mk integrity
	[[ "$output" == *"orphan   frameworks/FMWK-999_stray.md"* ]]
	run -1 mk integrity STRICT=1
	rm frameworks/FMWK-999_stray.md
	# a registry whose recorded hash was changed
	cp-regrow -i registries/control_plane_registry.csv set FMWK-300 content_hash="$(printf '%064d' 7)"
	run --separate-stderr -1 report
	[ "$(jq -r '.invalid[0].id' <<< "$output")" = FMWK-300 ]
}

@test "the report's keys and types" {
	run -0 report
	jq -e '(.timestamp|type) == "string" and (.healthy|type) == "boolean" and
		(.merkle_root|test("^[0-9a-f]{64}$")) and (.verified_count|type) == "number" and
		(.valid|type) == "array" and (.invalid|type) == "array" and (.missing|type) == "array" and
		(.no_hash|type) == "array" and (.chain_errors|type) == "array" and
		(.chain_error_count|type) == "number" and (.orphans|type) == "array" and
		(.orphan_count|type) == "number" and (.hashed|type) == "number" and (.cached|type) == "number"' <<< "$output"
	[ "$(jq -c .no_hash <<< "$output")" = '["REG-CP","REG-PKG"]' ]
	[ "$(jq .verified_count <<< "$output")" -eq "$(jq '.valid | length' <<< "$output")" ]
}

@test "a tampered ledger makes the plane unhealthy, with the ledger error reported" {
	sed -i '2s/"decision": "[A-Z]*"/"decision": "FORGED"/' ledger/governance.jsonl
	run --separate-stderr -1 report
	[ "$(jq .ledger_error_count <<< "$output")" -ge 1 ]
	[[ "$(jq -r '.ledger_errors[0]' <<< "$output")" == *tampered* ]]
}

@test "incremental: nothing changed hashes nothing, one change hashes one, FULL=1 all" {
	# files changed in the second the cache is written are rehashed (racy): let it pass
	sleep 1
	run -0 report
	all=$(jq '.hashed + .cached' <<< "$output")
	run -0 report
	[ "$(jq .hashed <<< "$output")" -eq 0 ]
	[ "$(jq .cached <<< "$output")" -eq "$all" ]
	# a content change with the same size and a restored mtime is still caught (ctime)
	f=modules/doc_lint/README.md
	t=$(stat -c %y "$f")
	sed -i 's/module/MODULE/' "$f"
	touch -d "$t" "$f"
	run --separate-stderr -1 report
	[ "$(jq .hashed <<< "$output")" -eq 1 ]
	[ "$(jq -r '.invalid[0].id' <<< "$output")" = MOD-DOC-LINT ]
	run --separate-stderr -1 mk integrity-json FULL=1
	[ "$(jq .hashed <<< "$output")" -eq "$all" ]
}

@test "a directory hashes as the cp2 root of its files' hashes in path order" {
	# cp2 by hand: Python, from the scheme's definition in the shared vectors
	want=$(cd modules/doc_lint && python3 -c '
import hashlib, os
h = [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in sorted(os.listdir("."))]
while len(h) > 1:
    if len(h) % 2: h.append(h[-1])
    h = [hashlib.sha256((h[i] + h[i + 1]).encode()).hexdigest() for i in range(0, len(h), 2)]
print(h[0])')
	[ "$(cp_field MOD-DOC-LINT content_hash)" = "$want" ]
	# nested registered directories: each covers every file below it
	mkdir modules/doc_lint/sub && echo nested > modules/doc_lint/sub/n.md
	cp2_of() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | cut -c1-64 | python3 -c '
import hashlib, sys
h = sys.stdin.read().split()
while len(h) > 1:
    if len(h) % 2: h.append(h[-1])
    h = [hashlib.sha256((h[i] + h[i + 1]).encode()).hexdigest() for i in range(0, len(h), 2)]
print(h[0])'); }
	cp-regrow -i registries/control_plane_registry.csv set MOD-DOC-LINT "content_hash=$(cp2_of modules/doc_lint)"
	cp-regrow -i registries/control_plane_registry.csv add id=MOD-SUB artifact_path=/modules/doc_lint/sub \
		"content_hash=$(cp2_of modules/doc_lint/sub)"
	run --separate-stderr -0 report
	[ "$(jq -c '[.valid[] | select(startswith("MOD"))], .invalid' <<< "$output" | tr -d '\n')" = '["MOD-DOC-LINT","MOD-SUB"][]' ]
}

@test "manifest: MANIFEST.json as jq reads it, rfc6962 root, then checked by integrity" {
	run -0 mk manifest
	jq -e '.merkle_scheme == "rfc6962" and (.checksums | length) == 7' MANIFEST.json
	jq -r '.checksums | to_entries[] | "\(.value.sha256)  \(.key)"' MANIFEST.json > sums
	sha256sum -c --quiet sums
	[ "$(jq -r '.checksums["modules/doc_lint/doc_lint.py"].size' MANIFEST.json)" -eq "$(stat -c %s modules/doc_lint/doc_lint.py)" ]
	# the root: RFC 6962 over "<sha256>  <path>" in path order, by Python
	want=$(LC_ALL=C sort -k 2 sums | python3 -c '
import hashlib, sys
leaves = [hashlib.sha256(b"\0" + l.rstrip("\n").encode()).digest() for l in sys.stdin]
def root(v):
    if len(v) == 1: return v[0]
    k = 1
    while k * 2 < len(v): k *= 2
    return hashlib.sha256(b"\1" + root(v[:k]) + root(v[k:])).digest()
print(root(leaves).hex())')
	[ "$(jq -r .merkle_root MANIFEST.json)" = "$want" ]
	run -0 report
	[ "$(jq -r '.merkle_scheme + " " + (.merkle_root_matches|tostring)' <<< "$output")" = "rfc6962 true" ]
	[ "$(jq -r .merkle_root <<< "$output")" = "$want" ]
	# an install refreshes it; a change outside the targets does not
	run -0 mk remove PKG=PKG-FMWK-300 FORCE=1	# a dependent is installed (issue 20)
	[ "$(jq '.checksums | length' MANIFEST.json)" -eq 6 ]
	run -0 mk integrity
	echo x >> frameworks/FMWK-100_agent_development_standard.md
	run --separate-stderr -1 report
	[ "$(jq .merkle_root_matches <<< "$output")" = false ]
}

@test "a Python-era MANIFEST.json without merkle_scheme holds a cp2 root, and verifies" {
	root=$(python3 -c '
import csv, hashlib
h = sorted(r["content_hash"] for r in csv.DictReader(open("registries/control_plane_registry.csv", newline="")) if r["content_hash"])
while len(h) > 1:
    if len(h) % 2: h.append(h[-1])
    h = [hashlib.sha256((h[i] + h[i + 1]).encode()).hexdigest() for i in range(0, len(h), 2)]
print(h[0])')
	printf '{"version": "1.0", "generated": "2026-01-31T22:00:11", "checksums": {}, "merkle_root": "%s"}\n' "$root" > MANIFEST.json
	run -0 report
	[ "$(jq -r '.merkle_scheme + " " + .stored_root + " " + (.merkle_root_matches|tostring)' <<< "$output")" = "cp2 $root true" ]
	printf '{"merkle_root": "%064d"}\n' 1 > MANIFEST.json
	run -1 report
}

@test "two installs at once leave registry, receipts and ledger consistent" {
	# FORCE=1: installed packages depend on both (issue 20)
	mk remove PKG=PKG-FMWK-100 FORCE=1
	mk remove PKG=PKG-FMWK-300 FORCE=1
	mk install PKG=PKG-FMWK-100 & a=$!
	mk install PKG=PKG-FMWK-300 & b=$!
	wait "$a"
	wait "$b"
	[ -f installed/PKG-FMWK-100.sha256 ] && [ -f installed/PKG-FMWK-300.sha256 ]
	[ -n "$(cp_field FMWK-100 content_hash)" ] && [ -n "$(cp_field FMWK-300 content_hash)" ]
	run -0 mk ledger-verify
	[ "$(events | tail -n 2 | sort | uniq -c | awk '{ print $1 $2 }')" = 2package_install ]
	run -0 mk integrity
	run -0 mk validate
}

@test "a plane outside the repository, with the installed fragment" {
	make -C "$REPO" --no-print-directory install-toolkit DESTDIR= PREFIX="$BATS_TEST_TMPDIR/prefix" > /dev/null
	[ -f "$BATS_TEST_TMPDIR/prefix/share/cp/plane.mk" ]
	printf 'CP_ROOT := $(CURDIR)\ninclude %s\n' "$BATS_TEST_TMPDIR/prefix/share/cp/plane.mk" > Makefile
	PATH=/usr/bin:/bin run -0 make --no-print-directory integrity
	[[ "$output" == *HEALTHY* ]]
	PATH=/usr/bin:/bin run -0 make --no-print-directory remove PKG=PKG-FMWK-300 FORCE=1
	PATH=/usr/bin:/bin run -0 make --no-print-directory install PKG=PKG-FMWK-300
	PATH=/usr/bin:/bin run -0 make --no-print-directory help
	[[ "$output" == *"make integrity"* ]]
}

@test "bad usage of the targets exits 2" {
	run -2 mk pack
	run -2 mk pack SRC=frameworks
	run -2 mk remove
	run -2 mk update
	run -2 mk pack SRC=/etc/hostname ID=PKG-FMWK-100
	# and the targets' manual is lint-clean
	run -0 mandoc -Tlint -Wwarning "$REPO/man/cp-plane.7"
	[ -z "$output" ]
}

@test "make sync writes through no symlink a writer of the plane planted" {
	cd "$P"
	echo keep > "$BATS_TEST_TMPDIR/victim"
	mkdir -p registries/compiled
	rm -f registries/compiled/packages.json
	ln -s "$BATS_TEST_TMPDIR/victim" registries/compiled/packages.json.tmp
	run -0 mk sync
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = keep ]
	# packages.json itself a symlink, the registry newer: replaced, never written through
	rm registries/compiled/packages.json
	ln -s "$BATS_TEST_TMPDIR/victim" registries/compiled/packages.json
	touch -d '+2 seconds' registries/packages_registry.csv
	run -0 mk sync
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = keep ]
	[ ! -L registries/compiled/packages.json ] && [ -f registries/compiled/packages.json ]
	jq -e .install_order registries/compiled/packages.json > /dev/null
	[ "$(stat -c %a registries/compiled/packages.json)" = 644 ]
	# the directory itself a symlink: refused, nothing written there
	rm -rf registries/compiled
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" registries/compiled
	touch -d '+4 seconds' registries/packages_registry.csv
	run -2 mk sync
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
	# registries/ a symlink (a directory above the one written): refused too
	rm registries/compiled
	mv registries "$BATS_TEST_TMPDIR/regs"
	ln -s "$BATS_TEST_TMPDIR/regs" registries
	touch -d '+6 seconds' registries/packages_registry.csv
	run -2 mk sync
	[[ $output == *"symlink"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/regs/compiled" ]
	rm registries && mv "$BATS_TEST_TMPDIR/regs" registries
}
