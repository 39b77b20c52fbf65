#!/usr/bin/env bats
# cp-plane(1), issue 20: dependencies (install brings in what is missing,
# all or nothing; constraints, conflicts, dependents), dry runs (nothing
# changes, not the ledger, not .cp/), and versions (checkpoint, versions,
# rollback, in the Python tools' file shape).  Each test works in a fresh
# copy of the repository's example plane, where PKG-FMWK-200 and
# PKG-FMWK-300 need PKG-FMWK-100 (^1.0.0) and PKG-MOD-DOC-LINT needs
# PKG-FMWK-100 and PKG-FMWK-300.  Expected answers come from sha256sum, GNU
# tar, jq, python3's csv and the Python tools' own checkpoint file.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CPP=$REPO/bin/cp-plane
CPDATA=$BATS_TEST_DIRNAME/data/cp-plane
VDATA=$BATS_TEST_DIRNAME/data/cp-plane-deps

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/plane
	S=$T/work
	export HOME=$T/home TMPDIR=$T/tmp
	mkdir -p "$HOME" "$TMPDIR" "$S" "$P"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$P/Makefile"
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT DRY_RUN FORCE JSON
	export CONTROL_PLANE_SHARED_SECRET=plane-test-secret
	export CONTROL_PLANE_TOKEN=$(token alice)
	cd "$P"
}

token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}

cpp() { "$CPP" -C "$P" "$@"; }
sha() { sha256sum < "$1" | cut -c1-64; }
setrow() { python3 "$CPDATA/csvset.py" "$P/registries/packages_registry.csv" "$@"; }
ledger_n() { cat "$P"/ledger/*.jsonl | wc -l; }
# the last entry written, whichever segment the ledger appends to (a Python segment may be last)
last_entry() { tail -q -n 1 "$(ls -t "$P"/ledger/*.jsonl | head -n 1)"; }
# the ledger's entries after the first N: "event_type submission_id decision"
events_after() { tail -n +$(($1 + 1)) "$P/ledger/governance.jsonl" | jq -r '.event_type + " " + .submission_id + " " + .decision'; }
ledger_ok() { "$REPO/bin/cp-ledger" -C "$P" verify > "$S/verify.out" 2>&1 || { cat "$S/verify.out" >&2; return 1; }; }

# Everything of the plane, .cp/ and the ledger too: type, mode, size,
# mtime and path of each name, and each file's SHA-256.
full_state() {
	(cd "$P" && find . -mindepth 1 -printf '%y %m %s %T@ %p -> %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
# The plane's content without the ledger, .cp/ and lock files.
content() {
	tree_state "$P" | grep -Ev '(^| )\./(ledger|\.cp)(/| |$)|\.lock( |$)'
}

# remove_all: the four installed packages removed, dependents first.
remove_all() {
	local p
	for p in PKG-MOD-DOC-LINT PKG-FMWK-300 PKG-FMWK-200 PKG-FMWK-100; do
		cpp -q remove "$p"
	done
	[ -z "$(ls "$P/installed" 2> /dev/null)" ]
}

# same_as_archive ID DIR FILE...: each FILE under DIR holds what GNU tar reads in ID's archive.
same_as_archive() {
	local id=$1 dir=$2 f
	shift 2
	for f in "$@"; do
		tar -xzOf "$P/packages_store/$id.tar.gz" "$f" | cmp - "$dir/$f" || return 1
	done
}

# ---------------------------------------------------------------------------
# dependencies

@test "install brings in the missing dependencies first, in dependency order, each its own INSTALL entry" {
	remove_all
	n=$(ledger_n)
	run -0 --separate-stderr cpp install PKG-MOD-DOC-LINT
	# the ledger's order: PKG-FMWK-100 (needed by both), PKG-FMWK-300, then the package
	run -0 events_after "$n"
	[ "$output" = "package_install PKG-FMWK-100 INSTALL
package_install PKG-FMWK-300 INSTALL
package_install PKG-MOD-DOC-LINT INSTALL" ]
	# not PKG-FMWK-200: nothing needs it
	[ ! -e "$P/installed/PKG-FMWK-200.sha256" ]
	same_as_archive PKG-FMWK-100 "$P" frameworks/FMWK-100_agent_development_standard.md
	same_as_archive PKG-FMWK-300 "$P" frameworks/FMWK-300_package_standard.md
	same_as_archive PKG-MOD-DOC-LINT "$P/modules" doc_lint/README.md doc_lint/doc_lint.py
	ledger_ok
	# installed again: nothing to do, no dependency step
	n=$(ledger_n)
	run -0 cpp --json install PKG-MOD-DOC-LINT
	[ "$(jq -r '.status + " " + (.dependencies | length | tostring)' <<< "$output")" = "already-installed 0" ]
	[ "$(ledger_n)" -eq "$n" ]
}

@test "--json install: the dependencies' results in order under \"dependencies\", each with its files and ledger id" {
	remove_all
	run -0 --separate-stderr cpp --json install PKG-MOD-DOC-LINT
	[ "$(jq -r '[.dependencies[].package] | join(" ")' <<< "$output")" = "PKG-FMWK-100 PKG-FMWK-300" ]
	[ "$(jq -r '[.dependencies[].status] | join(" ")' <<< "$output")" = "installed installed" ]
	id=$(jq -r '.dependencies[0].ledger_id' <<< "$output")
	[ "$(jq -r .id "$P/ledger/governance.jsonl" | grep -c "^$id\$")" -eq 1 ]
	[ "$(jq -r '.dependencies[1].files[0].sha256' <<< "$output")" = "$(sha "$P/frameworks/FMWK-300_package_standard.md")" ]
	[ "$(jq -r .status <<< "$output")" = installed ]
}

@test "all or nothing: when the package itself fails, the dependencies this run installed are removed again, each ledgered" {
	remove_all
	before=$(content)
	n=$(ledger_n)
	# the package's row names another digest than its archive's: refused after its dependencies
	setrow PKG-MOD-DOC-LINT "digest=$(printf '0%.0s' {1..64})"
	before=$(content)
	run -1 --separate-stderr cpp install PKG-MOD-DOC-LINT
	[[ "$stderr" == *"removed again (PKG-FMWK-300, PKG-FMWK-100)"* ]]
	run -0 events_after "$n"
	[ "$output" = "package_install PKG-FMWK-100 INSTALL
package_install PKG-FMWK-300 INSTALL
package_install PKG-MOD-DOC-LINT REFUSED
package_remove PKG-FMWK-300 REMOVE
package_remove PKG-FMWK-100 REMOVE" ]
	diff <(printf '%s\n' "$before") <(content)
	ledger_ok
}

@test "all or nothing: a dependency that fails stops the set; what was installed before it goes again" {
	remove_all
	n=$(ledger_n)
	# PKG-FMWK-300's archive no longer matches its row: PKG-FMWK-100 went in first
	setrow PKG-FMWK-300 "digest=$(printf '1%.0s' {1..64})"
	before=$(content)
	run -1 --separate-stderr cpp --json install PKG-MOD-DOC-LINT
	[ "$(jq -r .status <<< "$output")" = refused ]
	[[ "$(jq -r .reason <<< "$output")" == "its dependency PKG-FMWK-300: "* ]]
	[ "$(jq -r '[.dependencies[].status] | join(" ")' <<< "$output")" = "installed refused" ]
	run -0 events_after "$n"
	[ "$output" = "package_install PKG-FMWK-100 INSTALL
package_install PKG-FMWK-300 REFUSED
package_remove PKG-FMWK-100 REMOVE" ]
	diff <(printf '%s\n' "$before") <(content)
}

@test "an installed version that does not satisfy the constraint: refused, ledgered, nothing changed; FORCE=1 installs and says what it breaks" {
	cpp -q remove PKG-MOD-DOC-LINT
	cpp -q remove PKG-FMWK-200
	setrow PKG-FMWK-200 'deps=PKG-FMWK-100@^2.0.0'
	before=$(content)
	n=$(ledger_n)
	run -1 --separate-stderr cpp install PKG-FMWK-200
	[[ "$stderr" == *"needs PKG-FMWK-100@^2.0.0, but PKG-FMWK-100 is installed at version 1.0.0"* ]]
	run -0 events_after "$n"
	[ "$output" = "package_install PKG-FMWK-200 REFUSED" ]
	diff <(printf '%s\n' "$before") <(content)
	# the same through make, then forced
	run -0 --separate-stderr make --no-print-directory install PKG=PKG-FMWK-200 FORCE=1
	[[ "$stderr" == *"warning: forced against the registry's deps and conflicts: needs PKG-FMWK-100@^2.0.0"* ]]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.decision + " " + .metadata.breaks[0]')" = \
		"INSTALL needs PKG-FMWK-100@^2.0.0, but PKG-FMWK-100 is installed at version 1.0.0" ]
	ledger_ok
}

@test "conflicts: the package's own, and an installed package's naming it, are refused both ways" {
	cpp -q remove PKG-MOD-DOC-LINT
	cpp -q remove PKG-FMWK-200
	setrow PKG-FMWK-200 'conflicts=PKG-FMWK-300'
	n=$(ledger_n)
	run -1 --separate-stderr cpp install PKG-FMWK-200
	[[ "$stderr" == *"conflicts with PKG-FMWK-300, which is installed"* ]]
	setrow PKG-FMWK-200 'conflicts='
	setrow PKG-FMWK-300 'conflicts=PKG-FMWK-200'
	run -1 --separate-stderr cpp install PKG-FMWK-200
	[[ "$stderr" == *"PKG-FMWK-300 is installed and conflicts with PKG-FMWK-200"* ]]
	run -0 events_after "$n"
	[ "$output" = "package_install PKG-FMWK-200 REFUSED
package_install PKG-FMWK-200 REFUSED" ]
	[ ! -e installed/PKG-FMWK-200.sha256 ]
}

@test "remove refuses while installed packages depend on it, naming them; FORCE=1 removes it and says what it breaks" {
	before=$(content)
	n=$(ledger_n)
	# make says "Error 1" for cp-plane's exit 1 (and exits 2 itself)
	run -2 --separate-stderr make --no-print-directory remove PKG=PKG-FMWK-100
	[[ "$stderr" == *"] Error 1"* ]]
	[[ "$stderr" == *"PKG-FMWK-100: 3 installed packages depend on it: PKG-FMWK-200, PKG-FMWK-300, PKG-MOD-DOC-LINT"* ]]
	[[ "$stderr" == *"FORCE=1"* ]]
	diff <(printf '%s\n' "$before") <(content)
	[ "$(events_after "$n")" = "package_remove PKG-FMWK-100 REFUSED" ]
	# one dependent: the singular
	run -1 --separate-stderr cpp remove PKG-FMWK-300
	[[ "$stderr" == *"1 installed package depends on it: PKG-MOD-DOC-LINT"* ]]
	cpp -q remove PKG-MOD-DOC-LINT
	run -0 --separate-stderr make --no-print-directory remove PKG=PKG-FMWK-100 FORCE=1
	[[ "$stderr" == *"forced: PKG-FMWK-200, PKG-FMWK-300 now miss PKG-FMWK-100"* ]]
	[ ! -e frameworks/FMWK-100_agent_development_standard.md ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -c '[.decision, .metadata.breaks]')" = \
		'["REMOVE",["PKG-FMWK-200 depends on PKG-FMWK-100","PKG-FMWK-300 depends on PKG-FMWK-100"]]' ]
	ledger_ok
}

# ---------------------------------------------------------------------------
# dry runs

@test "dry runs of install (with its dependencies), update, remove and pack change nothing: the plane, its ledger and .cp/ byte- and stat-identical" {
	remove_all
	cpp -q install PKG-FMWK-100	# .cp/ and the lock files exist, as in a used plane
	mkdir -p "$P/frameworks/new"
	printf 'new\n' > "$P/frameworks/new/x.md"
	sleep 1.1	# a directory touched would show another mtime
	before=$(full_state)
	run -0 --separate-stderr cpp --dry-run install PKG-MOD-DOC-LINT
	[[ "$output" == *"plan install PKG-FMWK-300 -> $P"* ]]
	[[ "$output" == *"  put frameworks/FMWK-300_package_standard.md"* ]]
	[[ "$output" == *"plan install PKG-MOD-DOC-LINT -> $P/modules"* ]]
	[[ "$output" == *"  put doc_lint/doc_lint.py"* ]]
	run -0 env DRY_RUN=1 make --no-print-directory install PKG=PKG-FMWK-200
	run -0 cpp --dry-run update PKG-FMWK-100
	run -0 cpp --dry-run remove PKG-FMWK-100
	[[ "$output" == *"  remove frameworks/FMWK-100_agent_development_standard.md"* ]]
	run -0 --separate-stderr cpp --dry-run pack frameworks/FMWK-100_agent_development_standard.md PKG-FMWK-100
	[[ "$stderr" == *"PKG-FMWK-100: up to date"* ]]
	run -0 --separate-stderr make --no-print-directory pack SRC=frameworks/new ID=PKG-FMWK-200 DRY_RUN=1
	[[ "$stderr" == *"would pack frameworks/new into packages_store/PKG-FMWK-200.tar.gz: 1 file, replacing the archive"* ]]
	diff <(printf '%s\n' "$before") <(full_state)
	# and nothing left in $TMPDIR, where a plan stages
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "dry run refusals and denials are not ledgered; --dry-run is refused where it means nothing" {
	before=$(full_state)
	run -1 --separate-stderr cpp --dry-run remove PKG-FMWK-100
	[[ "$stderr" == *"depend on it"* ]]
	run -1 cpp --dry-run install PKG-NOPE
	CONTROL_PLANE_TOKEN=$(token guest) run -1 cpp --dry-run install PKG-EXT-HELLO
	run -2 cpp --dry-run manifest
	diff <(printf '%s\n' "$before") <(full_state)
}

@test "--json dry run of update: the plan's files, what they replace and what goes, through jq" {
	# a new version of doc_lint: README changed, doc_lint.py gone, a file added
	python3 "$CPDATA/mktar.py" "$S/B.tgz" doc_lint/README.md $'# B\n' doc_lint/extra/new.md $'new\n'
	d=$(sha "$S/B.tgz")
	cp "$S/B.tgz" packages_store/PKG-MOD-DOC-LINT.tar.gz
	printf '%s  %s\n' "$d" PKG-MOD-DOC-LINT.tar.gz > packages_store/PKG-MOD-DOC-LINT.tar.gz.sha256
	setrow PKG-MOD-DOC-LINT "digest=$d"
	before=$(full_state)
	run -0 cpp --dry-run --json update PKG-MOD-DOC-LINT
	[ "$(jq -r '.status + " " + (.dry_run | tostring) + " " + (.changed | tostring)' <<< "$output")" = "planned true false" ]
	[ "$(jq -r '[.files[].path] | sort | join(" ")' <<< "$output")" = "doc_lint/README.md doc_lint/extra/new.md" ]
	[ "$(jq -r '.replaced | join(" ")' <<< "$output")" = "doc_lint/README.md" ]
	[ "$(jq -r '.dropped | join(" ")' <<< "$output")" = "doc_lint/doc_lint.py" ]
	[ "$(jq -r '.destination' <<< "$output")" = "$P/modules" ]
	[ "$(jq -r '.files[] | select(.path == "doc_lint/extra/new.md") | .sha256' <<< "$output")" = \
		"$(printf 'new\n' | sha256sum | cut -c1-64)" ]
	[ "$(jq -r .ledger_id <<< "$output")" = null ]
	diff <(printf '%s\n' "$before") <(full_state)
}

# ---------------------------------------------------------------------------
# versions

@test "checkpoint writes the Python shape: registry snapshot, hashes sha256sum agrees with, one RECORDED entry whose id the file names" {
	n=$(ledger_n)
	run -0 --separate-stderr make --no-print-directory checkpoint LABEL='before the change'
	v=$(ls versions/*.json)
	ver=$(basename "$v" .json)
	[[ "$ver" =~ ^VER-[0-9]{14}$ ]]
	[ "$(jq -r 'keys_unsorted | join(" ")' "$v")" = \
		"version_id label timestamp merkle_root registry_hash manifest_hash packages registry_snapshot ledger_entry_id actor packages_snapshot packages_hash" ]
	[ "$(jq -r '.version_id + "|" + .label + "|" + .actor + "|" + .registry_snapshot' "$v")" = \
		"$ver|before the change|alice|versions/${ver}_registry.csv" ]
	cmp registries/control_plane_registry.csv "versions/${ver}_registry.csv"
	cmp registries/packages_registry.csv "versions/${ver}_packages.csv"
	[ "$(jq -r .registry_hash "$v")" = "$(sha registries/control_plane_registry.csv)" ]
	[ "$(jq -r .packages_hash "$v")" = "$(sha registries/packages_registry.csv)" ]
	# the packages as Python's csv reads the registry, with what was installed
	[ "$(jq -r '.packages[] | .id + " " + .digest + " " + (.installed | tostring)' "$v")" = "$(python3 -c '
import csv, os, sys
for r in csv.DictReader(open("registries/packages_registry.csv", newline="")):
    print(r["id"], r["digest"], str(os.path.exists("installed/" + r["id"] + ".sha256")).lower())')" ]
	run -0 events_after "$n"
	[ "$output" = "version_checkpoint $ver RECORDED" ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r .id)" = "$(jq -r .ledger_entry_id "$v")" ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r .reason)" = "Checkpoint $ver before the change" ]
	# the entry binds the whole file (rollback checks it against this)
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r .metadata.version_sha256)" = "$(sha "$v")" ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r .metadata.packages_hash)" = "$(sha registries/packages_registry.csv)" ]
	ledger_ok
	# make versions: cp_version_list.py's table
	run -0 make --no-print-directory versions
	[ "${lines[0]}" = "$(printf 'version_id\ttimestamp\tlabel\tregistry_hash\tmanifest_hash\tsnapshot')" ]
	[ "${lines[1]}" = "$(jq -r '[.version_id, .timestamp, .label, .registry_hash, .manifest_hash, .registry_snapshot] | join("\t")' "$v")" ]
}

@test "labels: a control character is refused (2, a message naming the step); one forged into a file is shown escaped" {
	n=$(ledger_n)
	run -2 --separate-stderr cpp checkpoint "$(printf 'a\033[31mb')"
	[ "$stderr" = "cp-plane: checkpoint: the label: at most 1024 bytes, no control character" ]
	run -2 --separate-stderr cpp checkpoint "$(printf 'a\nb')"
	[ "$stderr" = "cp-plane: checkpoint: the label: at most 1024 bytes, no control character" ]
	[ "$(ledger_n)" -eq "$n" ]
	[ ! -e versions ] || [ -z "$(ls -A versions)" ]
	run -0 cpp checkpoint plain
	v=$(ls versions/*.json)
	jq --arg l "$(printf 'x\033[31my\tz')" '.label = $l' "$v" > "$S/v.json" && mv "$S/v.json" "$v"
	run -0 --separate-stderr cpp versions
	[[ "${lines[1]}" == *$'\t''x\x1b[31my\tz'$'\t'* ]]
	[[ "$output" != *$'\033'* ]]
}

@test "checkpoint → change → rollback restores the registries and the files, each step ledgered" {
	cpp -q checkpoint
	ver=$(basename "$(ls versions/*.json)" .json)
	before=$(content)
	reg=$(sha registries/control_plane_registry.csv)
	# the change: a package removed, another installed, a registry row edited, a file changed
	cpp -q remove PKG-MOD-DOC-LINT
	cpp -q install PKG-EXT-HELLO
	python3 "$CPDATA/csvset.py" registries/control_plane_registry.csv FMWK-100 owner=mallory
	setrow PKG-FMWK-200 'version=9.9.9'
	printf 'changed\n' >> frameworks/FMWK-200_ledger_protocol.md
	n=$(ledger_n)
	# a changed file is refused without FORCE, as install refuses it: the rest is done
	run -1 cpp rollback "$ver"
	run -0 events_after "$n"
	[ "$output" = "version_rollback $ver RESTORE
package_remove PKG-EXT-HELLO REMOVE
package_update PKG-FMWK-200 REFUSED
package_install PKG-MOD-DOC-LINT INSTALL
version_rollback $ver ROLLBACK_FAILED" ]
	[ ! -e installed/PKG-EXT-HELLO.sha256 ]
	[ -z "$(find "$HOME/.local/share/cp-example" -type f 2> /dev/null)" ]
	n=$(ledger_n)
	run -0 --separate-stderr make --no-print-directory rollback VER="$ver" FORCE=1
	[ "$(sha registries/control_plane_registry.csv)" = "$reg" ]
	diff <(printf '%s\n' "$before") <(content)
	same_as_archive PKG-MOD-DOC-LINT "$P/modules" doc_lint/README.md doc_lint/doc_lint.py
	same_as_archive PKG-FMWK-200 "$P" frameworks/FMWK-200_ledger_protocol.md
	run -0 events_after "$n"
	[ "$output" = "version_rollback $ver RESTORE
package_update PKG-FMWK-200 UPDATE
version_rollback $ver ROLLED_BACK" ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -c '[.metadata.target_registry, .metadata.integrity_passed]')" = \
		'["registries/control_plane_registry.csv",true]' ]
	ledger_ok
}

@test "a Python checkpoint, read as it is: listed, rolled back to (every listed package reinstalled), and the same merkle_root and registry_hash as ours" {
	mkdir versions
	cp "$VDATA"/versions/* versions/
	cp "$VDATA"/ledger/* ledger/
	ledger_ok
	pv=versions/VER-20261206081910.json
	run -0 cpp versions
	[ "${lines[1]}" = "$(jq -r '[.version_id, .timestamp, .label, .registry_hash, .manifest_hash, .registry_snapshot] | join("\t")' "$pv")" ]
	run -0 cpp --json versions
	[ "$(jq -r '.[0].label' <<< "$output")" = before-change ]
	# our checkpoint of the same plane: Python's merkle_root and registry_hash
	sleep 1
	cpp -q checkpoint
	ours=$(ls versions/VER-*.json | grep -v 20261206081910)
	[ "$(jq -r .merkle_root "$ours")" = "$(jq -r .merkle_root "$pv")" ]
	[ "$(jq -r .registry_hash "$ours")" = "$(jq -r .registry_hash "$pv")" ]
	# change, then back to Python's version: it lists every package, so all are installed
	python3 "$CPDATA/csvset.py" registries/control_plane_registry.csv FMWK-100 owner=mallory
	cpp -q remove PKG-MOD-DOC-LINT
	n=$(ledger_n)
	run -0 --separate-stderr cpp rollback VER-20261206081910
	cmp versions/VER-20261206081910_registry.csv registries/control_plane_registry.csv || \
		[ "$(sha versions/VER-20261206081910_registry.csv)" = "$(jq -r .registry_hash "$pv")" ]
	[ -e installed/PKG-MOD-DOC-LINT.sha256 ]
	[ -e installed/PKG-EXT-HELLO.sha256 ]
	same_as_archive PKG-EXT-HELLO "$HOME/.local/share/cp-example/ext-hello" $(tar -tzf packages_store/PKG-EXT-HELLO.tar.gz | grep -v '/$')
	[ "$(last_entry | jq -r '.event_type + " " + .decision')" = "version_rollback ROLLED_BACK" ]
	ledger_ok
}

@test "hostile versions: bad ids, a snapshot outside versions/, a changed snapshot, a symlinked file, a forged member: refused, the plane unchanged" {
	cpp -q checkpoint
	ver=$(basename "$(ls versions/*.json)" .json)
	for bad in ../etc/passwd VER-../../x VER-a/b VER- "VER-$(printf 'x%.0s' {1..70})" ''; do
		run -2 cpp rollback "$bad"
	done
	run -1 cpp rollback VER-20000101000000
	before=$(content)
	cp "versions/$ver.json" "$S/good.json"
	for forged in '.registry_snapshot = "registries/roles.csv"' '.registry_snapshot = "/etc/passwd"' \
	    '.registry_snapshot = "versions/../registries/roles.csv"' '.version_id = "VER-1"' \
	    '.packages[0].id = "../x"' '.packages = "all"' '.packages[0].installed = "yes"'; do
		jq "$forged" "$S/good.json" > "versions/$ver.json"
		run -2 --separate-stderr cpp rollback "$ver"
		[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .decision')" = "version_rollback REFUSED" ]
	done
	cp "$S/good.json" "versions/$ver.json"
	printf 'x\n' >> "versions/${ver}_registry.csv"
	run -2 --separate-stderr cpp rollback "$ver"
	[[ "$stderr" == *"changed since its checkpoint"* ]]
	mv "versions/$ver.json" "$S/real.json"
	ln -s "$S/real.json" "versions/$ver.json"
	run -2 cpp rollback "$ver"
	diff <(printf '%s\n' "$before" | grep -v versions/) <(content | grep -v versions/)
	ledger_ok
}

@test "a forged checkpoint file is refused: packages or registry_hash not what its ledger entry recorded (exit 1, one REFUSED entry, nothing changed)" {
	cpp -q checkpoint
	ver=$(basename "$(ls versions/*.json)" .json)
	v=versions/$ver.json
	cp "$v" "$S/good.json"
	cp "versions/${ver}_registry.csv" "$S/good.csv"
	before=$(full_state)
	# every package marked not installed: a rollback would remove them all
	jq '.packages |= map(.installed = false)' "$S/good.json" > "$S/x" && mv "$S/x" "$v"
	touch -r "$S/good.json" "$v"
	st=$(full_state)
	n=$(ledger_n)
	run -1 --separate-stderr cpp rollback "$ver"
	[[ "$stderr" == *"not what its ledger entry"* ]]
	[ "$(ledger_n)" -eq $((n + 1)) ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .submission_id + " " + .decision')" = "version_rollback $ver REFUSED" ]
	diff <(printf '%s\n' "$st" | grep -v '/ledger/') <(full_state | grep -v '/ledger/')
	for p in PKG-FMWK-100 PKG-FMWK-200 PKG-FMWK-300 PKG-MOD-DOC-LINT; do [ -e "installed/$p.sha256" ]; done
	# a forged registry snapshot whose SHA-256 the file now names
	cp "$S/good.json" "$v"
	printf 'FMWK-999,forged,x,y,z\n' >> "versions/${ver}_registry.csv"
	jq --arg h "$(sha "versions/${ver}_registry.csv")" '.registry_hash = $h' "$S/good.json" > "$v"
	reg=$(sha registries/control_plane_registry.csv)
	n=$(ledger_n)
	run -1 --separate-stderr cpp rollback "$ver"
	[[ "$stderr" == *"not what its ledger entry"* ]]
	[ "$(ledger_n)" -eq $((n + 1)) ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .decision')" = "version_rollback REFUSED" ]
	[ "$(sha registries/control_plane_registry.csv)" = "$reg" ]
	# the same file under another version id: no entry recorded it
	cp "$S/good.csv" "versions/${ver}_registry.csv"
	jq '.version_id = "VER-20300101000000"' "$S/good.json" > versions/VER-20300101000000.json
	run -1 --separate-stderr cpp rollback VER-20300101000000
	[[ "$stderr" == *"no ledger entry"* ]]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .decision')" = "version_rollback REFUSED" ]
	# the genuine file still rolls back
	cp "$S/good.json" "$v"
	run -0 --separate-stderr cpp rollback "$ver"
	ledger_ok
}

@test "a Python checkpoint is bound to what its entry records: its registry_hash and package ids; members its entry cannot vouch for are refused" {
	mkdir versions
	cp "$VDATA"/versions/* versions/
	pv=versions/VER-20261206081910.json
	# without its ledger entry: refused
	cp ledger/governance.jsonl "$S/governance.jsonl"
	run -1 --separate-stderr cpp rollback VER-20261206081910
	[[ "$stderr" == *"no ledger entry"* ]]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .decision')" = "version_rollback REFUSED" ]
	# the ledger as the Python tool left it: its segment chained onto the example's
	cp "$S/governance.jsonl" ledger/governance.jsonl
	cp "$VDATA"/ledger/* ledger/
	cp "$pv" "$S/good.json"
	for forged in '.packages |= .[1:]' '.packages[0].installed = false' \
	    '.packages_snapshot = "versions/VER-20261206081910_registry.csv"'; do
		jq "$forged" "$S/good.json" > "$pv"
		n=$(ledger_n)
		run -1 --separate-stderr cpp rollback VER-20261206081910
		[ "$(ledger_n)" -eq $((n + 1)) ]
		[ "$(last_entry | jq -r '.event_type + " " + .decision')" = "version_rollback REFUSED" ]
	done
	[ -e installed/PKG-FMWK-100.sha256 ]
	ledger_ok
}

@test "checkpoint and rollback are admin's: a maintainer is denied rollback, a reader both, each denial one entry" {
	CONTROL_PLANE_TOKEN=$(token guest) run -1 cpp checkpoint
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r .event_type)" = authz_denied ]
	[ ! -e versions ]
	cpp -q checkpoint
	ver=$(basename "$(ls versions/*.json)" .json)
	n=$(ledger_n)
	CONTROL_PLANE_TOKEN=$(token ci) run -1 cpp rollback "$ver"
	[ "$(ledger_n)" -eq $((n + 1)) ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type + " " + .metadata.action')" = "authz_denied rollback" ]
}

# ---------------------------------------------------------------------------
# validate and integrity

@test "make validate and make integrity report installed packages whose dependencies are not installed; STRICT=1 makes it unhealthy" {
	run -0 --separate-stderr make --no-print-directory validate
	[[ "$output$stderr" != *"is not (make install"* ]]
	run -0 "$REPO/bin/cp-integrity" -C "$P" --json
	[ "$(jq -r .missing_dependency_count <<< "$output")" = 0 ]
	cpp -q --force remove PKG-FMWK-100
	# validate: a WARN on each dependent's line (the registry stays valid)
	run -0 --separate-stderr make --no-print-directory validate
	want=$(python3 -c '
import csv
rows = list(csv.DictReader(open("registries/packages_registry.csv", newline="")))
for i, r in enumerate(rows):
    if "PKG-FMWK-100" in [d.split("@")[0].strip() for d in r["deps"].split(",")]:
        print(r["id"])')
	[ "$want" = "PKG-FMWK-200
PKG-FMWK-300
PKG-MOD-DOC-LINT" ]
	for id in $want; do
		[[ "$output$stderr" == *"WARN: "*"($id): installed, but its dependency PKG-FMWK-100 is not (make install PKG=PKG-FMWK-100)"* ]]
	done
	run -0 "$REPO/bin/cp-regrow" -f registries/packages_registry.csv --root "$P" --json validate
	[ "$(jq -r '[.problems[] | select(.message | test("its dependency PKG-FMWK-100")) | .id] | join(" ")' <<< "$output")" = \
		"PKG-FMWK-200 PKG-FMWK-300 PKG-MOD-DOC-LINT" ]
	# integrity: a finding, healthy unless strict
	run -0 "$REPO/bin/cp-integrity" -C "$P" --json
	[ "$(jq -c '[.healthy, .missing_dependency_count, [.missing_dependencies[] | .package + ">" + .dependency]]' <<< "$output")" = \
		'[true,3,["PKG-FMWK-200>PKG-FMWK-100","PKG-FMWK-300>PKG-FMWK-100","PKG-MOD-DOC-LINT>PKG-FMWK-100"]]' ]
	run -0 make --no-print-directory integrity
	[[ "$output" == *"  depends  PKG-FMWK-300 needs PKG-FMWK-100, which is not installed (make install PKG=PKG-FMWK-100)"* ]]
	run -1 "$REPO/bin/cp-integrity" -C "$P" --strict --json
	[ "$(jq -r .healthy <<< "$output")" = false ]
}
