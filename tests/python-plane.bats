#!/usr/bin/env bats
# A plane the Python tools built (tests/data/python-plane, see its README): the toolkit
# must give the answers the Python scripts gave on it (answers/, recorded once).
# SPDX-License-Identifier: ISC

load helper

PP="$DATA/python-plane"

setup() {
	cp -a "$PP/plane" "$BATS_TEST_TMPDIR/plane"
	cd "$BATS_TEST_TMPDIR/plane"
	abs=$(pwd -P)
}

# The C report in the Python report's keys, the plane's path as @PLANE@, the orphans
# Python found under the registered directory modules/mod_a left out (see cp-integrity(1)).
python_view() {
	jq -S --arg p "$abs" 'del(.timestamp) | {healthy, merkle_root, verified_count, valid, invalid,
		missing, no_hash, chain_errors, chain_error_count, orphans, orphan_count}
		| walk(if type == "string" then sub("^" + $p; "@PLANE@") else . end)'
}

want_view() {
	jq -S '.orphans |= map(select(startswith("modules/mod_a/") | not))
		| .orphan_count = (.orphans | length)' "$PP/answers/integrity.json"
}

@test "item 5: the integrity report means what integrity_check.py's meant, key by key" {
	run --separate-stderr -1 cp-integrity --json --no-ledger
	diff -u <(want_view) <(python_view <<< "$output")
}

@test "item 5: chain_errors are registry links in Python's order; a fixed link goes away" {
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '[.chain_errors[].link_type] == ["source_spec_id", "source_spec_path", "complies_with",
		"artifacts_created", "framework_path", "dependency"] and .chain_error_count == 6' <<< "$output"
	rm registries/specs_registry.csv
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '[.chain_errors[] | "\(.id) \(.link_type) \(.target)"] ==
		["FMWK-102 source_spec_id SPEC-404", "LIB-001 source_spec_id SPEC-002",
		 "FMWK-100 source_spec_id SPEC-001", "FMWK-102 dependency FMWK-999"] | not' <<< "$output"
	jq -e '[.chain_errors[] | "\(.id) \(.link_type) \(.target)"] ==
		["FMWK-100 source_spec_id SPEC-001", "FMWK-102 source_spec_id SPEC-404",
		 "LIB-001 source_spec_id SPEC-002", "FMWK-102 dependency FMWK-999"]' <<< "$output"
}

@test "item 5: only link errors (no hash problem) still make the plane unhealthy, as in Python" {
	python3 - <<-'PY'
	import csv
	p = "registries/control_plane_registry.csv"
	rows = list(csv.DictReader(open(p, newline="")))
	cols = list(rows[0].keys())
	rows = [r for r in rows if r["id"] not in ("FMWK-102", "FMWK-103")]
	w = csv.DictWriter(open(p, "w", newline=""), fieldnames=cols)
	w.writeheader()
	w.writerows(rows)
	PY
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.invalid == [] and .missing == [] and .healthy == false and .chain_error_count > 0' <<< "$output"
}

@test "item 5: ledger findings go under ledger_errors, and still make the plane unhealthy" {
	# a ledger of this toolkit's, so that one edit is the only finding
	rm ledger/*.jsonl
	cp-ledger -f ledger append -q --event-type a --submission-id S --decision D --reason 'odd numbers'
	cp-ledger -f ledger append -q --event-type b --submission-id S --decision D --reason two
	run --separate-stderr -1 cp-integrity --json
	jq -e '.ledger_error_count == 0 and .ledger_errors == []' <<< "$output"
	sed -i 's/"reason": "odd numbers"/"reason": "even numbers"/' ledger/governance.jsonl
	run --separate-stderr -1 cp-integrity --json
	jq -e '.ledger_error_count == 1 and (.ledger_errors[0] | test("tampered")) and
		(.chain_errors | all(has("link_type")))' <<< "$output"
}

@test "item 5: stored roots: lib/integrity.py's root over stored hashes, in VER-*.json and the ledger" {
	run --separate-stderr -1 cp-integrity --json --no-ledger
	want=$(cat "$PP/answers/stored-root.txt")
	jq -e --arg w "$want" '.stored_root == $w' <<< "$output"
	jq -e --arg w "$want" '.merkle_root == $w' versions/VER-20260131000000.json
	cat ledger/governance*.jsonl | grep '"event_type": "version_checkpoint"' |
		jq -e --arg w "$want" '.metadata.merkle_root == $w' > /dev/null
	# the snapshot a version keeps gives the root that version stored
	run --separate-stderr -1 cp-integrity --json --no-ledger --registry versions/VER-20260131000000_registry.csv
	jq -e --arg w "$want" '.stored_root == $w' <<< "$output"
	# a Python-era MANIFEST.json (no merkle_scheme) holding that root matches; another does not
	printf '{"version": "2.0.0-v2", "checksums": {}, "merkle_root": "%s"}\n' "$want" > MANIFEST.json
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.merkle_scheme == "cp2" and .merkle_root_matches == true' <<< "$output"
	printf '{"version": "2.0.0-v2", "checksums": {}, "merkle_root": "%064d"}\n' 7 > MANIFEST.json
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.merkle_root_matches == false' <<< "$output"
}

@test "item 5: the real Python tree's versions: each VER-*.json root is the stored root of its snapshot" {
	for v in "$PP"/versions/VER-*.json; do
		reg=${v%.json}_registry.csv
		run --separate-stderr cp-integrity --json --no-ledger --registry "$reg"
		[ "$(jq -r .stored_root <<< "$output")" = "$(jq -r .merkle_root "$v")" ] || {
			echo "$v" >&2; return 1; }
	done
}

@test "item 6: a registered directory hashes as Python's: rglob order, __init__.py, __pycache__, .git left out" {
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.valid | index("MOD-A") != null' <<< "$output"
	want=$(python3 -c '
import csv
for r in csv.DictReader(open("registries/control_plane_registry.csv")):
    if r["id"] == "MOD-A": print(r["content_hash"])')
	# by hand: a/x.py, a-b/y.py, a.py (by components; bytewise would put a-b/ first), as cp2
	got=$(cd modules/mod_a && sha256sum a/x.py a-b/y.py a.py | cut -c1-64 | python3 -c '
import hashlib, sys
h = sys.stdin.read().split()
while len(h) > 1:
    if len(h) % 2: h.append(h[-1])
    h = [hashlib.sha256((h[i] + h[i + 1]).encode()).hexdigest() for i in range(0, len(h), 2)]
print(h[0])')
	[ "$got" = "$want" ]
	# another excluded file or cache changes nothing; a new governed file does
	printf 'cached' > modules/mod_a/__pycache__/y.cpython-311.pyc
	printf '' > modules/mod_a/a/__init__.py
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.valid | index("MOD-A") != null' <<< "$output"
	printf 'b\n' > modules/mod_a/b.py
	run --separate-stderr -1 cp-integrity --json --no-ledger
	jq -e '.invalid | map(.id) | index("MOD-A") != null' <<< "$output"
}

@test "item 6: --exclude changes the rule; the orphan scan follows Python's suffixes and exclusions" {
	run --separate-stderr -1 cp-integrity --json --no-ledger --exclude '__pycache__'
	jq -e '.invalid | map(.id) | index("MOD-A") != null' <<< "$output"
	jq -e '.orphans | index("lib/__init__.py") != null' <<< "$output"
	run --separate-stderr -1 cp-integrity --json --no-ledger
	# UPPER.MD is one (suffix lowered), .md is not (no suffix), notes.txt is not, __pycache__ skipped
	jq -e '.orphans == ["frameworks/UPPER.MD", "frameworks/orphan.md", "lib/stray.py"]' <<< "$output"
	run --separate-stderr -1 cp-integrity --json --no-ledger --suffixes '.txt'
	jq -e '.orphans == ["frameworks/notes.txt"]' <<< "$output"
}

@test "item 7: sync writes package_sync.py's bytes: indent=2, non-ASCII escaped, its install order" {
	run --separate-stderr -0 cp-regrow -f registries/packages_registry.csv sync
	cmp <(printf '%s' "$output") registries/compiled/packages.json
	[ "$(jq -c .install_order registries/compiled/packages.json)" = '["PKG-C","PKG-B","PKG-A","PKG-D","PKG-E"]' ]
	grep -qF '"name": "caf\u00e9 \u2615 \ud83d\ude00",' registries/compiled/packages.json
	[ "$(tail -c 1 registries/compiled/packages.json)" = "}" ]
}

@test "item 7: make sync on a Python plane in git changes not a byte" {
	REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > Makefile
	git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm python
	touch registries/packages_registry.csv
	run -0 make --no-print-directory sync
	[ -z "$(git status --porcelain)" ]
	# a dependency on no row: package_sync.py still writes its view; make sync refuses (status 2)
	sed -i 's/"PKG-C@^1.0.0, PKG-B"/"PKG-C@^1.0.0, PKG-B, PKG-Z"/' registries/packages_registry.csv
	run -2 make --no-print-directory sync
	[ -z "$(git status --porcelain registries/compiled)" ]
	[ ! -e registries/compiled/packages.json.tmp ]
}

@test "item 8: --base verifies the other families the Python tools kept; a directory without one is no ledger" {
	for b in packages kernel; do
		run --separate-stderr -0 cp-ledger -f ledger --base "$b" verify
		[ "$(jq -r ".$b.valid" "$PP/answers/ledger-verify.json")" = true ]
		[[ $output == "intact: 3 entries in 1 segment, head "* ]]
		run -0 cp-ledger -f ledger --base "$b" cat
		[ "$(wc -l <<< "$output")" -eq 3 ]
	done
	# a rotation of another family is found and put in chain order as governance's are
	cp-ledger -f r append -q --rotate-bytes 1 --event-type a --submission-id S --decision D --reason one
	cp-ledger -f r append -q --rotate-bytes 1 --event-type b --submission-id S --decision D --reason two
	for f in r/governance*.jsonl; do mv "$f" "r/packages${f#r/governance}"; done
	run -0 cp-ledger -f r --base packages verify
	[[ $output == "intact: 2 entries in 2 segments, head "* ]]
	run --separate-stderr -2 cp-ledger -f r verify
	[[ $stderr == "cp-ledger: no ledger in r "* ]]
	run -2 cp-ledger -f ledger --base ../x verify
	run -2 cp-ledger -f ledger --base packages append --event-type a --submission-id S --decision D --reason r
}

@test "item 8: the Python ledger's integers beyond 64 bits, NaN and Infinity hash as Python hashed them" {
	# governance.jsonl holds a legacy line, then entries Python hashed with such numbers
	for reader in "" --jansson; do
		run --separate-stderr -0 cp-ledger $reader -f ledger verify --json
		jq -e '.intact and .entries == 5 and .legacy == 1 and .problems == 0 and
			([.findings[] | select(.kind != "legacy")] == [])' <<< "$output"
	done
	# the canonical text of each hashed entry is Python's (segments in file order there, chain order here)
	python3 -c 'import json, sys
for f in sys.argv[1:]:
    for line in open(f, encoding="utf-8"):
        e = json.loads(line)
        if e.pop("entry_hash", ""):
            print(json.dumps(e, sort_keys=True, ensure_ascii=False))' ledger/governance*.jsonl | sort > python
	grep -q '"big": 1180591620717411303424' python
	grep -q '"inf": Infinity, "nan": NaN, "ninf": -Infinity' python
	cp-ledger -f ledger cat --canonical | grep -F '"id": "LED-' | sort | cmp - python
}
