#!/usr/bin/env bats
# cp-regrow: byte-exact round trips against Python's csv, queries and edits
# (golden files written by Python's csv and json), validation rules, -i
# under concurrency, hostile input.
# SPDX-License-Identifier: ISC

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	D=$DATA/cp-regrow
}

# py CODE...: run Python with csv and json imported (the independent answers).
py() {
	python3 -c "import csv, io, json, sys
$1" "${@:2}"
}

# rows FILE: the number of data rows, as csv.DictReader counts them.
rows() {
	py 'print(sum(1 for _ in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline=""))))' "$1"
}

@test "the golden files are what gen.py writes with Python's csv and json" {
	mkdir gen
	python3 "$D/gen.py" gen
	for f in gen/*; do
		cmp "$f" "$D/${f#gen/}"
	done
	[ "$(ls gen | wc -l)" -eq "$(ls "$D" | grep -vc '^gen\.py$')" ]
}

@test "round trip: every registry Python wrote comes back byte for byte" {
	for f in "$D"/*.csv; do
		[[ $f == *-lf-bom.csv ]] && continue
		run -0 cp-regrow -f "$f" select
		cmp <(cp-regrow -f "$f" select) "$f"
	done
}

@test "round trip of awkward fields: quotes, commas, CR, LF, CRLF, spaces, UTF-8, empty" {
	py 'w = csv.writer(open("t.csv", "w", newline=""))
w.writerow(["id", "v", "w"])
for i, v in enumerate(["", " ", "a,b", "say \"hi\"", "\"", "\"\"", "x\ny", "x\ry", "x\r\ny",
                       "\n", ",", " lead", "trail ", "tab\there", "ünï €", "\U0001F600", "a\"b,c\nd"]):
    w.writerow(["r%d" % i, v, v[::-1]])'
	run -0 cp-regrow -f t.csv select
	cmp <(cp-regrow -f t.csv select) t.csv
	# and the values, read back through Python, are the same
	cp-regrow -f t.csv --json select > t.jsonl
	py 'ours = [json.loads(l) for l in open("t.jsonl", encoding="utf-8")]
theirs = list(csv.DictReader(open("t.csv", newline="", encoding="utf-8")))
assert ours == theirs, (ours, theirs)'
}

@test "a one-column registry: DictWriter's lone empty field is written \"\"" {
	py 'w = csv.DictWriter(open("one.csv", "w", newline=""), fieldnames=["id"])
w.writeheader(); w.writerows([{"id": "a"}, {"id": ""}, {"id": "b"}])'
	grep -q '^""' one.csv
	cmp <(cp-regrow -f one.csv select) one.csv
	run -0 cp-regrow -f one.csv --json select
	[ "${lines[1]}" = '{"id":""}' ]
	cp-regrow -f one.csv del a > out.csv
	py 'w = csv.DictWriter(open("want.csv", "w", newline=""), fieldnames=["id"])
w.writeheader(); w.writerows([{"id": ""}, {"id": "b"}])'
	cmp out.csv want.csv
}

@test "LF line ends, a byte order mark and no final newline are read; output is DictWriter's" {
	head -c 3 "$D/packages-lf-bom.csv" | cmp - <(printf '\357\273\277')
	[ "$(tail -c 1 "$D/packages-lf-bom.csv" | od -An -c | tr -d ' ')" != '\n' ]
	cmp <(cp-regrow -f "$D/packages-lf-bom.csv" select) "$D/packages.csv"
	cmp <(cp-regrow -f "$D/packages-lf-bom.csv" get PKG-C) "$D/get-PKG-C.out"
	# blank lines between rows are skipped, as DictReader skips them
	printf 'id,name\n\nA,x\r\n\r\nB,y' > blank.csv
	run -0 cp-regrow -f blank.csv select
	[ "$output" = "$(printf 'id,name\r\nA,x\r\nB,y\r')" ]
}

# Found by fuzzing (tests/fuzz/FINDINGS.md): after blank lines a byte order
# mark began the header's first name, which written back came first in the
# file and was skipped as a mark: the rewritten registry read differently.
@test "a byte order mark anywhere but the file's first bytes is refused in the header" {
	printf '\n\357\273\277id,name\r\nA,x\r\n' > late.csv
	run -2 cp-regrow -f late.csv select
	[ "$output" = "cp-regrow: late.csv:2: the header's first name begins with a byte order mark (one is allowed only at the start of the file)" ]
	printf '\357\273\277\r\n\357\273\277id,name\r\nA,x\r\n' > twice.csv
	run -2 cp-regrow -f twice.csv select
	# at the start, as before
	printf '\357\273\277id,name\r\nA,x\r\n' > first.csv
	run -0 cp-regrow -f first.csv select
	[ "$output" = "$(printf 'id,name\r\nA,x\r')" ]
}

@test "a row not in DictWriter's form is rewritten, the others keep their bytes" {
	printf 'id,name\r\n"A",x\r\nB,"y"\r\nC,z\r\nD,a"b\r\n' > odd.csv
	run -0 cp-regrow -f odd.csv select
	printf 'id,name\r\nA,x\r\nB,y\r\nC,z\r\nD,"a""b"\r\n' > want.csv
	cmp <(cp-regrow -f odd.csv select) want.csv
	py 'w = csv.writer(open("py.csv", "w", newline=""))
w.writerows(csv.reader(open("odd.csv", newline="")))'
	cmp want.csv py.csv
}

@test "get: the row with its header, as DictWriter writes it; --json parses to DictReader's row" {
	run -0 cp-regrow get PKG-C < "$D/packages.csv"
	cmp <(cp-regrow get PKG-C < "$D/packages.csv") "$D/get-PKG-C.out"
	cp-regrow --json get PKG-A < "$D/packages.csv" > a.json
	[ "$(wc -l < a.json)" -eq 1 ]
	py 'row = [r for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")) if r["id"] == "PKG-A"][0]
assert json.load(open("a.json", encoding="utf-8")) == row' "$D/packages.csv"
	jq -e '.owner == "Zoë Ångström" and .deps == "PKG-B@^1.2.0,PKG-C@~1.4.0"' a.json
	jq -e 'keys_unsorted[0] == "id" and keys_unsorted[-1] == "content_hash" and length == 27' a.json
}

@test "get: an absent id is status 1, no output, and a message that says so" {
	run --separate-stderr -1 cp-regrow get PKG-NOPE < "$D/packages.csv"
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: -: no row with id PKG-NOPE" ]
	run --separate-stderr -1 cp-regrow -f "$D/packages.csv" --json get pkg-a
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: $D/packages.csv: no row with id pkg-a" ]
	printf 'user,roles\r\nalice,admin\r\n' > roles.csv
	run --separate-stderr -1 cp-regrow -k user get bob < roles.csv
	[ "$stderr" = "cp-regrow: -: no row with user bob" ]
}

@test "get: --key chooses the id column (the plane's roles file)" {
	printf 'user,roles\r\nalice,"admin,maintainer"\r\nbob,reader\r\n' > roles.csv
	run -0 cp-regrow -k user --json get alice < roles.csv
	[ "$(jq -r .roles <<<"$output")" = "admin,maintainer" ]
	run --separate-stderr -2 cp-regrow get alice < roles.csv
	[ "$stderr" = "cp-regrow: -: no key column id" ]
}

@test "--field: raw values, tab-separated, a line per row, for shell scripts" {
	# the answers: Python's DictReader, each value followed by a newline
	py 'for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")):
    open("want-" + r["id"], "w", encoding="utf-8", newline="").write(r[sys.argv[2]] + "\n")' \
		"$D/packages.csv" category
	for id in PKG-A PKG-C PKG-X; do
		cmp <(cp-regrow get "$id" --field category < "$D/packages.csv") "want-$id"
	done
	[ "$(cp-regrow -f "$D/packages.csv" --field owner get PKG-A)" = "Zoë Ångström" ]
	[ "$(cp-regrow --field license get PKG-B < "$D/packages.csv")" = \
		"$(py 'print([r for r in csv.DictReader(open(sys.argv[1], newline="")) if r["id"] == "PKG-B"][0]["license"])' "$D/packages.csv")" ]
	digest=$(cp-regrow --field digest get PKG-A < "$D/packages.csv")
	[[ "$digest" =~ ^[0-9a-f]{64}$ ]]
	run --separate-stderr -1 cp-regrow --field owner get PKG-NOPE < "$D/packages.csv"
	[ -z "$output" ]
	run --separate-stderr -2 cp-regrow --field colour get PKG-A < "$D/packages.csv"
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: -: unknown column colour" ]
	# select: one value a line, in file order
	run -0 cp-regrow --field id select status=active < "$D/packages.csv"
	[ "$output" = "$(jq -r .id "$D/select-active.jsonl")" ]
	# a value holding a line break cannot be one line: refused, status 2
	run --separate-stderr -2 cp-regrow --field category select < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: -:4: a --field value holds a tab or line break: use --json" ]
	# several columns: tab-separated, in the order asked, as DictReader reads them
	py 'for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")):
    if r["status"] == "active": print(r["version"], r["id"], r["owner"], sep="\t")' \
		"$D/packages.csv" > want-tsv
	cmp <(cp-regrow --field version,id,owner select status=active < "$D/packages.csv") want-tsv
	[ "$(cp-regrow --field id,digest get PKG-A < "$D/packages.csv")" = "PKG-A	$digest" ]
	run --separate-stderr -2 cp-regrow --field id,colour select < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: -: unknown column colour" ]
	run -2 cp-regrow --field id --json get PKG-A < "$D/packages.csv"
	run -2 cp-regrow --field id sync < "$D/packages.csv"
	run -2 cp-regrow --field id -i p.csv del PKG-A
}

@test "select: filters AND together; CSV and JSON Lines golden" {
	cmp <(cp-regrow select platform=linux status=active < "$D/packages.csv") "$D/select-linux.out"
	cmp <(cp-regrow --json select status=active < "$D/packages.csv") "$D/select-active.jsonl"
	[ "$(jq -s length "$D/select-active.jsonl")" -eq 4 ]
	run -0 cp-regrow select status=none < "$D/packages.csv"
	[ "$output" = "$(head -n 1 "$D/packages.csv")" ]
	run -0 cp-regrow select 'license=MIT, "or" Apache-2.0' < "$D/packages.csv"
	[ "${#lines[@]}" -eq 2 ]
	run -0 cp-regrow select status= < "$D/packages.csv"
	[ "${#lines[@]}" -eq 1 ]
}

@test "select: an unknown column or a filter without = is status 2" {
	run --separate-stderr -2 cp-regrow select colour=red < "$D/packages.csv"
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: -: unknown column colour" ]
	run --separate-stderr -2 cp-regrow select status < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: status: not COLUMN=VALUE" ]
}

@test "set: golden; only that row's bytes change" {
	cp-regrow set PKG-B status=superseded "$(printf 'license=a, b, and "c"\r\nd')" \
		< "$D/packages.csv" > out.csv
	cmp out.csv "$D/set-PKG-B.out"
	# every other line is untouched
	diff <(sed -n '1,2p;4,$p' "$D/packages.csv") <(sed -n '1,2p;5,$p' out.csv)
}

@test "set: an absent id is status 1 (the registry unchanged), an unknown column 2" {
	run --separate-stderr -1 cp-regrow set PKG-NOPE status=active < "$D/packages.csv"
	cmp <(printf '%s\n' "$output") "$D/packages.csv"
	[ "$stderr" = "cp-regrow: -: no row with id PKG-NOPE" ]
	run --separate-stderr -2 cp-regrow set PKG-B colour=red < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: -: unknown column colour" ]
	[ -z "$output" ]
	run -2 cp-regrow set PKG-B id=PKG-Z < "$D/packages.csv"
	run -0 cp-regrow set PKG-B id=PKG-B < "$D/packages.csv"
	run -2 cp-regrow set PKG-B "$(printf 'name=\xff')" < "$D/packages.csv"
}

@test "add and upsert: golden; add of an existing id is status 1" {
	args=(id=PKG-N name=ñew version=3.0.0 deps=PKG-A@^2.0.0,PKG-E)
	cmp <(cp-regrow add "${args[@]}" < "$D/packages.csv") "$D/add-PKG-N.out"
	cmp <(cp-regrow upsert "${args[@]}" < "$D/packages.csv") "$D/upsert-PKG-N.out"
	cmp <(cp-regrow upsert id=PKG-D version=1.0.1 selected=no < "$D/packages.csv") "$D/upsert-PKG-D.out"
	run --separate-stderr -1 cp-regrow add id=PKG-D < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: -: id PKG-D already exists" ]
	run --separate-stderr -2 cp-regrow add name=x < "$D/packages.csv"
	[ "$stderr" = "cp-regrow: add needs id=VALUE, not empty" ]
	run -2 cp-regrow upsert id= name=x < "$D/packages.csv"
}

@test "del: golden; an absent id is status 1" {
	cmp <(cp-regrow del PKG-C < "$D/packages.csv") "$D/del-PKG-C.out"
	run -1 cp-regrow del PKG-NOPE < "$D/packages.csv"
}

@test "sync: exactly package_sync.py's bytes: json.dumps(indent=2), ASCII, no final newline" {
	cmp <(cp-regrow sync < "$D/packages.csv") "$D/sync.json"
	cmp <(cp-regrow sync < "$D/control_plane.csv") "$D/sync-control-plane.json"
	jq -e '(.packages | length) == 6 and (keys_unsorted == ["packages", "install_order"])' "$D/sync.json"
	[ "$(tail -c 1 "$D/sync.json")" = "}" ]
	# Zoë, 許: escaped as json.dumps escapes them
	grep -q '"owner": "Zo\\u00eb \\u00c5ngstr\\u00f6m"' "$D/sync.json"
	grep -q '"owner": "\\u8a31 (Hsu)"' "$D/sync.json"
	# a control-plane registry has no deps column: package_sync.py reads no other, file order
	[ "$(jq -c .install_order "$D/sync-control-plane.json")" = '["REG-CP","FMWK-100","FMWK-200"]' ]
}

@test "sync: the install order is package_sync.py's depth-first walk" {
	cmp <(cp-regrow sync < "$D/diamond.csv") "$D/diamond.json"
	cmp <(cp-regrow sync < "$D/chain.csv") "$D/chain.json"
	# TOP first in the file: its deps LEFT (then BASE under it) and RIGHT, then TOP, then LONE
	[ "$(jq -c .install_order "$D/diamond.json")" = '["BASE","LEFT","RIGHT","TOP","LONE"]' ]
	[ "$(jq -c .install_order "$D/chain.json")" = '["C1","C2","C3","C4","C5","C6"]' ]
	[ "$(jq -c .install_order "$D/sync.json")" = '["PKG-D","PKG-B","PKG-C","PKG-A","PKG-E","PKG-X"]' ]
	# deterministic: the same bytes every time
	[ "$(cp-regrow sync < "$D/diamond.csv" | sha256sum)" = "$(cp-regrow sync < "$D/diamond.csv" | sha256sum)" ]
}

# syncpy FILE: the compiled view package_sync.py writes of FILE (gen.py's copy of its rules).
syncpy() {
	py 'sys.path.insert(0, sys.argv[2]); import gen; gen.sync(sys.argv[1], "/dev/stdout")' "$1" "$D"
}

@test "sync: a chain far deeper than any stack, walked without recursion" {
	py 'import csv
w = csv.writer(open("deep.csv", "w", newline=""))
w.writerow(["id", "deps"])
n = 200000
for i in range(n):
    w.writerow(["N%d" % i, "N%d" % (i + 1) if i + 1 < n else ""])'
	run -0 cp-regrow sync < deep.csv
	[ "$(jq -r '.install_order[0], .install_order[-1], (.install_order | length)' <<< "$output" | paste -sd' ')" = "N199999 N0 200000" ]
}

@test "sync -o: the same bytes, written atomically, only on success; --root confines OUT" {
	run -0 cp-regrow -f "$D/packages.csv" -o view.json sync
	[ -z "$output" ]
	cmp view.json "$D/sync.json"
	# a cycle (status 2): OUT keeps what it held, no temporary file left
	run -2 cp-regrow -f "$D/bad-cycle.csv" -o view.json sync
	cmp view.json "$D/sync.json"
	[ "$(ls -A)" = view.json ]
	# beneath a root: directories made there, no symlink followed on the way
	mkdir -p plane elsewhere
	run -0 cp-regrow -f "$D/packages.csv" --root plane -o registries/compiled/packages.json sync
	cmp plane/registries/compiled/packages.json "$D/sync.json"
	[ "$(stat -c %a plane/registries/compiled/packages.json)" = 644 ]
	rm -r plane/registries/compiled
	ln -s "$PWD/elsewhere" plane/registries/compiled
	run -2 cp-regrow -f "$D/packages.csv" --root plane -o registries/compiled/packages.json sync
	[[ $output == *"registries/compiled"*"symlink"* ]]
	[ -z "$(ls -A elsewhere)" ]
	run -2 cp-regrow -f "$D/packages.csv" --root plane -o ../out.json sync
	[ ! -e out.json ]
	# -o is sync's, --root validate's and sync -o's
	run -2 cp-regrow -f "$D/packages.csv" -o x.json get PKG-A
	[ "$output" = "cp-regrow: -o applies to sync" ]
	run -2 cp-regrow -f "$D/packages.csv" --root plane select
	[ "$output" = "cp-regrow: --root applies to validate, and to sync -o" ]
	[ ! -e x.json ]
}

@test "sync: a cycle gives package_sync.py's view, a warning and status 2" {
	run --separate-stderr -2 cp-regrow sync < "$D/bad-cycle.csv"
	cmp <(printf '%s' "$output") <(syncpy "$D/bad-cycle.csv")
	# A -> B -> D -> A: the walk from A places D, B, A; C and E after
	[ "$(jq -c .install_order <<<"$output")" = '["PKG-D","PKG-B","PKG-A","PKG-C","PKG-E","PKG-X"]' ]
	[ "$stderr" = "cp-regrow: -: dependency cycles: 1 dependency leads back to a row that needs it (see validate)" ]
}

@test "sync: a dependency on no row, and a repeated id, give Python's view and status 2" {
	run --separate-stderr -2 cp-regrow sync < "$D/bad-dep-unknown.csv"
	cmp <(printf '%s' "$output") <(syncpy "$D/bad-dep-unknown.csv")
	# Python places the name no row has where its walk reaches it
	jq -e '.install_order | index("PKG-NOPE") == 3' <<< "$output"
	[ "$stderr" = 'cp-regrow: -: missing dependencies: 1 entry names no row, first "PKG-NOPE" (see validate)' ]
	run --separate-stderr -2 cp-regrow -k id sync < "$D/bad-cp-duplicate.csv"
	cmp <(printf '%s' "$output") <(syncpy "$D/bad-cp-duplicate.csv")
	[ "$stderr" = 'cp-regrow: -: duplicate ids: 1 row repeats an earlier row'"'"'s id, first "FMWK-100" (see validate)' ]
	# ids and deps trimmed as str.strip() trims (no-break and ideographic spaces too): B is A again
	printf 'id,deps\r\nA,"\xc2\xa0B\xe3\x80\x80@^1, C"\r\n B\xc2\xa0,\r\nC,\r\n' > ws.csv
	run --separate-stderr -0 cp-regrow sync < ws.csv
	cmp <(printf '%s' "$output") <(syncpy ws.csv)
	[ "$(jq -c .install_order <<<"$output")" = '["B","C","A"]' ]
}

@test "sync: non-ASCII, DEL and controls escaped as json.dumps escapes them" {
	printf 'id,name\r\nA,"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80 \x7f \x1f \x08\x0c\t\r\n ""q"" \\ /"\r\n' > u.csv
	run -0 cp-regrow sync < u.csv
	cmp <(printf '%s' "$output") <(syncpy u.csv)
	grep -qF '"name": "caf\u00e9 \u2615 \ud83d\ude00 \u007f \u001f \b\f\t\r\n \"q\" \\ /"' <<< "$output"
}

@test "sync: a header alone is an empty view" {
	head -n 1 "$D/packages.csv" > empty.csv
	run -0 cp-regrow sync < empty.csv
	[ "$output" = "$(printf '{\n  "packages": [],\n  "install_order": []\n}')" ]
	cmp <(cp-regrow sync < empty.csv) <(syncpy empty.csv)
	run -0 cp-regrow select < empty.csv
	run -1 cp-regrow get PKG-A < empty.csv
	run -0 cp-regrow validate < empty.csv
}

@test "validate: the example registries are valid" {
	run --separate-stderr -0 cp-regrow -f "$D/packages.csv" validate
	[ -z "$output" ]
	run -0 cp-regrow -f "$D/control_plane.csv" validate
	[ -z "$output" ]
	for f in diamond chain; do run -0 cp-regrow -f "$D/$f.csv" validate; done
}

# check_rule FILE EXPECTED: validate FILE (here, else in $D) fails with exactly the line EXPECTED.
check_rule() {
	local f=$1
	[ -e "$f" ] || f=$D/$1
	run --separate-stderr -1 cp-regrow -f "$f" validate
	if [ "$output" != "$2" ]; then
		printf 'want: %s\ngot:  %s\n' "$2" "$output" >&2
		return 1
	fi
}

@test "validate: one broken registry per rule, each named with its line" {
	check_rule bad-enum.csv 'FAIL: '"$D"'/bad-enum.csv:3 (PKG-B): status "actived" is not proposed, draft, validated, active, superseded, deprecated, retired, archived, yanked or empty'
	check_rule bad-semver.csv 'FAIL: '"$D"'/bad-semver.csv:6 (PKG-D): version "1.0" is not a semantic version (MAJOR.MINOR.PATCH[-pre-release][+build])'
	check_rule bad-digest-missing.csv 'FAIL: '"$D"'/bad-digest-missing.csv:3 (PKG-B): digest is missing (only source_type local may omit it)'
	check_rule bad-digest.csv 'FAIL: '"$D"'/bad-digest.csv:8 (PKG-X): digest "xyz0000000000000000000000000000000000000000000000000000000000000" is not a SHA-256 (64 hex digits)'
	check_rule bad-dep-unknown.csv 'FAIL: '"$D"'/bad-dep-unknown.csv:2 (PKG-A): dependency "PKG-NOPE" does not exist'
	check_rule bad-conflict.csv 'FAIL: '"$D"'/bad-conflict.csv:2 (PKG-A): "PKG-C" is both a dependency and a conflict'
	check_rule bad-name-digest.csv 'FAIL: '"$D"'/bad-name-digest.csv:8 (PKG-X): name "b" has another digest on line 3'
	check_rule bad-external.csv 'FAIL: '"$D"'/bad-external.csv:8 (PKG-X): output_type external needs an output_path'
}

# broken ID COLUMN=VALUE...: packages.csv with those fields of row ID changed
# (by Python's csv), as broken.csv.
broken() {
	py 'rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
w = csv.DictWriter(open("broken.csv", "w", newline="", encoding="utf-8"), fieldnames=list(rows[0]))
w.writeheader()
for r in rows:
    if r["id"] == sys.argv[2]:
        r.update(a.split("=", 1) for a in sys.argv[3:])
    w.writerow(r)' "$D/packages.csv" "$@"
}

@test "validate: the other rules of design.md section 5, one at a time" {
	broken PKG-X id=
	check_rule broken.csv 'FAIL: broken.csv:8 (): id is empty'
	broken PKG-X id=PKG-A
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-A): duplicate id (first on line 2)'
	broken PKG-X source=
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): source is empty'
	broken PKG-X source_type=svn
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): source_type "svn" is not git, pypi, tar, oci or local'
	broken PKG-X source_type=
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): source_type "" is not git, pypi, tar, oci or local'
	broken PKG-X selected=YES
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): selected "YES" is not yes, no or empty'
	broken PKG-X priority=P4
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): priority "P4" is not P0, P1, P2, P3 or empty'
	broken PKG-X platform=windows
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): platform "windows" is not any, linux, darwin or empty'
	broken PKG-X arch=i386
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): arch "i386" is not any, x86_64, arm64 or empty'
	broken PKG-X output_type=
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): output_type "" is not extension, module or external'
	broken PKG-X version=01.3.0
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): version "01.3.0" is not a semantic version (MAJOR.MINOR.PATCH[-pre-release][+build])'
	broken PKG-X digest=abc
	check_rule broken.csv 'FAIL: broken.csv:8 (PKG-X): digest "abc" is not a SHA-256 (64 hex digits)'
	# the empty values the rules allow, and local without a digest, are valid
	broken PKG-X status= selected= priority= platform= arch= source_type=local digest=
	run -0 cp-regrow -f broken.csv validate
	[ -z "$output" ]
}

@test "validate: an unsatisfied constraint for each operator" {
	check_rule bad-dep-caret.csv 'FAIL: '"$D"'/bad-dep-caret.csv:2 (PKG-A): dependency "PKG-B@^2.0.0" is not satisfied by version "1.3.0" (line 3)'
	check_rule bad-dep-tilde.csv 'FAIL: '"$D"'/bad-dep-tilde.csv:2 (PKG-A): dependency "PKG-C@~1.3.0" is not satisfied by version "1.4.2" (line 4)'
	check_rule bad-dep-ge.csv 'FAIL: '"$D"'/bad-dep-ge.csv:3 (PKG-B): dependency "PKG-D@>=1.0.1" is not satisfied by version "1.0.0" (line 6)'
	check_rule bad-dep-eq.csv 'FAIL: '"$D"'/bad-dep-eq.csv:4 (PKG-C): dependency "PKG-D@==1.0.1" is not satisfied by version "1.0.0" (line 6)'
	check_rule bad-dep-bare.csv 'FAIL: '"$D"'/bad-dep-bare.csv:7 (PKG-E): dependency "PKG-D@1.0.1" is not satisfied by version "1.0.0" (line 6)'
}

@test "validate: a cycle of three is reported once, with its members" {
	check_rule bad-cycle.csv 'FAIL: '"$D"'/bad-cycle.csv:2 (PKG-A): dependency cycle among "PKG-A", "PKG-B", "PKG-D"'
	# a row depending on itself is a cycle too
	cp-regrow set PKG-E deps=PKG-E < "$D/packages.csv" > self.csv
	run -1 cp-regrow -f self.csv validate
	[ "$output" = 'FAIL: self.csv:7 (PKG-E): dependency cycle among "PKG-E"' ]
}

@test "validate: three problems are all reported, in line order" {
	run -1 cp-regrow validate < "$D/bad-three.csv"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == 'FAIL: -:3 (PKG-B): status "nope" '* ]]
	[[ "${lines[1]}" == 'FAIL: -:4 (PKG-C): selected "maybe" '* ]]
	[ "${lines[2]}" = 'FAIL: -:8 (PKG-X): digest is missing (only source_type local may omit it)' ]
}

@test "validate: a warning alone is still valid" {
	run -0 cp-regrow validate < "$D/bad-upper-digest.csv"
	[[ "$output" == 'WARN: -:6 (PKG-D): digest "ABAB'*'" is in upper case (the tools write lower case)' ]]
}

@test "validate: semantic version precedence as semver.org lists it" {
	vs=(1.0.0-alpha 1.0.0-alpha.1 1.0.0-alpha.beta 1.0.0-beta 1.0.0-beta.2 1.0.0-beta.11 1.0.0-rc.1 1.0.0 1.0.0+build.9)
	{
		head -n 1 "$D/packages.csv"
		for i in "${!vs[@]}"; do
			cp-regrow -f "$D/packages.csv" get PKG-X | tail -n 1 | sed "s/^PKG-X,x,/V$i,v$i,/; s/,1\.0\.0,/,${vs[$i]},/; s/,0606[0-9]*,/,$(printf '%064d' "$i"),/"
		done
	} > v.csv
	run -0 cp-regrow -f v.csv validate
	ok=() bad=()
	for i in $(seq 0 6); do
		ok+=("V$((i + 1))@>=${vs[$i]}")
		bad+=("V$i@>=${vs[$((i + 1))]}")
	done
	ok+=("V8@==1.0.0" "V7@==1.0.0+other" "V7@^1.0.0-alpha" "V7@~1.0.0-rc.1")
	bad+=("V7@^0.9.0" "V7@~0.1.0" "V0@1.0.0-alpha.0")
	run -0 cp-regrow -i v.csv set V0 deps="$(IFS=,; echo "${ok[*]}")"
	run -0 cp-regrow -f v.csv validate
	run -0 cp-regrow -i v.csv set V0 deps="$(IFS=,; echo "${bad[*]}")"
	run -1 cp-regrow -f v.csv validate
	# V0 is in the bad list for itself: that is a cycle as well
	[ "$(grep -c 'is not satisfied' <<<"$output")" -eq 10 ]
	[ "$(grep -c 'dependency cycle among "V0"' <<<"$output")" -eq 1 ]
}

@test "validate: bad constraint and entry syntax" {
	cp-regrow set PKG-A 'deps=PKG-B@^1.x, @1.0.0, PKG-C@>1.0.0' < "$D/packages.csv" > syn.csv
	run -1 cp-regrow -f syn.csv validate
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *'deps entry "PKG-B@^1.x": the constraint is not'* ]]
	[[ "${lines[1]}" == *'deps entry "@1.0.0" names no id' ]]
	[[ "${lines[2]}" == *'deps entry "PKG-C@>1.0.0": the constraint is not'* ]]
}

@test "validate: the control-plane registry's rules" {
	check_rule bad-cp-path.csv 'FAIL: '"$D"'/bad-cp-path.csv:3 (FMWK-100): artifact_path "frameworks/FMWK-100_agent_development_standard.md" is not plane-relative with a leading /'
	check_rule bad-cp-hash.csv 'FAIL: '"$D"'/bad-cp-hash.csv:4 (FMWK-200): content_hash "12345" is not a SHA-256 (64 hex digits)'
	check_rule bad-cp-dependency.csv 'FAIL: '"$D"'/bad-cp-dependency.csv:4 (FMWK-200): dependencies entry "FMWK-999" does not exist'
	check_rule bad-cp-duplicate.csv 'FAIL: '"$D"'/bad-cp-duplicate.csv:4 (FMWK-100): duplicate id (first on line 3)'
	cp-regrow set FMWK-200 artifact_path=/frameworks/../../etc/passwd < "$D/control_plane.csv" > up.csv
	run -1 cp-regrow -f up.csv validate
	[[ "$output" == *'(FMWK-200): artifact_path "/frameworks/../../etc/passwd" leaves the plane (..)' ]]
	cp-regrow set REG-CP content_hash="$(printf '%064d' 0)" < "$D/control_plane.csv" > self.csv
	run -0 cp-regrow -f self.csv validate
	[[ "$output" == 'WARN: self.csv:2 (REG-CP): content_hash of the control-plane registry'* ]]
}

@test "validate: columns: missing and unknown, and the kind from the header or --kind" {
	py 'rows = list(csv.reader(open(sys.argv[1], newline="")))
w = csv.writer(open("cols.csv", "w", newline=""))
for r in rows: w.writerow(r[:3] + r[4:] + ["x"])' "$D/control_plane.csv"
	sed -i '1s/,x\r$/,colour\r/' cols.csv
	run -1 cp-regrow -f cols.csv validate
	[ "${lines[0]}" = 'FAIL: cols.csv:1 (header): missing column category' ]
	[ "${lines[1]}" = 'FAIL: cols.csv:1 (header): unknown column "colour"' ]
	[ "${#lines[@]}" -eq 2 ]
	# the packages registry keeps unknown columns with a warning only
	sed '1s/\r$/,extra\r/; 2,$s/\r$/,\r/' "$D/diamond.csv" > extra.csv
	run -0 cp-regrow -f extra.csv validate
	[ "$output" = 'WARN: extra.csv:1 (header): unknown column "extra"' ]
	# the kind: told by the header, or forced
	run -1 cp-regrow --kind control-plane validate < "$D/packages.csv"
	[[ "${lines[0]}" == *'(header): missing column purpose' ]]
	printf 'user,roles\r\nalice,admin\r\n' > roles.csv
	run --separate-stderr -2 cp-regrow validate < roles.csv
	[[ "$stderr" == *"neither a packages nor a control-plane registry's (use --kind)"* ]]
	run -2 cp-regrow --kind nonsense validate < roles.csv
}

@test "validate --json: one report object that jq reads" {
	run -1 cp-regrow --json -f "$D/bad-three.csv" validate
	[ "${#lines[@]}" -eq 1 ]
	jq -e '.valid == false and .kind == "packages" and .rows == 6 and .failures == 3 and .warnings == 0' <<<"$output"
	jq -e '[.problems[].line] == [3, 4, 8] and .problems[2].id == "PKG-X" and .problems[2].level == "FAIL"' <<<"$output"
	run -0 cp-regrow --json validate < "$D/bad-upper-digest.csv"
	jq -e '.valid and .file == "-" and .warnings == 1 and .problems[0].level == "WARN"' <<<"$output"
	cp-regrow --json validate < "$D/bad-cp-path.csv" | jq -e '.kind == "control-plane"'
	# a header problem has a null id
	sed '1s/,content_hash\r$/\r/; 2,$s/,[^,]*\r$/\r/' "$D/diamond.csv" > nohash.csv
	cp-regrow --json -f nohash.csv validate | jq -e '.problems[0].id == null and .problems[0].line == 1'
}

@test "validate: hostile values stay on one line of output" {
	cp-regrow set PKG-B "$(printf 'status=bad\nFAIL: forged\x01')" < "$D/packages.csv" > evil.csv
	run -1 cp-regrow -f evil.csv validate
	# two problems (the control characters, then the enum), each on one line
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'status "bad\nFAIL: forged\x01" holds a control character'* ]]
	[[ "${lines[1]}" == *'status "bad\nFAIL: forged\x01" is not'* ]]
}

# Found by fuzzing (tests/fuzz/FINDINGS.md): an extra column's name came out raw
# in the control-character problem, so a header could forge lines of output.
@test "validate: a hostile column name stays on one line of output" {
	{ printf '%s,"x\nFAIL: forged"\r\n' "$(head -n 1 "$D/packages.csv" | tr -d '\r')"
	  sed -n '2p' "$D/packages.csv" | sed 's/\r$/,a\x01b\r/'; } > evil.csv
	run -1 cp-regrow -f evil.csv validate
	printf '%s\n' "$output"
	for l in "${lines[@]}"; do [[ $l != "FAIL: forged"* ]]; done
	[[ "$output" == *'"x\nFAIL: forged" "a\x01b" holds a control character'* ]]
}

@test "validate: a control character in a field that routes or names is refused, free text may span lines" {
	cp-regrow set PKG-B "$(printf 'output_path=a\037b')" < "$D/packages.csv" > us.csv
	run -1 cp-regrow -f us.csv validate
	[[ "$output" == *'output_path "a\x1fb" holds a control character'* ]]
	cp-regrow set PKG-B "$(printf 'category=two\nlines')" < "$D/packages.csv" > ok.csv
	run -0 cp-regrow -f ok.csv validate
}

@test "standard input, - and -f agree" {
	a=$(cp-regrow sync < "$D/packages.csv")
	b=$(cp-regrow -f - sync < "$D/packages.csv")
	c=$(cp-regrow -f "$D/packages.csv" sync)
	[ "$a" = "$b" ]
	[ "$a" = "$c" ]
}

@test "empty input and a missing file are errors (status 2)" {
	run --separate-stderr -2 cp-regrow select < /dev/null
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: -:1: no header line" ]
	run --separate-stderr -2 cp-regrow -f no-such.csv select
	[ "$stderr" = "cp-regrow: no-such.csv: No such file or directory" ]
	run --separate-stderr -2 cp-regrow -i no-such.csv set A x=y
	[ "$stderr" = "cp-regrow: no-such.csv: No such file or directory" ]
	[ ! -e no-such.csv ]
}

@test "bad usage exits 2 with a usage message on stderr" {
	run --separate-stderr -2 cp-regrow
	[[ "$stderr" == *"usage: cp-regrow"* ]]
	[ -z "$output" ]
	run --separate-stderr -2 cp-regrow frobnicate
	[[ "$stderr" == "cp-regrow: unknown command frobnicate"* ]]
	run -2 cp-regrow --no-such-option get x
	run -2 cp-regrow get
	run -2 cp-regrow get a b
	run -2 cp-regrow set a
	run -2 cp-regrow sync extra
	run -2 cp-regrow -f a -i b set x y=z
	run -2 cp-regrow -i "$D/packages.csv" get PKG-A
	run -2 cp-regrow --json set PKG-A x=y
	run -2 cp-regrow --kind packages get PKG-A
	run -2 cp-regrow --max-field 0 select
	run -2 cp-regrow --max-field -5 select
	run -2 cp-regrow --max-field lots select
}

@test "--help and --version go to stdout and exit 0" {
	run --separate-stderr -0 cp-regrow --help
	[[ "$output" == "usage: cp-regrow"* ]]
	[ -z "$stderr" ]
	run -0 cp-regrow --version
	[[ "$output" == "cp-regrow (Control Plane v2 in C) "* ]]
}

@test "a write error on stdout is reported and exits 2" {
	run --separate-stderr -2 bash -c "cp-regrow select < '$D/packages.csv' > /dev/full"
	[[ "$stderr" == *"cp-regrow: write error: No space left on device"* ]]
	run -2 bash -c "cp-regrow sync < '$D/packages.csv' > /dev/full"
	run -2 bash -c "cp-regrow validate < '$D/bad-three.csv' > /dev/full"
	run -2 bash -c "cp-regrow get PKG-A < '$D/packages.csv' > /dev/full"
}

@test "-i: the file is updated in place, its mode kept, nothing left beside it" {
	mkdir reg && cp "$D/packages.csv" reg/p.csv && chmod 640 reg/p.csv
	run --separate-stderr -0 cp-regrow -i reg/p.csv set PKG-B status=superseded \
		"$(printf 'license=a, b, and "c"\r\nd')"
	[ -z "$output" ]
	cmp reg/p.csv "$D/set-PKG-B.out"
	[ "$(stat -c %a reg/p.csv)" = 640 ]
	[ "$(ls -A reg | sort | tr '\n' ' ')" = "p.csv " ]	# no lock file either
	cp-regrow -i reg/p.csv del PKG-B
	cp-regrow -i reg/p.csv add id=PKG-B
	[ "$(rows reg/p.csv)" -eq 6 ]
	[ "$(cp-regrow -f reg/p.csv get PKG-B | tail -n 1)" = "$(printf 'PKG-B%26s\r' | tr ' ' ,)" ]
}

@test "-i: a negative answer or an error leaves the file's bytes and inode alone" {
	cp "$D/packages.csv" p.csv
	before=$(stat -c '%i %Y %s' p.csv; sha256sum p.csv)
	run --separate-stderr -1 cp-regrow -i p.csv set PKG-NOPE status=active
	[ -z "$output" ]
	[ "$stderr" = "cp-regrow: p.csv: no row with id PKG-NOPE" ]
	run -1 cp-regrow -i p.csv del PKG-NOPE
	run -1 cp-regrow -i p.csv add id=PKG-A
	run -2 cp-regrow -i p.csv set PKG-A colour=red
	run -2 cp-regrow -i p.csv set PKG-A "$(printf 'name=\xff')"
	run -2 cp-regrow -i p.csv set PKG-A id=PKG-Z
	run -2 cp-regrow -i p.csv upsert id= name=x
	[ "$before" = "$(stat -c '%i %Y %s' p.csv; sha256sum p.csv)" ]
	[ -z "$(ls -A | grep '^\.')" ]	# no temporary file left
}

@test "-i --kind: a registry that does not exist yet starts from the kind's header" {
	run -0 cp-regrow -i new.csv --kind packages add id=PKG-1 version=1.0.0
	run -0 cp-regrow -f new.csv get PKG-1
	head -n 1 new.csv | cmp - <(head -n 1 "$D/packages.csv")
	run -0 cp-regrow -i cp.csv --kind control-plane upsert id=REG-CP artifact_path=/registries/control_plane_registry.csv
	head -n 1 cp.csv | cmp - <(head -n 1 "$D/control_plane.csv")
	# nothing is created on a negative answer
	run -1 cp-regrow -i none.csv --kind packages del PKG-1
	[ ! -e none.csv ]
}

@test "-i: the lock is FILE's directory, and a writer holding it makes cp-regrow wait" {
	command -v flock > /dev/null || skip "flock(1) is not installed"
	mkdir d
	cp "$D/packages.csv" d/p.csv
	exec 9< d
	flock -x 9
	cp-regrow -i d/p.csv set PKG-B status=retired 2> err & pid=$!
	sleep 0.5
	cmp d/p.csv "$D/packages.csv"	# still waiting for the lock
	kill -0 "$pid"
	flock -u 9
	exec 9<&-
	wait "$pid"
	[ "$(cp-regrow -f d/p.csv --field status get PKG-B)" = retired ]
	[ ! -s err ]
	[ "$(ls -A d)" = p.csv ]	# nothing left beside it
}

@test "-i: a plane's registry takes the plane's lock (.cp/plane.lock, cp-plane's), no lock file in registries/" {
	command -v flock > /dev/null || skip "flock(1) is not installed"
	mkdir -p plane/registries
	cp "$D/packages.csv" plane/registries/packages_registry.csv
	# no .cp yet: made, so cp-regrow and a first cp-plane step agree on the lock
	run -0 cp-regrow -i plane/registries/packages_registry.csv set PKG-A status=active
	[ -f plane/.cp/plane.lock ]
	[ "$(ls -A plane/registries)" = packages_registry.csv ]
	# the plane's lock held (as cp-plane holds it for a transaction): -i waits
	exec 9> plane/.cp/plane.lock
	flock -x 9
	cp-regrow -i plane/registries/packages_registry.csv set PKG-B status=retired 2> err & pid=$!
	sleep 0.5
	cmp plane/registries/packages_registry.csv <(cp-regrow -f "$D/packages.csv" set PKG-A status=active)
	kill -0 "$pid"
	flock -u 9
	exec 9>&-
	wait "$pid"
	[ "$(cp-regrow -f plane/registries/packages_registry.csv --field status get PKG-B)" = retired ]
	[ ! -s err ]
	[ "$(ls -A plane/registries)" = packages_registry.csv ]
	# any registry in a directory of the plane (its parent holds .cp) takes the same lock
	mkdir plane/sub && cp "$D/packages.csv" plane/sub/r.csv
	exec 9> plane/.cp/plane.lock
	flock -x 9
	cp-regrow -i plane/sub/r.csv set PKG-B status=retired & pid=$!
	sleep 0.3
	cmp plane/sub/r.csv "$D/packages.csv"
	kill -0 "$pid"
	flock -u 9
	exec 9>&-
	wait "$pid"
	[ "$(ls -A plane/sub)" = r.csv ]
}

@test "-i: SIGINT while the replacement is written leaves no temporary file: the edit is done or not begun" {
	command -v flock > /dev/null || skip "flock(1) is not installed"
	mkdir d
	cp "$D/packages.csv" d/p.csv
	# Interrupt it while it waits for the lock: killed (130), nothing changed or left.
	exec 9< d
	flock -x 9
	/usr/bin/python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
		cp-regrow -i d/p.csv set PKG-B status=retired & pid=$!
	sleep 0.3
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	exec 9<&-
	cmp d/p.csv "$D/packages.csv"
	[ "$(ls -A d)" = p.csv ]
}

@test "-i: two processes doing 200 upserts each lose no row" {
	printf 'id,name,n\r\n' > reg.csv
	worker() {
		for i in $(seq 1 200); do
			cp-regrow -i reg.csv upsert "id=$1-$i" "name=$1, \"$i\"" "n=$i" || return 1
		done
	}
	worker a & pa=$!
	worker b & pb=$!
	wait "$pa"
	wait "$pb"
	[ "$(rows reg.csv)" -eq 400 ]
	py 'rows = list(csv.DictReader(open("reg.csv", newline="")))
assert len({r["id"] for r in rows}) == 400
assert all(r["name"] == "%s, \"%s\"" % (r["id"].split("-")[0], r["n"]) for r in rows)'
	run -0 cp-regrow -f reg.csv select
	cmp <(cp-regrow -f reg.csv select) reg.csv
}

# hostile NAME BYTES MESSAGE [OPTIONS...]: the bytes as a registry are refused
# with MESSAGE (status 2), from standard input and with -i (the file untouched).
hostile() {
	printf "$2" > "$1.csv"
	local before
	before=$(sha256sum "$1.csv")
	run --separate-stderr -2 cp-regrow "${@:4}" select < "$1.csv"
	if [ "$stderr" != "cp-regrow: -:$3" ]; then
		printf 'want: %s\ngot:  %s\n' "cp-regrow: -:$3" "$stderr" >&2
		return 1
	fi
	run --separate-stderr -2 cp-regrow "${@:4}" -i "$1.csv" set A name=changed
	[ "$stderr" = "cp-regrow: $1.csv:$3" ]
	[ "$before" = "$(sha256sum "$1.csv")" ]
	[ -z "$(ls -A | grep '^\.')" ]	# no temporary file left
	run -2 cp-regrow "${@:4}" validate < "$1.csv"
	run -2 cp-regrow "${@:4}" sync < "$1.csv"
	no_signal
}

@test "hostile: an unterminated quote names the line it opens on" {
	hostile open 'id,name\r\nA,x\r\nB,"never\r\nclosed\r\n' '3: unterminated quoted field'
	hostile open2 'id,name\r\nA,"a\nb"\r\nB,"x\r\n' '4: unterminated quoted field'
}

@test "hostile: a row with more or fewer fields than the header" {
	hostile more 'id,name\r\nA,x\r\nB,y,z\r\n' '3: more fields than the header'"'"'s 2'
	hostile fewer 'id,name\r\nA,x\r\nB\r\n' '3: 1 field, the header has 2'
}

@test "hostile: a repeated or empty header name" {
	hostile dup 'id,name,id\r\nA,x,y\r\n' '1: column name id repeated (columns 1 and 3)'
	hostile noname 'id,,x\r\nA,x,y\r\n' '1: column 2 of the header has no name'
}

@test "hostile: a NUL byte" {
	hostile nul 'id,name\r\nA,x\0y\r\n' '2: NUL byte'
	hostile nulq 'id,name\r\nA,"x\0y"\r\n' '2: NUL byte'
}

@test "hostile: invalid UTF-8 (a stray byte, an overlong, a surrogate)" {
	hostile utf 'id,name\r\nA,\377\r\n' '2: invalid UTF-8'
	hostile overlong 'id,name\r\nA,ok\r\nB,"x\n\300\257"\r\n' '4: invalid UTF-8'
	hostile surrogate 'id,name\r\nA,\355\240\200\r\n' '2: invalid UTF-8'
}

@test "hostile: a field over the size cap" {
	hostile big 'id,name\r\nA,0123456789\r\n' '2: field 2 longer than 8 bytes' --max-field 8
	# the default cap is 1 MiB
	{ printf 'id,name\r\nA,'; head -c 1048577 /dev/zero | tr '\0' x; printf '\r\n'; } > huge.csv
	run --separate-stderr -2 cp-regrow select < huge.csv
	[ "$stderr" = "cp-regrow: -:2: field 2 longer than 1048576 bytes" ]
	{ printf 'id,name\r\nA,'; head -c 1048576 /dev/zero | tr '\0' x; printf '\r\n'; } > fits.csv
	run -0 cp-regrow get A < fits.csv
}

@test "hostile: bare CR line ends, and text after a closing quote" {
	hostile cr 'id,name\rA,x\rB,y\r' '1: carriage return inside a field or as a line end (quote it, or end lines with CRLF or LF)'
	hostile crmid 'id,name\r\nA,x\ry\r\n' '2: carriage return inside a field or as a line end (quote it, or end lines with CRLF or LF)'
	hostile after 'id,name\r\nA,"x"y\r\n' '2: text after the closing quote of a field'
}

@test "hostile: random bytes never crash it" {
	for i in $(seq 1 40); do
		head -c $((RANDOM % 600 + 1)) /dev/urandom > r.csv
		run cp-regrow select < r.csv
		no_signal
		[ "$status" -le 2 ]
		run cp-regrow validate < r.csv
		no_signal
		# mutations of a good registry
		python3 -c 'import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
for _ in range(3):
    b[random.randrange(len(b))] = random.choice(b"\",\r\n\0\xff x")
sys.stdout.buffer.write(b)' "$D/packages.csv" > m.csv
		run cp-regrow sync < m.csv
		no_signal
		run cp-regrow validate < m.csv
		no_signal
	done
}

@test "the man pages are lint clean and document every long option" {
	command -v mandoc > /dev/null || skip "mandoc is not installed"
	man=$BATS_TEST_DIRNAME/../man
	mandoc -Tlint -Wwarning "$man/cp-regrow.1" "$man/cp-registry.5"
	for opt in $(cp-regrow --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -Eq -- "^\.It .*Fl \\\\${opt#-}( |\$)" "$man/cp-regrow.1" || {
			echo "not in the man page: $opt" >&2
			return 1
		}
	done
}

@test "validate: a local row without a digest has no 'another digest' than a same-name row (as validate_packages.py)" {
	# PKG-C takes PKG-B's name; as a local row without a digest it is no conflict
	cp-regrow set PKG-C "name=$(cp-regrow -f "$D/packages.csv" --field name get PKG-B)" source_type=local digest= \
		< "$D/packages.csv" > local.csv
	run --separate-stderr -0 cp-regrow -f local.csv validate
	[[ "$stderr" != *"another digest"* ]]
	# with a digest of its own it is one
	cp-regrow set PKG-C source_type=tar "digest=$(printf '%064d' 7)" < local.csv > two.csv
	run -1 cp-regrow -f two.csv validate
	[[ "$output" == *"another digest"* ]]
}

@test "a registry is never read from a terminal: standard input left unredirected is status 2 with a hint" {
	command -v script > /dev/null || skip "script(1) is not installed"
	cp "$D/packages.csv" p.csv
	# script(1) gives the command a terminal as its standard input
	run -0 script -qec "cp-regrow get PKG-A; echo status=\$?" /dev/null < /dev/null
	[[ $output == *'cp-regrow: refusing to read a registry from a terminal: give one with -f FILE or "< FILE"'* ]]
	[[ $output == *status=2* ]]
	run -0 script -qec "cp-regrow validate --kind packages; echo status=\$?" /dev/null < /dev/null
	[[ $output == *status=2* ]]
	# -f and -i read no terminal, and neither does a redirection
	run -0 script -qec "cp-regrow -f p.csv --field id get PKG-A; echo status=\$?" /dev/null < /dev/null
	[[ $output == *PKG-A* && $output == *status=0* ]]
	run -0 script -qec "cp-regrow --field id get PKG-A < p.csv; echo status=\$?" /dev/null < /dev/null
	[[ $output == *status=0* ]]
}
