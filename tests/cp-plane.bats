#!/usr/bin/env bats
# cp-plane(1): the plane's steps (pack, install, update, remove, manifest,
# recover), each one transaction, attacked.  Each test works in a fresh copy
# of the repository's example plane under $BATS_TEST_TMPDIR, beside a canary
# directory outside it.  Every attack checks the exit status, that nothing
# outside the plane changed (canary, $HOME, $TMPDIR hashed before and
# after), that a refusal left the plane byte-identical but for its ledger,
# that the ledger verifies, and, where the contract says so, that the
# refusal is one ledger entry.  Expected answers come from sha256sum, GNU
# tar, jq and python3 (csv, tarfile), never from cp-plane itself.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CPP=$REPO/bin/cp-plane
CPDATA=$BATS_TEST_DIRNAME/data/cp-plane

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/plane
	C=$T/canary
	S=$T/work
	export HOME=$T/home TMPDIR=$T/tmp
	mkdir -p "$HOME" "$TMPDIR" "$S" "$C/sub"
	make_plane
	printf 'canary\n' > "$C/x"
	printf 'keep me\n' > "$C/sub/y"
	printf '#!/bin/sh\necho hi\n' > "$C/run.sh"
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT
	# The example plane pins hmac: act as alice (admin in registries/roles.csv),
	# her token computed by openssl from a secret of the test's own.
	export CONTROL_PLANE_SHARED_SECRET=plane-test-secret
	export CONTROL_PLANE_TOKEN=$(token alice)
	cd "$P"
}

teardown() {
	# the race test's swapper, if it still runs
	if [ -f "$S/race.pid" ]; then
		kill "$(cat "$S/race.pid")" 2> /dev/null || true
		wait "$(cat "$S/race.pid")" 2> /dev/null || true
		rm -f "$S/race.pid"
	fi
}

# A fresh copy of the example plane at $P (any former one replaced).
make_plane() {
	chmod -R u+w "$P" 2> /dev/null || true
	rm -rf "$P"
	mkdir -p "$P"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$P/Makefile"
	cd "$P"
}

token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}

cpp() { "$CPP" -C "$P" "$@"; }

# make exits 2 whenever a recipe fails; mk returns the step's own status
# (make's "Error N"), as in plane.bats.
mk() {
	local rc=0
	make --no-print-directory -C "$P" "$@" 2> "$S/mk.err" || rc=$?
	cat "$S/mk.err" >&2
	if [ "$rc" -eq 2 ] && tail -n 1 "$S/mk.err" | grep -q '\] Error 1$'; then
		rc=1
	fi
	return "$rc"
}

sha() { sha256sum < "$1" | cut -c1-64; }

# nope CMD...: CMD must fail (a bare "! CMD" never fails a bats test).
nope() {
	if "$@"; then
		echo "unexpected success: $*" >&2
		return 1
	fi
}

# The plane's hashed listing without the ledger, .cp/ and lock files.
snapshot() {
	tree_state "$P" | grep -Ev '(^| )\./(ledger|\.cp)(/| |$)|\.lock( |$)'
}

# Everything outside the plane a step could reach: the canary, $HOME,
# $TMPDIR, and the names beside the plane.
outside() {
	local d
	for d in "$C" "$HOME" "$TMPDIR"; do
		echo "== $d"
		tree_state "$d"
	done
	echo "== $T"
	# (bats keeps run --separate-stderr's files there)
	ls -A "$T" | grep -v '^separate-stderr-'
}

ledger_n() { cat "$P"/ledger/*.jsonl 2> /dev/null | wc -l; }
last_event() { tail -n 1 "$P"/ledger/governance.jsonl; }
last_is() {
	local got
	got=$(last_event | jq -r '.event_type + " " + .decision')
	[ "$got" = "$1" ] || { echo "last ledger entry: '$got', want '$1'" >&2; return 1; }
}
ledger_ok() { "$REPO/bin/cp-ledger" -C "$P" verify > "$S/verify.out" 2>&1 || { cat "$S/verify.out" >&2; return 1; }; }

# mark; (attack); unchanged [N]: outside and plane (but the ledger) as at
# mark, the ledger verifies and, with N, grew by exactly N entries.
mark() {
	before_plane=$(snapshot)
	before_out=$(outside)
	before_n=$(ledger_n)
}
outside_unchanged() {
	diff <(printf '%s\n' "$before_out") <(outside) >&2 || { echo "outside the plane changed" >&2; return 1; }
}
unchanged() {
	local n
	outside_unchanged || return 1
	diff <(printf '%s\n' "$before_plane") <(snapshot) >&2 || { echo "the plane changed" >&2; return 1; }
	ledger_ok || return 1
	if [ $# -gt 0 ]; then
		n=$(ledger_n)
		[ "$n" -eq $((before_n + $1)) ] || { echo "ledger: $((n - before_n)) new entries, want $1" >&2; return 1; }
	fi
}
# refused EVENT: the attack's status was 1 or 2 (not 0, not a signal), and
# unchanged 1 with that REFUSED entry last.
refused() {
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ] || { echo "status $status, want 1 or 2" >&2; return 1; }
	unchanged 1 || return 1
	last_is "$1 REFUSED"
}
no_staging() {
	[ -z "$(ls -A "$P/.cp/stage" 2> /dev/null)" ] || { echo "staging left: $(ls -A "$P/.cp/stage")" >&2; return 1; }
	[ -z "$(find "$P" "$HOME" "$C" -name '.cp-tar-*' 2> /dev/null)" ] || { echo "left: $(find "$P" "$HOME" "$C" -name '.cp-tar-*')" >&2; return 1; }
}

# field REGISTRY ID COLUMN, read by Python's csv
field() {
	python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["id"] == sys.argv[2]: print(r[sys.argv[3]])' "$P/registries/$1" "$2" "$3"
}
pkg_field() { field packages_registry.csv "$@"; }
setrow() { python3 "$CPDATA/csvset.py" "$P/registries/packages_registry.csv" "$@"; }
mktar() { python3 "$CPDATA/mktar.py" "$@"; }

# use_archive ID FILE: FILE becomes packages_store/ID.tar.gz, with its
# sidecar and the registry row's digest.
use_archive() {
	local d
	d=$(sha "$2")
	cp "$2" "$P/packages_store/$1.tar.gz"
	printf '%s  %s\n' "$d" "$1.tar.gz" > "$P/packages_store/$1.tar.gz.sha256"
	setrow "$1" "digest=$d"
}

# A second version of doc_lint: README changed, a file added.
doc_lint_b() {
	mktar "$S/B.tgz" doc_lint/README.md $'# doc_lint, version B\n' \
		doc_lint/doc_lint.py $'print("B")\n' doc_lint/extra/new.md $'new in B\n'
}

# ---------------------------------------------------------------------------
# the contract's basics

@test "usage: --help, --version; no operation, unknown operation, missing or extra operands exit 2 and write nothing" {
	run -0 "$CPP" --help
	[[ "$output" == *usage:* ]]
	run -0 "$CPP" --version
	[ -n "$output" ]
	state=$(tree_state "$P")
	run -2 cpp
	run -2 cpp frobnicate
	run -2 cpp install
	run -2 cpp install PKG-FMWK-100 PKG-FMWK-200
	run -2 cpp remove
	run -2 cpp update
	run -2 cpp pack frameworks
	run -2 cpp pack frameworks PKG-FMWK-100 extra
	run -2 cpp --bogus install PKG-FMWK-100
	run -2 cpp manifest extra
	[ "$(tree_state "$P")" = "$state" ]
}

@test "--json install and remove: the object's members, one ledger entry each whose files sha256sum agrees with" {
	id=PKG-MOD-DOC-LINT
	n=$(ledger_n)
	run --separate-stderr -0 cpp --json remove $id
	jq -e '.operation == "remove" and .package == "PKG-MOD-DOC-LINT" and .status == "removed" and
		.changed == true and .exit == 0 and .user == "alice" and .provider == "hmac"' <<< "$output"
	[ "$(ledger_n)" -eq $((n + 1)) ]
	last_is "package_remove REMOVE"
	[ "$(jq -r .ledger_id <<< "$output")" = "$(last_event | jq -r .id)" ]
	[ "$(jq -r .entry_hash <<< "$output")" = "$(last_event | jq -r .entry_hash)" ]
	[ ! -e modules/doc_lint ]
	[ ! -e installed/$id.sha256 ]
	[ ! -e installed/$id.info ]

	run --separate-stderr -0 cpp --json install $id
	d=$(sha packages_store/$id.tar.gz)
	jq -e --arg d "$d" '.operation == "install" and .status == "installed" and .changed == true and
		.exit == 0 and .digest == $d and (.destination | endswith("modules"))' <<< "$output"
	[ "$(ledger_n)" -eq $((n + 2)) ]
	last_is "package_install INSTALL"
	want=$(cd modules && sha256sum doc_lint/README.md doc_lint/doc_lint.py |
		jq -R 'capture("^(?<sha256>[0-9a-f]{64})  (?<path>.*)$")' | jq -cs 'sort_by(.path)')
	[ "$(jq -cS '.files | sort_by(.path)' <<< "$output")" = "$(jq -cS . <<< "$want")" ]
	[ "$(last_event | jq -cS '.metadata.files | sort_by(.path)')" = "$(jq -cS . <<< "$want")" ]
	last_event | jq -e --arg d "$d" '.metadata.package_id == "PKG-MOD-DOC-LINT" and .metadata.digest == $d and
		.metadata.user == "alice" and .metadata.provider == "hmac" and (.metadata.destination | endswith("modules"))'
	# the bytes are the archive's, as GNU tar reads them; the receipt is sha256sum's
	for f in doc_lint/README.md doc_lint/doc_lint.py; do
		tar -xzOf packages_store/$id.tar.gz "$f" | cmp - "modules/$f"
	done
	(cd modules && sha256sum -c --quiet ../installed/$id.sha256)
	grep -qx "digest=$d" installed/$id.info

	# again: nothing to do, nothing ledgered
	before=$(snapshot)
	run --separate-stderr -0 cpp --json install $id
	jq -e '.status == "already-installed" and .changed == false and .exit == 0' <<< "$output"
	[ "$(ledger_n)" -eq $((n + 2)) ]
	[ "$(snapshot)" = "$before" ]
	ledger_ok
}

@test "messages on stderr: 'cp-plane: ID: installed into DEST (N files)', already installed (DIGEST), up to date, removed (N files), a refusal's reason and hint" {
	id=PKG-MOD-DOC-LINT
	d=$(sha packages_store/$id.tar.gz)
	# every message is checked; the misses are listed together at the end
	miss=
	says() { [[ "$stderr" == *"$1"* ]] || miss+=$'\n'"want: $1"$'\n'" got: $stderr"; }
	run --separate-stderr -0 cpp remove $id
	[ -z "$output" ]
	says "cp-plane: $id: removed $id from modules (2 files)"
	run --separate-stderr -0 cpp install $id
	[ -z "$output" ]
	says "cp-plane: $id: installed $id into modules (2 files)"
	run --separate-stderr -0 cpp install $id
	says "cp-plane: $id: already installed ($d)"
	run --separate-stderr -0 cpp update $id
	says "cp-plane: $id: up to date"
	rm modules/doc_lint/README.md
	run --separate-stderr -1 cpp install $id
	says "cp-plane: $id: "
	says doc_lint/README.md
	says "--force"
	run --separate-stderr -1 cpp install PKG-NOPE
	says "cp-plane: PKG-NOPE: no such package"
	# -q: nothing but errors
	run --separate-stderr -0 cpp -q --force install $id
	[ -z "$stderr" ]
	[ -z "$output" ]
	[ -z "$miss" ] || { echo "$miss" >&2; false; }
}

@test "pack prints '<digest>  packages_store/ID.tar.gz'; archive, sidecar and registry agree; update installs it" {
	f=frameworks/FMWK-300_package_standard.md
	old=$(pkg_field PKG-FMWK-300 digest)
	echo "A new rule." >> "$f"
	run --separate-stderr -0 cpp pack "$f" PKG-FMWK-300
	d=$(sha packages_store/PKG-FMWK-300.tar.gz)
	[ "$output" = "$d  packages_store/PKG-FMWK-300.tar.gz" ]
	[ "$(pkg_field PKG-FMWK-300 digest)" = "$d" ]
	(cd packages_store && sha256sum -c --quiet PKG-FMWK-300.tar.gz.sha256)
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	last_is "package_pack PACK"
	last_event | jq -e --arg o "$old" --arg d "$d" '.metadata.before_hash == $o and .metadata.after_hash == $d'
	run -0 cpp update PKG-FMWK-300
	last_is "package_update UPDATE"
	grep -qx "digest=$d" installed/PKG-FMWK-300.info
	run --separate-stderr -0 cpp update PKG-FMWK-300
	[[ "$stderr" == *"up to date"* ]]
	ledger_ok
}

@test "pack's stamp for make is staged last: never older than the archive or the registry, however slow the pack" {
	# make pack redoes the pack when the registry or the archive is newer than
	# .cp/pack/ID.stamp; a renamed file keeps the mtime of its writing, so the
	# stamp must be the last file written.  Every write is slowed, so that the
	# clock ticks between any two files.
	f=frameworks/FMWK-300_package_standard.md
	echo "A new rule." >> "$f"
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -o /dev/null -e trace=write,pwrite64 \
		-e inject=write,pwrite64:delay_exit=20000 "$CPP" -C "$P" pack "$f" PKG-FMWK-300
	last_is "package_pack PACK"
	stamp=.cp/pack/PKG-FMWK-300.stamp
	[ -f "$stamp" ]
	for f in registries/packages_registry.csv packages_store/PKG-FMWK-300.tar.gz packages_store/PKG-FMWK-300.tar.gz.sha256; do
		[ ! "$f" -nt "$stamp" ] || { ls -l --time-style=full-iso "$f" "$stamp"; false; }
	done
}

@test "progress: pack and update show a meter on a terminal, none in a pipe or with -q; --progress forces it" {
	command -v script > /dev/null || skip "script(1) is not installed"
	f=frameworks/FMWK-300_package_standard.md
	head -c 3000000 /dev/urandom | base64 > "$f"
	size=$(stat -c %s "$f")
	# standard error a terminal: the files' bytes, a rate, 100% of the known total
	run -0 script -qec "$CPP -C $P pack $f PKG-FMWK-300 > /dev/null" /dev/null < /dev/null
	[[ $output =~ cp-plane:\ [0-9.]+\ MiB\ +[0-9.]+\ (B|KiB|MiB|GiB)/s\ +100% ]]
	[[ $output == *"$(awk -v n="$size" 'BEGIN { printf "%.1f MiB", n / 1048576 }')"* ]]
	# update: the archive's bytes, to 100%
	run -0 script -qec "$CPP -C $P update PKG-FMWK-300" /dev/null < /dev/null
	[[ $output == *"100%"* ]]
	cmp "$f" <(tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f")
	# -q: nothing, even on a terminal; a pipe: none unless --progress
	echo more >> "$f"
	run -0 script -qec "$CPP -C $P -q pack $f PKG-FMWK-300 > /dev/null" /dev/null < /dev/null
	[ -z "$output" ]
	echo more >> "$f"
	run --separate-stderr -0 cpp pack "$f" PKG-FMWK-300
	[[ $stderr != *"/s"* ]] && [[ $stderr != *%* ]]
	echo more >> "$f"
	run --separate-stderr -0 cpp --progress --json pack "$f" PKG-FMWK-300
	[[ $stderr == *"cp-plane: "*"/s"*"100%"* ]]
	jq -e '.status == "packed"' <<< "$output"
	run -2 cpp -q --progress pack "$f" PKG-FMWK-300
	[ "$output" = "cp-plane: --progress and -q exclude each other" ]
	ledger_ok
}

@test "an unknown package: install, update, remove and pack exit 1, one REFUSED entry each, nothing else" {
	for op in install update remove; do
		mark
		run -1 cpp $op PKG-NOPE
		refused package_$op
	done
	mark
	run -1 cpp pack frameworks/FMWK-100_agent_development_standard.md PKG-NOPE
	refused package_pack
	[ ! -e packages_store/PKG-NOPE.tar.gz ]
}

@test "through make: install, remove, update, FORCE=1; make exits 2 when cp-plane fails" {
	f=frameworks/FMWK-300_package_standard.md
	# FORCE=1: PKG-MOD-DOC-LINT depends on it, and remove refuses that since issue 20
	run -0 mk remove PKG=PKG-FMWK-300 FORCE=1
	[ ! -e "$f" ]
	[ ! -e installed/PKG-FMWK-300.sha256 ]
	last_is "package_remove REMOVE"
	run -0 mk install PKG=PKG-FMWK-300
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	last_is "package_install INSTALL"
	rm "$f"
	run -1 mk install PKG=PKG-FMWK-300
	run -2 make --no-print-directory -C "$P" install PKG=PKG-FMWK-300
	[ ! -e "$f" ]
	run -0 mk install PKG=PKG-FMWK-300 FORCE=1
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	run -0 mk update PKG=PKG-FMWK-300
	run -2 mk install PKG=
	run -2 mk remove
	ledger_ok
}

# ---------------------------------------------------------------------------
# forged receipts

@test "forged receipt: a path out of the destination, an absolute path, a path through a symlink: remove, update, install --force touch nothing" {
	id=PKG-MOD-DOC-LINT
	doc_lint_b
	cp installed/$id.sha256 "$S/receipt"
	cp registries/packages_registry.csv "$S/reg"
	cp packages_store/$id.tar.gz "$S/A.tgz"
	cx=$(sha "$C/x")
	for kind in dotdot absolute symlink; do
		cp "$S/receipt" installed/$id.sha256
		rm -f modules/doc_lint/lnk
		case $kind in
		dotdot) printf '%s  %s\n' "$cx" ../../canary/x >> installed/$id.sha256 ;;
		absolute) printf '%s  %s\n' "$cx" "$C/x" >> installed/$id.sha256 ;;
		symlink)
			ln -s "$C" modules/doc_lint/lnk
			printf '%s  %s\n' "$cx" doc_lint/lnk/x >> installed/$id.sha256 ;;
		esac
		for op in remove "--force remove" "--force install"; do
			mark
			run cpp $op $id
			echo "$kind: $op: status $status" >&2
			no_signal
			if [ $kind != symlink ]; then [ "$status" -eq 2 ]; fi
			refused "package_${op##* }"
			[ -f "$C/x" ]
		done
		# update to version B: the old version's files are the receipt's
		use_archive $id "$S/B.tgz"
		for op in update "--force update"; do
			mark
			run cpp $op $id
			echo "$kind: $op: status $status" >&2
			no_signal
			if [ $kind != symlink ]; then [ "$status" -eq 2 ]; fi
			refused package_update
			[ -f "$C/x" ]
		done
		cp "$S/reg" registries/packages_registry.csv
		cp "$S/A.tgz" packages_store/$id.tar.gz
		cp "$REPO/packages_store/$id.tar.gz.sha256" packages_store/
	done
}

@test "forged receipt: destination= another directory, an absolute path, ../canary, modules/../../canary: refused (exit 2), nothing deleted" {
	id=PKG-MOD-DOC-LINT
	doc_lint_b
	cp installed/$id.info "$S/info"
	cp registries/packages_registry.csv "$S/reg"
	cp packages_store/$id.tar.gz "$S/A.tgz"
	# decoys: the receipt's files where each forged destination points
	cp -R modules/doc_lint frameworks/
	cp -R modules/doc_lint "$C"/
	for dest in frameworks "$C" ../canary modules/../../canary "$P/modules/../../canary"; do
		sed "s|^destination=.*|destination=$dest|" "$S/info" > installed/$id.info
		for op in remove "--force remove" "--force install"; do
			mark
			run -2 cpp $op $id
			refused "package_${op##* }"
			[ -f "$C/doc_lint/README.md" ]
			[ -f frameworks/doc_lint/README.md ]
			[ -f modules/doc_lint/README.md ]
		done
		use_archive $id "$S/B.tgz"
		for op in update "--force update"; do
			mark
			run -2 cpp $op $id
			refused package_update
			[ -f "$C/doc_lint/README.md" ]
			[ -f frameworks/doc_lint/README.md ]
			[ -f modules/doc_lint/README.md ]
		done
		cp "$S/reg" registries/packages_registry.csv
		cp "$S/A.tgz" packages_store/$id.tar.gz
		cp "$REPO/packages_store/$id.tar.gz.sha256" packages_store/
	done
}

@test "a forged journal: an entry it does not name is rolled back, an unparsable one is refused; nothing deleted" {
	f=frameworks/FMWK-100_agent_development_standard.md
	txid=0123456789abcdef0123456789abcdef
	journal() {
		mkdir -p .cp/stage/$txid
		printf '%s\n' 'cp-journal 1' "txid $txid" "ledger $1" "del 0 $2" 'end 1' > .cp/journal
	}
	run -0 cpp recover
	# a ledger id no entry has
	journal LED-00000000 "$f"
	mark
	CONTROL_PLANE_TOKEN= run -0 cpp recover
	unchanged
	[ ! -e .cp/journal ] && no_staging
	# the id of a real entry, which does not name this journal's digest
	journal "$(last_event | jq -r .id)" "$f"
	mark
	CONTROL_PLANE_TOKEN= run -0 cpp recover
	unchanged
	[ ! -e .cp/journal ] && no_staging
	# a path out of the plane: refused, nothing done, the journal kept for a look
	journal LED-00000000 ../canary/x
	mark
	CONTROL_PLANE_TOKEN= run -2 cpp recover
	unchanged 0
	[ -f "$C/x" ]
	[ -f .cp/journal ]
	# and every operation refuses while it is there
	run -2 cpp remove PKG-FMWK-100
	unchanged
	[ -f "$f" ]
}

@test "a hostile archive under the registry's own digest (.., absolute, a symlink out and a file through it, a hardlink out, setuid, a device): install refused (exit 2), nothing written" {
	id=PKG-FMWK-200
	run -0 cpp remove $id
	for kind in dotdot absolute symlink hardlink setuid device; do
		python3 - "$S/evil.tgz" "$kind" "$C" <<'PY'
import io, sys, tarfile
out, kind, canary = sys.argv[1:]
def f(t, name, data=b"pwned\n", mode=0o644):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; t.addfile(i, io.BytesIO(data))
with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
    f(t, "frameworks/FMWK-200_ledger_protocol.md", b"the good part\n")
    if kind == "dotdot":
        f(t, "frameworks/../../canary/pwned")
    elif kind == "absolute":
        f(t, canary + "/pwned")
    elif kind == "symlink":
        s = tarfile.TarInfo("frameworks/evil"); s.type = tarfile.SYMTYPE; s.linkname = canary; t.addfile(s)
        f(t, "frameworks/evil/pwned")
    elif kind == "hardlink":
        h = tarfile.TarInfo("frameworks/hl"); h.type = tarfile.LNKTYPE; h.linkname = canary + "/x"; t.addfile(h)
    elif kind == "setuid":
        f(t, "frameworks/suid", b"#!/bin/sh\n", 0o4755)
    elif kind == "device":
        d = tarfile.TarInfo("frameworks/null"); d.type = tarfile.CHRTYPE; d.devmajor = 1; d.devminor = 3; t.addfile(d)
PY
		use_archive $id "$S/evil.tgz"
		mark
		run cpp install $id
		echo "$kind: status $status" >&2
		[ "$status" -eq 2 ]
		refused package_install
		[ ! -e "$C/pwned" ]
		[ ! -e frameworks/FMWK-200_ledger_protocol.md ]
		no_staging
	done
}

@test "a broken archive bigger than the reader's ring, under the registry's own digest: broken (exit 2), not a digest mismatch; a hostile entry after 8 MiB refused (exit 2)" {
	id=PKG-FMWK-200
	run -0 cpp remove $id
	for kind in flipped late-dotdot; do
		python3 - "$S/big.tgz" "$kind" <<'PY'
import io, os, sys, tarfile
out, kind = sys.argv[1:]
def f(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data))
with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
    f(t, "frameworks/FMWK-200_ledger_protocol.md", b"the good part\n")
    f(t, "frameworks/big.bin", os.urandom(8 << 20))
    if kind == "late-dotdot":
        f(t, "frameworks/../../canary/pwned", b"pwned\n")
if kind == "flipped":
    b = bytearray(open(out, "rb").read()); b[len(b) // 2] ^= 0x20; open(out, "wb").write(b)
PY
		use_archive $id "$S/big.tgz"
		mark
		run cpp install $id
		echo "$kind: status $status: $output" >&2
		[ "$status" -eq 2 ]
		[[ "$output" == *"broken or hostile"* || "$output" == *"hostile or broken"* ]]
		[[ "$output" != *"digest mismatch"* ]]
		refused package_install
		[ ! -e frameworks/FMWK-200_ledger_protocol.md ]
		no_staging
	done
}

@test "an external package: installed outside the plane as the ledger says, removed exactly; a moved output_path refuses remove (exit 2)" {
	id=PKG-EXT-HELLO
	ext=$HOME/.local/share/cp-example/ext-hello
	mkdir -p "$ext/../other"
	printf 'mine\n' > "$ext/../other/keep"
	run -0 cpp install $id
	last_is "package_install INSTALL"
	[ "$(last_event | jq -r .metadata.destination)" = "$ext" ]
	[ -x "$ext/bin/cp-hello" ]
	for f in README.md bin/cp-hello; do
		tar -xzOf packages_store/$id.tar.gz "$f" | cmp - "$ext/$f"
		[ "$(last_event | jq -r --arg f "$f" '.metadata.files[] | select(.path == $f) | .sha256')" = "$(sha "$ext/$f")" ]
	done
	(cd "$ext" && sha256sum -c --quiet "$P/installed/$id.sha256")
	grep -qx "destination=$ext" installed/$id.info
	# the row now routes elsewhere: the receipt's destination is not it
	cp registries/packages_registry.csv "$S/reg"
	setrow $id "output_path=$HOME/elsewhere"
	mark
	run -2 cpp remove $id
	refused package_remove
	[ -x "$ext/bin/cp-hello" ]
	cp "$S/reg" registries/packages_registry.csv
	run -0 cpp remove $id
	last_is "package_remove REMOVE"
	[ ! -e "$ext/bin/cp-hello" ]
	[ ! -e "$ext/README.md" ]
	[ ! -e installed/$id.sha256 ]
	[ -f "$ext/../other/keep" ]
	ledger_ok
}

@test "recover: no token needed; nothing to do writes nothing; stale staging goes" {
	unset CONTROL_PLANE_TOKEN
	run -0 cpp recover
	state=$(tree_state "$P")
	run -0 cpp recover
	[ "$(tree_state "$P")" = "$state" ]
	mkdir -p .cp/stage/0123456789abcdef0123456789abcdef/doc_lint
	printf 'half\n' > .cp/stage/0123456789abcdef0123456789abcdef/doc_lint/README.md
	mark
	run -0 cpp recover
	unchanged 0
	no_staging
	# and an operation recovers first
	mkdir -p .cp/stage/fedcba9876543210fedcba9876543210
	CONTROL_PLANE_TOKEN=$(token alice) run -0 cpp install PKG-FMWK-100
	no_staging
}

# ---------------------------------------------------------------------------
# pack's SRC

@test "pack: SRC outside the plane, through a symlink, a directory holding a symlink, under .cp/: refused, nothing packed" {
	mkdir -p "$HOME/.control_plane_v2" .cp
	(umask 077 && printf 'CONTROL_PLANE_SHARED_SECRET=plane-test-secret\n' > "$HOME/.control_plane_v2/secrets.env")
	printf 'state\n' > .cp/x
	cases=(
		"$HOME/.control_plane_v2/secrets.env|PKG-EXT-HELLO"
		"$HOME/.control_plane_v2/secrets.env|PKG-FMWK-100"
		"$HOME/.control_plane_v2|PKG-EXT-HELLO"
		"$C/x|PKG-EXT-HELLO"
		"$C|PKG-EXT-HELLO"
		"../canary/x|PKG-EXT-HELLO"
		"$P/../canary/x|PKG-EXT-HELLO"
		"frameworks/../../canary/x|PKG-FMWK-100"
		"link:frameworks/leak.md|PKG-FMWK-100"
		"link:frameworks/leak.md|PKG-EXT-HELLO"
		"dirlink:examples/out/x|PKG-EXT-HELLO"
		"dirlink:frameworks/out/x|PKG-FMWK-100"
		"inner:examples/ext-hello|PKG-EXT-HELLO"
		"innerdir:examples/ext-hello|PKG-EXT-HELLO"
		"inner:modules/doc_lint|PKG-MOD-DOC-LINT"
		".cp/x|PKG-EXT-HELLO"
		".cp|PKG-EXT-HELLO"
		"$P/.cp/x|PKG-EXT-HELLO"
	)
	for c in "${cases[@]}"; do
		src=${c%|*} id=${c##*|}
		rm -f frameworks/leak.md examples/out frameworks/out examples/ext-hello/leak modules/doc_lint/leak
		case $src in
		link:*) src=${src#link:}; ln -s "$C/x" "$src" ;;
		dirlink:*) src=${src#dirlink:}; ln -s "$C" "${src%/x}" ;;
		inner:*) src=${src#inner:}; ln -s "$C/x" "$src/leak" ;;
		innerdir:*) src=${src#innerdir:}; ln -s "$C" "$src/leak" ;;
		esac
		mark
		run cpp pack "$src" "$id"
		echo "pack $src $id: status $status" >&2
		refused package_pack
		no_staging
		nope grep -rqF plane-test-secret "$P"
		nope grep -qF canary <(for a in packages_store/*.tar.gz; do tar -xzOf "$a"; done)
	done
}

# ---------------------------------------------------------------------------
# injection

@test "injection through make: quotes, \$(...), backquotes, spaces, newlines, a leading - in PKG, SRC, ID never run anything" {
	m=$C/pwned
	payloads=(
		"x'; touch $m; '"
		"\$(touch $m)"
		"\`touch $m\`"
		"a b; touch $m"
		$'x\ntouch '"$m"
		"x\"; touch $m; \""
		"x;touch $m"
		"x|touch $m"
		"x&&touch $m"
		"x\\'; touch $m; #"
		"-x"
		"--force"
		"-C$C"
		"--token=x"
	)
	f=frameworks/FMWK-100_agent_development_standard.md
	for p in "${payloads[@]}"; do
		# a bad id: make fails (2), nothing written, not even the ledger
		for t in install remove update; do
			mark
			run -2 make --no-print-directory -C "$P" $t PKG="$p"
			[ ! -e "$m" ] || { echo "$t PKG=$p ran a command" >&2; false; }
			unchanged 0
		done
		mark
		run -2 make --no-print-directory -C "$P" pack SRC="$f" ID="$p"
		[ ! -e "$m" ] || { echo "pack ID=$p ran a command" >&2; false; }
		unchanged 0
		# a hostile SRC with a good id: refused (ledgered or not), nothing run
		mark
		run -2 make --no-print-directory -C "$P" pack SRC="$p" ID=PKG-EXT-HELLO
		[ ! -e "$m" ] || { echo "pack SRC=$p ran a command" >&2; false; }
		unchanged
	done
}

@test "injection through make: \$(shell ...) in PKG, SRC, ID is not evaluated by make" {
	m=$C/pwned
	p="\$(shell touch $m)"
	for t in install remove update; do
		run make --no-print-directory -C "$P" $t PKG="$p"
		[ ! -e "$m" ] || { echo "$t PKG=$p ran a command" >&2; false; }
	done
	run make --no-print-directory -C "$P" pack SRC=frameworks ID="$p"
	[ ! -e "$m" ] || { echo "pack ID=$p ran a command" >&2; false; }
	run make --no-print-directory -C "$P" pack SRC="$p" ID=PKG-FMWK-100
	[ ! -e "$m" ] || { echo "pack SRC=$p ran a command" >&2; false; }
}

@test "a bad ID given to cp-plane directly: exit 2, nothing written, not even the ledger or .cp" {
	m=$C/pwned
	long=$(printf 'a%.0s' $(seq 1 201))
	ids=("" . .. -x ../x a/b "a b" $'a\nb' "x'y" "\$(touch $m)" "\`touch $m\`" "$long" 'a\b' $'a\037b' $'a\tb' "é" "a:b" "/etc/passwd" "PKG-FMWK-100/")
	state=$(tree_state "$P")
	out=$(outside)
	for id in "${ids[@]}"; do
		for t in install remove update; do
			run -2 cpp $t "$id"
			run -2 cpp -- $t "$id"
		done
		run -2 cpp pack frameworks/FMWK-100_agent_development_standard.md "$id"
		run -2 cpp -- pack frameworks/FMWK-100_agent_development_standard.md "$id"
		[ "$(tree_state "$P")" = "$state" ] || { echo "id '$id' wrote into the plane" >&2; diff <(echo "$state") <(tree_state "$P") >&2; false; }
	done
	[ "$(outside)" = "$out" ]
	[ ! -e "$m" ]
	# 200 bytes is a good id: no such package, a negative answer
	run -1 cpp install "${long:1}"
}

# ---------------------------------------------------------------------------
# the registry

@test "control characters in registry fields (\\037, a newline in a quoted field) of output_type, output_path, digest: install refused, nothing installed anywhere" {
	id=PKG-FMWK-200
	run -0 cpp remove $id
	cp registries/packages_registry.csv "$S/reg"
	d=$(pkg_field $id digest)
	cases=(
		"digest=$d"$'\037'
		"digest=$d"$'\n'
		"digest="$'\n'"$d"
		"output_type=extension"$'\037'
		"output_type=extension"$'\n'"external"
		"output_type=module|output_path=frameworks"$'\037'"x"
		"output_type=module|output_path=plug"$'\n'"ins"
		"output_type=external|output_path=$C/ext"$'\037'
		"output_type=external|output_path=$C/ext"$'\n'"$C"
		"output_type=external|output_path=$HOME/ext"$'\r'
	)
	for c in "${cases[@]}"; do
		cp "$S/reg" registries/packages_registry.csv
		mapfile -d '|' -t sets < <(printf '%s' "$c")
		setrow $id "${sets[@]}"
		mark
		run cpp install $id
		echo "$(printf '%q' "$c"): status $status" >&2
		refused package_install
		[ ! -e frameworks/FMWK-200_ledger_protocol.md ]
		[ ! -e installed/$id.sha256 ]
		no_staging
	done
	# a name holding \037 that would shift the fields read after it into an
	# external destination (what mk/plane.sh's IFS=$'\037' read did): nothing outside
	cp "$S/reg" registries/packages_registry.csv
	setrow $id "name=a"$'\037'"1.0.0"$'\037'"tool"$'\037'"packages_store/$id.tar.gz"$'\037'"$d"$'\037'"external"$'\037'"$C"
	mark
	run cpp install $id
	no_signal
	outside_unchanged
	ledger_ok
	[ -z "$(ls -A "$C" | grep -v -e '^x$' -e '^sub$' -e '^run.sh$')" ]
}

# ---------------------------------------------------------------------------
# symlinked plane directories

@test "symlinked output_path of a module (the path itself, a directory on its way): install refused (exit 2), nothing written through the link" {
	for op in plugins modules/lnk/plug; do
		make_plane
		run -0 cpp remove PKG-MOD-DOC-LINT
		setrow PKG-MOD-DOC-LINT "output_path=$op"
		mkdir -p "$C/tgt" modules
		case $op in
		plugins) ln -s "$C/tgt" plugins ;;
		*) ln -s "$C/tgt" modules/lnk ;;
		esac
		mark
		run -2 cpp install PKG-MOD-DOC-LINT
		refused package_install
		[ -z "$(ls -A "$C/tgt")" ]
	done
}

@test "modules/ a symlink: install into it and remove from it refused (exit 2), nothing written or deleted through it" {
	run -0 cpp remove PKG-MOD-DOC-LINT
	mkdir -p modules
	mv modules "$C/mods"
	ln -s "$C/mods" modules
	mark
	run -2 cpp install PKG-MOD-DOC-LINT
	refused package_install
	make_plane
	mv modules "$C/mods2"
	ln -s "$C/mods2" modules
	for op in remove "--force remove" "--force install"; do
		mark
		run -2 cpp $op PKG-MOD-DOC-LINT
		refused "package_${op##* }"
		[ -f "$C/mods2/doc_lint/README.md" ]
	done
}

@test "installed/ a symlink: remove and install refused (exit 2), no receipt read, written or deleted through it" {
	run -0 cpp remove PKG-FMWK-200
	mv installed "$C/inst"
	ln -s "$C/inst" installed
	for op in remove "--force remove"; do
		mark
		run -2 cpp $op PKG-FMWK-100
		refused package_remove
		[ -f frameworks/FMWK-100_agent_development_standard.md ]
		[ -f "$C/inst/PKG-FMWK-100.sha256" ]
	done
	mark
	run -2 cpp install PKG-FMWK-200
	refused package_install
	[ ! -e "$C/inst/PKG-FMWK-200.sha256" ]
}

@test "packages_store/ a symlink: install and pack refused (exit 2), no archive read or written through it" {
	run -0 cpp remove PKG-FMWK-200
	mv packages_store "$C/store"
	ln -s "$C/store" packages_store
	mark
	run -2 cpp install PKG-FMWK-200
	refused package_install
	echo "A new rule." >> frameworks/FMWK-100_agent_development_standard.md
	mark
	run -2 cpp pack frameworks/FMWK-100_agent_development_standard.md PKG-FMWK-100
	refused package_pack
}

@test "frameworks/ (a directory on the way to installed files) a symlink: remove, install refused (exit 2), nothing deleted or written through it" {
	run -0 cpp remove PKG-FMWK-200
	mv frameworks "$C/fw"
	ln -s "$C/fw" frameworks
	for op in "--force remove" "--force install" remove; do
		mark
		run -2 cpp $op PKG-FMWK-300
		refused "package_${op##* }"
		[ -f "$C/fw/FMWK-300_package_standard.md" ]
	done
	mark
	run -2 cpp install PKG-FMWK-200
	refused package_install
	[ ! -e "$C/fw/FMWK-200_ledger_protocol.md" ]
}

@test ".cp/ a symlink: every operation refused (exit 2), no lock, journal or staging through it" {
	mkdir "$C/cpst"
	ln -s "$C/cpst" .cp
	for op in "remove PKG-FMWK-300" "install PKG-FMWK-300" "pack frameworks/FMWK-300_package_standard.md PKG-FMWK-300" recover manifest; do
		mark
		run -2 cpp $op
		unchanged
		[ "$(ledger_n)" -le $((before_n + 1)) ]
		[ -z "$(ls -A "$C/cpst")" ]
	done
	[ -f frameworks/FMWK-300_package_standard.md ]
}

@test "registries/ a symlink: remove refused (exit 2), nothing read or written through it" {
	mv registries "$C/reg"
	ln -s "$C/reg" registries
	for op in remove install; do
		mark
		run -2 cpp $op PKG-FMWK-300
		unchanged
		[ "$(ledger_n)" -le $((before_n + 1)) ]
	done
	[ -f frameworks/FMWK-300_package_standard.md ]
}

@test "ledger/ a symlink: refused (exit 2), nothing appended through it, nothing done" {
	mv ledger "$C/led"
	ln -s "$C/led" ledger
	mark
	run -2 cpp remove PKG-FMWK-300
	outside_unchanged
	[ "$(snapshot)" = "$before_plane" ]
	[ -f frameworks/FMWK-300_package_standard.md ]
	# a denial is not appended through it either
	CONTROL_PLANE_TOKEN=$(token guest) run cpp remove PKG-FMWK-300
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
	outside_unchanged
	[ "$(snapshot)" = "$before_plane" ]
	rm ledger
	mv "$C/led" ledger
	ledger_ok
}

# ---------------------------------------------------------------------------
# external destinations

@test "an external output_path inside the plane (absolute, //, /./, .., ~, \$VAR, through a symlink, relative): refused" {
	id=PKG-EXT-HELLO
	export CPT_PLANE=$P CPT_UP=$T
	ln -s "$P" "$C/into"
	for out in "$P/frameworks" "$P" "$P/" "/$P/./frameworks" "$T/./plane//frameworks" "$T/home/../plane/frameworks" \
		"~/../plane/frameworks" '${CPT_PLANE}/frameworks' '$CPT_PLANE' '$CPT_UP/plane/ext' \
		"$C/into/frameworks" "$C/into" frameworks "plane/frameworks" "$P/.cp/ext" "$P/installed"; do
		setrow $id "output_path=$out"
		mark
		run cpp install $id
		echo "output_path=$out: status $status" >&2
		refused package_install
		[ ! -e README.md ]
		[ ! -e bin ]
		[ ! -e frameworks/bin ]
		[ ! -e installed/$id.sha256 ]
		no_staging
	done
}

# ---------------------------------------------------------------------------
# many files, odd names

@test "3000 files and names holding '\\' and a newline: install, ledger files, sha256sum -c, pack, remove exactly them" {
	id=PKG-MOD-DOC-LINT
	run -0 cpp remove $id
	mkdir -p modules
	printf 'not ours\n' > modules/keep.md
	python3 - "$S/big.tgz" "$S/want.json" <<'EOF'
import hashlib, io, json, sys, tarfile
names = ["doc_lint/f%04d.md" % i for i in range(3000)]
names += ["doc_lint/back\\slash.md", "doc_lint/new\nline.md", "doc_lint/sub/dir/both\\\nand\\n.md"]
files = {n: ("file %s\n" % n).encode() for n in names}
dirs = sorted({"/".join(n.split("/")[:i]) for n in names for i in range(1, n.count("/") + 1)})
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as t:
    for d in dirs:
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    for n in sorted(names):
        i = tarfile.TarInfo(n); i.size = len(files[n]); i.mode = 0o644
        t.addfile(i, io.BytesIO(files[n]))
json.dump([{"path": n, "sha256": hashlib.sha256(files[n]).hexdigest()} for n in names], open(sys.argv[2], "w"))
EOF
	want=$(jq -cS 'sort_by(.path)' "$S/want.json")
	use_archive $id "$S/big.tgz"
	run -0 cpp install $id
	last_is "package_install INSTALL"
	[ "$(last_event | jq -cS '.metadata.files | sort_by(.path)')" = "$want" ]
	ledger_ok
	# the receipt: sha256sum -c passes, and it names exactly those files
	(cd modules && sha256sum -c --quiet ../installed/$id.sha256)
	[ "$(wc -l < installed/$id.sha256)" -eq 3003 ]
	python3 - installed/$id.sha256 "$S/want.json" <<'EOF'
import json, sys
got = []
for line in open(sys.argv[1], "rb").read().decode().split("\n")[:-1]:
    if line.startswith("\\"):
        h, p = line[1:65], line[67:]
        out, i = "", 0
        while i < len(p):
            if p[i] == "\\":
                out += {"\\": "\\", "n": "\n", "r": "\r"}[p[i + 1]]; i += 2
            else:
                out += p[i]; i += 1
        p = out
    else:
        h, p = line[:64], line[66:]
    got.append({"path": p, "sha256": h})
want = json.load(open(sys.argv[2]))
key = lambda e: e["path"]
assert sorted(got, key=key) == sorted(want, key=key), "receipt differs"
EOF
	[ -f $'modules/doc_lint/new\nline.md' ]
	[ -f 'modules/doc_lint/back\slash.md' ]
	[ "$(find modules/doc_lint -type f -printf x | wc -c)" -eq 3003 ]
	# pack them back: the archive holds exactly those names (Python's tarfile)
	run --separate-stderr -0 cpp pack modules/doc_lint $id
	d=$(sha packages_store/$id.tar.gz)
	[ "$output" = "$d  packages_store/$id.tar.gz" ]
	[ "$(pkg_field $id digest)" = "$d" ]
	python3 - packages_store/$id.tar.gz "$S/want.json" <<'EOF'
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    got = sorted((m.name, hashlib.sha256(t.extractfile(m).read()).hexdigest()) for m in t if m.isfile())
want = sorted((e["path"], e["sha256"]) for e in json.load(open(sys.argv[2])))
assert got == want, "archive differs"
EOF
	# remove: exactly those files, the directories they leave empty, nothing else
	run -0 cpp remove $id
	last_is "package_remove REMOVE"
	[ "$(last_event | jq -cS '.metadata.files | sort_by(.path)')" = "$want" ]
	[ ! -e modules/doc_lint ]
	[ -f modules/keep.md ]
	[ ! -e installed/$id.sha256 ]
	ledger_ok
}

# ---------------------------------------------------------------------------
# authorization

@test "make manifest without a token, with a maintainer's or a reader's: denied (make 2, cp-plane 1), ledgered, MANIFEST.json unchanged; alice's is ledgered" {
	run -0 mk manifest
	last_is "manifest_update MANIFEST"
	jq -e '.merkle_root | test("^[0-9a-f]{64}$")' MANIFEST.json
	cp MANIFEST.json "$S/manifest"
	# a change a new manifest would state
	echo "A new rule." >> frameworks/FMWK-100_agent_development_standard.md
	mark
	CONTROL_PLANE_TOKEN= run -2 make --no-print-directory -C "$P" manifest
	unchanged 1
	last_is "authz_denied DENIED"
	mark
	CONTROL_PLANE_TOKEN= run -1 mk manifest
	unchanged 1
	for u in ci guest; do
		mark
		CONTROL_PLANE_TOKEN=$(token $u) run -1 mk manifest
		unchanged 1
		last_is "authz_denied DENIED"
		[ "$(last_event | jq -r '.metadata.user + " " + .metadata.action')" = "$u hash_update" ]
		mark
		CONTROL_PLANE_TOKEN=$(token $u) run -1 cpp manifest
		unchanged 1
		last_is "authz_denied DENIED"
	done
	cmp MANIFEST.json "$S/manifest"
	run -0 mk manifest
	last_is "manifest_update MANIFEST"
	[ "$(last_event | jq -r .metadata.user)" = alice ]
	nope cmp -s MANIFEST.json "$S/manifest"
	ledger_ok
}

@test "a denial says who may not do what: 'cp-plane: denied: USER may not ACTION (roles R)', ledgered, nothing else" {
	run -0 cpp remove PKG-FMWK-200
	mark
	CONTROL_PLANE_TOKEN=$(token guest) run --separate-stderr -1 cpp install PKG-FMWK-200
	[[ "$stderr" == *"cp-plane: denied: guest may not install (roles reader)"* ]]
	[ -z "$output" ]
	unchanged 1
	last_is "authz_denied DENIED"
	[ "$(last_event | jq -r '.metadata.user + " " + .metadata.action')" = "guest install" ]
	mark
	CONTROL_PLANE_TOKEN=$(token audit) run --separate-stderr -1 cpp remove PKG-FMWK-100
	[[ "$stderr" == *"cp-plane: denied: audit may not remove (roles auditor)"* ]]
	unchanged 1
	mark
	CONTROL_PLANE_TOKEN=$(token guest) run --separate-stderr -1 cpp pack frameworks/FMWK-100_agent_development_standard.md PKG-FMWK-100
	[[ "$stderr" == *"cp-plane: denied: guest may not pack (roles reader)"* ]]
	unchanged 1
	mark
	CONTROL_PLANE_TOKEN=$(token ci) run --separate-stderr -1 cpp manifest
	[[ "$stderr" =~ "cp-plane: denied: ci may not "(hash_update|manifest)" (roles maintainer)" ]]
	unchanged 1
	mark
	CONTROL_PLANE_TOKEN= run --separate-stderr -1 cpp install PKG-FMWK-200
	# (the contract's example: "cp-plane: denied: no token")
	[[ "$stderr" == *"cp-plane: denied: "*"no token"* ]]
	unchanged 1
	last_is "authz_denied DENIED"
	# a token made with another secret: invalid, and never echoed
	bad=alice:$(printf alice | openssl dgst -sha256 -hmac other-secret | sed 's/.*= //')
	mark
	CONTROL_PLANE_TOKEN=$bad run --separate-stderr -1 cpp install PKG-FMWK-200
	[[ "$stderr" == *"cp-plane: denied: "*alice*install*"invalid token"* ]]
	[[ "$stderr" != *"${bad#alice:}"* ]]
	unchanged 1
	nope grep -qF "${bad#alice:}" ledger/governance.jsonl
	nope grep -qF plane-test-secret ledger/governance.jsonl
	# --json: one object saying so
	CONTROL_PLANE_TOKEN=$(token guest) run --separate-stderr -1 cpp --json install PKG-FMWK-200
	jq -e '.status == "denied" and .exit == 1 and .changed == false and .user == "guest"' <<< "$output"
	# the token from a file, and from standard input
	token guest > "$S/tok"
	CONTROL_PLANE_TOKEN= run --separate-stderr -1 cpp --token-file "$S/tok" install PKG-FMWK-200
	[[ "$stderr" == *"cp-plane: denied: guest may not install (roles reader)"* ]]
	CONTROL_PLANE_TOKEN= run -0 cpp --token-file - install PKG-FMWK-200 < <(token alice)
	last_is "package_install INSTALL"
	ledger_ok
}

# ---------------------------------------------------------------------------
# no stuck states

@test "no stuck states: a missing or changed file names itself and --force reinstalls; remove of a partly gone package finishes" {
	f=frameworks/FMWK-300_package_standard.md
	rm "$f"
	mark
	run --separate-stderr -1 cpp install PKG-FMWK-300
	[[ "$stderr" == *"$f"* ]]
	[[ "$stderr" == *--force* ]]
	refused package_install
	run --separate-stderr -1 cpp --json install PKG-FMWK-300
	[ "$(jq -c .missing <<< "$output")" = "[\"$f\"]" ]
	run -0 cpp --force install PKG-FMWK-300
	last_is "package_install INSTALL"
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	sha256sum -c --quiet installed/PKG-FMWK-300.sha256
	# changed bytes
	echo "edited" >> "$f"
	mark
	run --separate-stderr -1 cpp install PKG-FMWK-300
	[[ "$stderr" == *"$f"* ]]
	refused package_install
	run --separate-stderr -1 cpp --json install PKG-FMWK-300
	[ "$(jq -c .changed_files <<< "$output")" = "[\"$f\"]" ]
	run -0 cpp --force install PKG-FMWK-300
	tar -xzOf packages_store/PKG-FMWK-300.tar.gz "$f" | cmp - "$f"
	# remove with a file already gone: the rest and the receipt go, exit 0
	rm modules/doc_lint/README.md
	run --separate-stderr -0 cpp remove PKG-MOD-DOC-LINT
	[[ "$stderr" == *doc_lint/README.md* ]]
	last_is "package_remove REMOVE"
	[ ! -e modules/doc_lint ]
	[ ! -e installed/PKG-MOD-DOC-LINT.sha256 ]
	[ ! -e installed/PKG-MOD-DOC-LINT.info ]
	run -0 cpp install PKG-MOD-DOC-LINT
	(cd modules && sha256sum -c --quiet ../installed/PKG-MOD-DOC-LINT.sha256)
	# remove with a changed file: refused, then --force
	g=frameworks/FMWK-100_agent_development_standard.md
	echo "edited" >> "$g"
	mark
	run --separate-stderr -1 cpp remove PKG-FMWK-100
	[[ "$stderr" == *"$g"* ]]
	refused package_remove
	run -0 cpp --force remove PKG-FMWK-100
	[ ! -e "$g" ]
	[ ! -e installed/PKG-FMWK-100.sha256 ]
	last_is "package_remove REMOVE"
	ledger_ok
}

# ---------------------------------------------------------------------------
# races and crashes

@test "the archive's digest is of the bytes extracted: an archive swapped under install never installs under the good digest" {
	id=PKG-FMWK-300
	f=frameworks/FMWK-300_package_standard.md
	good=$S/good.tgz bad=$S/bad.tgz
	cp packages_store/$id.tar.gz "$good"
	tar -xzOf "$good" "$f" > "$S/want"
	mktar "$bad" "$f" $'SWAPPED: not the bytes the registry names\n'
	dgood=$(sha "$good")
	out=$(outside)
	# swap the archive by rename, between two prebuilt files, as fast as it goes
	python3 - "$good" "$bad" "$P/packages_store/$id.tar.gz" "$S" <<'EOF' 3>&- > /dev/null 2>&1 &
import os, random, sys, time
good, bad, target, tmp = sys.argv[1:]
while True:
    for src in (good, bad):
        t = os.path.join(tmp, "swap.tmp")
        try: os.unlink(t)
        except FileNotFoundError: pass
        os.link(src, t)
        os.rename(t, target)
        time.sleep(random.random() * 0.002)
EOF
	echo $! > "$S/race.pid"
	ok=0 no=0 n0=$(ledger_n)
	for i in $(seq 1 25); do
		rm -f "$f"
		n=$(ledger_n)
		run cpp --force install $id
		no_signal
		if [ "$status" -eq 0 ]; then
			ok=$((ok + 1))
			cmp "$f" "$S/want"
			last_is "package_install INSTALL"
			[ "$(last_event | jq -r .metadata.digest)" = "$dgood" ]
		else
			no=$((no + 1))
			[ "$status" -eq 1 ] || [ "$status" -eq 2 ]
			[ ! -e "$f" ]
			[ "$(ledger_n)" -eq $((n + 1)) ]
		fi
		if [ -e "$f" ]; then nope grep -q SWAPPED "$f"; fi
		no_staging
	done
	kill "$(cat "$S/race.pid")"; wait "$(cat "$S/race.pid")" || true; rm -f "$S/race.pid"
	echo "installed $ok, refused $no" >&2
	[ "$ok" -ge 1 ]
	[ "$(outside)" = "$out" ]
	ledger_ok
	# every install of this run (the example plane's own history aside) names the good digest
	[ "$(tail -n +$((n0 + 1)) ledger/governance.jsonl | jq -r 'select(.event_type == "package_install" and .decision == "INSTALL" and .metadata.package_id == "PKG-FMWK-300") | .metadata.digest' \
		| sort -u)" = "$dgood" ]
}

@test "SIGKILL at any moment of install, update, remove, pack: recovery leaves each package whole or absent, one ledger entry per change" {
	id=PKG-MOD-DOC-LINT
	doc_lint_b
	cp packages_store/$id.tar.gz "$S/A.tgz"
	dA=$(sha "$S/A.tgz") dB=$(sha "$S/B.tgz")
	# each version's files and hashes, by GNU tar and sha256sum
	for v in A B; do
		mkdir "$S/x$v"
		tar -xzf "$S/$v.tgz" -C "$S/x$v"
		(cd "$S/x$v" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) > "$S/sums$v"
		cut -c67- "$S/sums$v" > "$S/files$v"
	done
	# what the plane holds of the package: none, A, B, A-broken, B-broken, or "bad: ..."
	state() {
		local d v
		if [ -e installed/$id.sha256 ] || [ -e installed/$id.info ]; then
			[ -f installed/$id.sha256 ] && [ -f installed/$id.info ] || { echo "bad: half a receipt"; return; }
			d=$(sed -n 's/^digest=//p' installed/$id.info)
			case $d in
			"$dA") v=A ;;
			"$dB") v=B ;;
			*) echo "bad: receipt digest '$d'"; return ;;
			esac
			cmp -s <(LC_ALL=C sort installed/$id.sha256) <(LC_ALL=C sort "$S/sums$v") ||
				{ echo "bad: receipt of $v is not its archive's"; return; }
			[ "$(cd modules && find doc_lint -type f | LC_ALL=C sort)" = "$(LC_ALL=C sort "$S/files$v")" ] ||
				{ [ "$(cd modules && find doc_lint -type f | LC_ALL=C sort)" = "$(grep -v README "$S/files$v" | LC_ALL=C sort)" ] &&
					echo "$v-broken" || echo "bad: files of $v missing or stray"; return; }
			(cd modules && sha256sum -c --quiet ../installed/$id.sha256 > /dev/null 2>&1) || { echo "bad: files of $v changed"; return; }
			echo "$v"
		else
			[ ! -e modules/doc_lint ] || { echo "bad: files without a receipt"; return; }
			echo none
		fi
	}
	changes() { grep -c '"decision": "\(INSTALL\|UPDATE\|REMOVE\)"' ledger/governance.jsonl || true; }
	packs() { grep -c '"decision": "PACK"' ledger/governance.jsonl || true; }
	clean() {
		[ ! -e .cp/journal ] || { echo ".cp/journal left"; return 1; }
		no_staging || return 1
		[ -z "$(find installed packages_store registries -name '.*' ! -name '*.lock')" ] ||
			{ echo "temporary files left: $(find installed packages_store registries -name '.*' ! -name '*.lock')"; return 1; }
		ledger_ok
	}
	fail() { echo "trial $i: $op: $s0 -> $s1, status $rc: $*" >&2; return 1; }
	# killat USEC ARGS: cp-plane ARGS, sent SIGKILL after USEC microseconds
	# (status 137) unless done before (a subshell keeps bash's "Killed" quiet)
	killat() { (timeout -s KILL "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" "$CPP" -C "$P" "${@:2}"; exit $?) > /dev/null 2>&1; }
	# what a kill left for recovery: a journal (committed or not), staging
	left() {
		[ ! -e .cp/journal ] || journals=$((journals + 1))
		[ -z "$(ls -A .cp/stage 2> /dev/null)" ] || stages=$((stages + 1))
	}
	usec() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null 2>&1 || true; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }

	# how long an operation takes here: kills land anywhere in 0..span
	# (the fastest of three runs of each, the slower of the two)
	r=999999999 s=999999999
	for k in 1 2 3; do
		t=$(usec cpp remove $id); [ "$t" -ge "$r" ] || r=$t
		t=$(usec cpp install $id); [ "$t" -ge "$s" ] || s=$t
	done
	span=$((r > s ? r : s))
	span=$((span * 5 / 4 + 1000))
	echo "span ${span}us" >&2
	[ "$(state)" = A ]
	out=$(outside)

	# CI runs a sample (both builds); CP_PLANE_KILL_TRIALS=N runs more, and
	# `make crash-trials TRIALS=N` is the long run of every writer
	nt=${CP_PLANE_KILL_TRIALS:-36} np=$((${CP_PLANE_KILL_TRIALS:-36} / 3))
	killed=0 done=0 i=0 journals=0 stages=0 forward=0
	for i in $(seq 1 "$nt"); do
		s0=$(state)
		case $s0 in
		none)
			op=install
			if [ $((RANDOM % 2)) -eq 0 ]; then use_archive $id "$S/A.tgz"; else use_archive $id "$S/B.tgz"; fi ;;
		A | B)
			case $((RANDOM % 3)) in
			0) op=remove ;;
			1) op=update
				if [ $s0 = A ]; then use_archive $id "$S/B.tgz"; else use_archive $id "$S/A.tgz"; fi ;;
			2) op="--force install"
				use_archive $id "$S/$s0.tgz"
				rm modules/doc_lint/README.md
				s0=$s0-broken ;;
			esac ;;
		*-broken) op="--force install" ;;
		*) fail "a bad state before the trial" ;;
		esac
		[ "$(state)" = "$s0" ] || fail "state before: $(state)"
		n0=$(changes)
		us=$(((RANDOM * 32768 + RANDOM) % span + 1))
		rc=0
		killat "$us" $op $id || rc=$?
		case $rc in
		0) done=$((done + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*) s1=?; fail "status $rc" ;;
		esac
		left
		# recovery: cp-plane recover, or (one time in four) the next operation
		if [ $((RANDOM % 4)) -eq 0 ]; then
			cpp install PKG-FMWK-300 > /dev/null 2>&1 || { s1=?; fail "the next operation failed"; }
		else
			cpp recover > /dev/null 2>&1 || { s1=?; fail "recover failed"; }
		fi
		s1=$(state)
		msg=$(clean) || fail "$msg"
		n1=$(changes)
		case $s0:$s1 in
		none:none | A:A | B:B | A-broken:A-broken | B-broken:B-broken) want=0 ;;
		none:A | none:B | A-broken:A | B-broken:B) want=1 dec=INSTALL ;;
		A:none | B:none) want=1 dec=REMOVE ;;
		A:B | B:A) want=1 dec=UPDATE ;;
		*) fail "not a state this operation leads to" ;;
		esac
		[ "$((n1 - n0))" -eq "$want" ] || fail "$((n1 - n0)) ledger entries, want $want"
		if [ "$want" -eq 1 ]; then
			[ "$(last_event | jq -r .decision)" = "$dec" ] || fail "last entry $(last_event | jq -r .decision), want $dec"
		fi
		[ "$rc" -ne 0 ] || [ "$s1" != "$s0" ] || fail "exit 0 and nothing changed"
		[ "$rc" -ne 137 ] || [ "$s1" = "$s0" ] || forward=$((forward + 1))
	done

	# pack, killed: archive, sidecar and registry agree, one entry per digest change
	p=PKG-FMWK-100 f=frameworks/FMWK-100_agent_development_standard.md
	op=pack s0=- s1=-
	span=$(usec cpp pack "$f" $p)
	span=$((span * 5 / 4 + 1000))
	for i in $(seq $((nt + 1)) $((nt + np))); do
		d0=$(pkg_field $p digest)
		k0=$(packs)
		printf 'trial %d\n' "$i" >> "$f"
		us=$(((RANDOM * 32768 + RANDOM) % span + 1))
		rc=0
		killat "$us" pack "$f" $p || rc=$?
		case $rc in
		0) done=$((done + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*) fail "status $rc" ;;
		esac
		left
		cpp recover > /dev/null 2>&1 || fail "recover failed"
		msg=$(clean) || fail "$msg"
		d1=$(pkg_field $p digest)
		[ "$(sha packages_store/$p.tar.gz)" = "$d1" ] || fail "archive $(sha packages_store/$p.tar.gz), registry $d1"
		[ "$(cut -c1-64 packages_store/$p.tar.gz.sha256)" = "$d1" ] || fail "sidecar $(cut -c1-64 packages_store/$p.tar.gz.sha256), registry $d1"
		k1=$(packs)
		if [ "$d1" != "$d0" ]; then
			[ $((k1 - k0)) -eq 1 ] || fail "digest changed, $((k1 - k0)) pack entries"
			tar -xzOf packages_store/$p.tar.gz "$f" | cmp -s - "$f" || fail "the archive is not the source"
		else
			[ $((k1 - k0)) -eq 0 ] || fail "digest unchanged, $((k1 - k0)) pack entries"
			[ "$rc" -ne 0 ] || fail "exit 0, nothing packed"
		fi
	done
	echo "killed $killed, completed $done; left for recovery: $journals journals, $stages staging; $forward killed operations took effect" >&2
	[ "$(outside)" = "$out" ]
	# kills land anywhere in 0..5/4 of an operation's time: most kill, some finish
	[ "$killed" -ge $(((nt + np) / 5)) ]
	[ "$done" -ge 2 ]
	[ $((journals + stages)) -ge 3 ]
}

@test "a Python pack naming a file twice: installed when both copies are the same bytes, refused when not" {
	id=PKG-FMWK-300
	f=frameworks/FMWK-300_package_standard.md
	run -0 cpp --force remove $id	# --force: PKG-MOD-DOC-LINT depends on it (issue 20)
	for mode in same other; do
		python3 - "$f" "$mode" <<'PY'
import io, sys, tarfile
f, mode = sys.argv[1:]
data = open("packages_store/PKG-FMWK-300.tar.gz", "rb")
with tarfile.open(fileobj=data) as t:
    body = t.extractfile(f).read()
with tarfile.open("packages_store/PKG-FMWK-300.tar.gz", "w:gz") as t:
    for b in (body, body if mode == "same" else body + b"changed\n"):
        i = tarfile.TarInfo(f); i.size = len(b); t.addfile(i, io.BytesIO(b))
PY
		rm -f packages_store/$id.tar.gz.sha256
		setrow $id "digest=$(sha packages_store/$id.tar.gz)"
		if [ "$mode" = same ]; then
			run -0 cpp install $id
			# one file, the bytes Python's tarfile reads for its last copy
			[ "$(wc -l < installed/$id.sha256)" -eq 1 ]
			python3 -c 'import sys, tarfile
t = tarfile.open("packages_store/PKG-FMWK-300.tar.gz")
assert t.extractfile(t.getmember(sys.argv[1])).read() == open(sys.argv[1], "rb").read()' "$f"
			run -0 cpp --force remove $id	# --force: PKG-MOD-DOC-LINT depends on it (issue 20)
		else
			run --separate-stderr -2 cpp install $id
			[[ "$stderr" == *"named twice, with other bytes"* ]]
			[ ! -e "$f" ]
		fi
	done
	ledger_ok
}

# ---------------------------------------------------------------------------
# found by an attack review: each fails without its fix

@test "review: a forged journal and a self-appended entry naming each other never make recovery write outside the plane" {
	echo original > "$C/x"
	tx=0123456789abcdef0123456789abcdef
	mkdir -p .cp/stage/$tx
	printf 'pwned\n' > .cp/stage/$tx/s1
	h=$(sha256sum < .cp/stage/$tx/s1 | cut -c1-64)
	printf 'cp-journal 1\ntxid %s\nledger LED-deadbeef\nroot %s\nput 1 %s s1\nto x\nend 1\n' $tx "$C" "$h" > .cp/journal
	jd=$(sha256sum < .cp/journal | cut -c1-64)
	printf '{"event_type":"x","submission_id":"X","decision":"INSTALL","reason":"x","metadata":{"journal":"%s"}}' "$jd" |
		"$REPO/bin/cp-ledger" -C "$P" append -q --id LED-deadbeef
	out=$(outside)
	unset CONTROL_PLANE_TOKEN
	run --separate-stderr -2 cpp recover
	[[ "$stderr" == *"would write outside the plane"* ]]
	[ "$(cat "$C/x")" = original ]
	[ "$(outside)" = "$out" ]
}

@test "review: a receipt that lists the plane's own state is forged: remove and update delete nothing" {
	printf '%s  registries/roles.csv\n%s  ledger/governance.jsonl\n' \
		"$(sha registries/roles.csv)" "$(sha ledger/governance.jsonl)" >> installed/PKG-FMWK-100.sha256
	before=$(snapshot)
	run --separate-stderr -2 cpp remove PKG-FMWK-100
	[[ "$stderr" == *"inside the plane's"*"forged receipt"* ]]
	run -2 cpp --force remove PKG-FMWK-100
	run -2 cpp --force install PKG-FMWK-100
	[ -f registries/roles.csv ] && [ "$(snapshot)" = "$before" ]
	ledger_ok
}

@test "review: a file name under SRC never becomes make syntax, and the pack stamp is never written through a symlink" {
	touch 'modules/doc_lint/x;touch PWNED-BY-NAME #' modules/doc_lint/x
	run mk pack SRC=modules/doc_lint ID=PKG-MOD-DOC-LINT
	[ ! -e PWNED-BY-NAME ] && [ ! -e modules/doc_lint/PWNED-BY-NAME ]
	rm -f 'modules/doc_lint/x;touch PWNED-BY-NAME #' modules/doc_lint/x
	echo precious > "$C/stamp"
	mkdir -p .cp/pack
	ln -s "$C/stamp" .cp/pack/PKG-FMWK-200.stamp
	echo '# edit' >> frameworks/FMWK-200_ledger_protocol.md
	run -0 mk pack SRC=frameworks/FMWK-200_ledger_protocol.md ID=PKG-FMWK-200
	[ "$(cat "$C/stamp")" = precious ]
	[ ! -L .cp/pack/PKG-FMWK-200.stamp ] && [ "$(cat .cp/pack/PKG-FMWK-200.stamp)" = frameworks/FMWK-200_ledger_protocol.md ]
	# make's switches are taken literally too
	mk install PKG=PKG-FMWK-100 "FORCE=\$(shell touch $C/pwn-force)" JSON="\$(shell touch $C/pwn-json)" || true
	[ ! -e "$C/pwn-force" ] && [ ! -e "$C/pwn-json" ]
}

@test "review: an external output_path cannot copy a secret variable into the ledger or the output" {
	export GITHUB_TOKEN=ghp_SuperSecretValue
	setrow PKG-EXT-HELLO 'output_path=${GITHUB_TOKEN}'
	run --separate-stderr -2 cpp install PKG-EXT-HELLO
	[[ "$stderr" == *'may not be expanded'* ]]
	setrow PKG-EXT-HELLO 'output_path=/tmp/x${GITHUB_TOKEN}'
	run --separate-stderr -2 cpp --json install PKG-EXT-HELLO
	run grep -rq ghp_SuperSecretValue ledger "$C" "$HOME"
	[ "$status" -eq 1 ]
	[[ "$output$stderr" != *ghp_SuperSecretValue* ]]
	[ ! -e /tmp/xghp_SuperSecretValue ]
}

@test "no *.lock file is left in registries/: a step and cp-regrow -i both hold the plane's lock, .cp/plane.lock" {
	run --separate-stderr -0 cpp remove PKG-MOD-DOC-LINT
	run --separate-stderr -0 cpp install PKG-MOD-DOC-LINT
	run -0 cp-regrow -i registries/packages_registry.csv set PKG-FMWK-200 version=1.0.0
	[ -z "$(find registries -name '*.lock')" ]
	# the lock they share: held by another process, cp-regrow -i waits for it
	flock .cp/plane.lock sleep 1 & sleep 0.3
	start=$(date +%s%N)
	run -0 cp-regrow -i registries/packages_registry.csv set PKG-FMWK-200 version=1.0.0
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 300 ]
	wait
}
