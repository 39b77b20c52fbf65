#!/usr/bin/env bats
# cp-plane init and the read-only queries (list, show, owns, verify,
# search), through cp-plane and through make, with and without JSON=1.
# A new plane is made from nothing in an empty directory holding the
# two-line Makefile; the queries run on a copy of the repository's example
# plane, whose four packages are installed.  Expected answers come from
# sha256sum, tar, jq and Python's csv, never from cp-plane itself.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/plane
	S=$T/work
	export HOME=$T/home TMPDIR=$T/tmp
	mkdir -p "$HOME" "$TMPDIR" "$S"
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT \
		CONTROL_PLANE_TOKEN CONTROL_PLANE_SHARED_SECRET PKG FILE Q ADMIN JSON
	# as from a shell, not from inside make check
	unset MAKEFLAGS MFLAGS MAKELEVEL
}

# The two-line Makefile (cp-plane(7)), with the toolkit's bin/ and fragment.
two_lines() {
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$1/Makefile"
}

# A copy of the example plane at $P, alice (admin) acting with a secret of the test's own.
example() {
	mkdir -p "$P"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock
	two_lines "$P"
	export CONTROL_PLANE_SHARED_SECRET=plane-query-test-secret
	export CONTROL_PLANE_TOKEN=$(token alice)
	cd "$P"
}

token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}

# make's own status when it ran the step: the step's ("Error N"), as in cp-plane.bats.
mk() {
	local rc=0
	make -s -C "$P" "$@" 2> "$S/mk.err" || rc=$?
	cat "$S/mk.err" >&2
	if [ "$rc" -eq 2 ] && tail -n 1 "$S/mk.err" | grep -q '\] Error 1$'; then
		rc=1
	fi
	return "$rc"
}

ledger_n() { cat "$P"/ledger/*.jsonl | wc -l; }
sha() { sha256sum < "$1" | cut -c1-64; }

# --- init ---------------------------------------------------------------------

@test "init: make alone prints help in an empty directory with the two-line Makefile" {
	mkdir -p "$P"
	two_lines "$P"
	run -0 --separate-stderr make -C "$P" --no-print-directory
	[[ "$output" == *"make init"* ]]
	[[ "$output" == *"make pack SRC=path"* ]]
	[[ "$output" != *"usage: make pack"* ]]
	[[ "$stderr" != *"usage"* ]]
	# nothing was made
	[ "$(ls -A "$P")" = Makefile ]
}

@test "init: every missing piece names the command that makes it" {
	mkdir -p "$P"
	two_lines "$P"
	run -2 --separate-stderr make -s -C "$P" validate
	[[ "$stderr" == *"make init"* ]]
	run -2 --separate-stderr make -s -C "$P" list
	[[ "$stderr" == *"make init"* ]]
	run -2 --separate-stderr make -s -C "$P" install PKG=PKG-X
	[[ "$stderr" == *"make init"* ]]
	run -2 --separate-stderr make -s -C "$P" integrity
	[[ "$stderr" == *"make init"* ]]
	run -2 --separate-stderr make -s -C "$P" ledger-verify
	[[ "$stderr" == *"make init"* ]]
	[ "$(ls -A "$P")" = Makefile ]
	# a plane, but no secrets file yet
	run -0 make -s -C "$P" init ADMIN=alice
	export CONTROL_PLANE_TOKEN=alice:00
	run -2 --separate-stderr make -s -C "$P" list
	[[ "$stderr" == *"secrets.env"* ]]
	[[ "$stderr" == *"cp-authz init USER"* ]]
	# no roles file
	run -0 cp-authz -C "$P" init alice
	export CONTROL_PLANE_TOKEN=$output
	rm "$P/registries/roles.csv"
	run -2 --separate-stderr make -s -C "$P" list
	[[ "$stderr" == *"roles.csv"*"make init"* ]]
}

@test "init: from nothing to a healthy plane, through make" {
	mkdir -p "$P"
	two_lines "$P"
	run -0 --separate-stderr make -s -C "$P" init ADMIN=alice
	[[ "$stderr" == *"cp-authz init alice"* ]]
	# the headers the Python tools wrote: the example plane's first lines, byte for byte
	cmp <(head -n 1 "$REPO/registries/packages_registry.csv") "$P/registries/packages_registry.csv"
	cmp <(head -n 1 "$REPO/registries/control_plane_registry.csv") "$P/registries/control_plane_registry.csv"
	# roles.csv as Python's csv reads it; plane.conf pins hmac
	run -0 /usr/bin/python3 -c 'import csv,sys; print([(r["user"], r["roles"]) for r in csv.DictReader(open(sys.argv[1], newline=""))])' "$P/registries/roles.csv"
	[ "$output" = "[('alice', 'admin')]" ]
	grep -qx 'CONTROL_PLANE_AUTH_PROVIDER=hmac' "$P/registries/plane.conf"
	for d in installed ledger packages_store registries; do [ -d "$P/$d" ]; done
	[ -z "$(ls -A "$P" | grep '^\.cp-init')" ]
	# the first ledger entry
	[ "$(wc -l < "$P/ledger/governance.jsonl")" -eq 1 ]
	run -0 jq -r '.event_type + " " + .decision + " " + .metadata.admin + " " + .previous_hash' "$P/ledger/governance.jsonl"
	[ "$output" = "plane_init INIT alice " ]
	run -0 make -s -C "$P" ledger-verify
	run -0 make -s -C "$P" validate

	# the secret (outside the plane) and alice's token, as init's next steps say
	run -0 cp-authz -C "$P" init alice
	export CONTROL_PLANE_TOKEN=$output
	[ "$(stat -c %a "$HOME/.control_plane_v2/secrets.env")" = 600 ]

	# a framework: its row, pack, install, integrity
	mkdir -p "$P/frameworks"
	printf '# FMWK-1\nrules\n' > "$P/frameworks/FMWK-1_rules.md"
	cp-regrow -i "$P/registries/packages_registry.csv" add id=PKG-FMWK-1 name=rules \
		entity_type=framework category=governance version=1.0.0 source=local \
		source_type=local output_type=extension status=active \
		artifact_path=/frameworks/FMWK-1_rules.md
	cp-regrow -i "$P/registries/control_plane_registry.csv" add id=FMWK-1 name=rules \
		entity_type=framework category=governance artifact_path=/frameworks/FMWK-1_rules.md \
		status=active output_type=extension version=1.0.0
	run -0 make -s -C "$P" pack SRC=frameworks/FMWK-1_rules.md ID=PKG-FMWK-1
	run -0 make -s -C "$P" install PKG=PKG-FMWK-1 FORCE=1
	run -0 make -s -C "$P" validate
	run -0 make -s -C "$P" integrity JSON=1
	[ "$(jq -r '.healthy' <<< "$output")" = true ]
	[ "$(jq -r '.valid | join(" ")' <<< "$output")" = FMWK-1 ]
	run -0 make -s -C "$P" list JSON=1
	[ "$(jq -r '.packages[0].id + " " + .packages[0].digest' <<< "$output")" = "PKG-FMWK-1 $(sha "$P/packages_store/PKG-FMWK-1.tar.gz")" ]
	run -0 make -s -C "$P" ledger-verify JSON=1
	[ "$(jq -r .intact <<< "$output")" = true ]
	run -0 make -s -C "$P" verify
}

@test "init: refuses a plane, and a directory that holds part of one, changing nothing" {
	mkdir -p "$P"
	two_lines "$P"
	run -0 make -s -C "$P" init ADMIN=alice
	before=$(tree_state "$P")
	run -1 --separate-stderr "$REPO/bin/cp-plane" -C "$P" init --admin bob
	[[ "$stderr" == *"already a plane"* ]]
	[ "$(tree_state "$P")" = "$before" ]
	run -2 make -s -C "$P" init ADMIN=bob
	[ "$(tree_state "$P")" = "$before" ]

	Q2=$T/half
	mkdir -p "$Q2/ledger"
	run -1 --separate-stderr "$REPO/bin/cp-plane" -C "$Q2" init --admin alice
	[[ "$stderr" == *"ledger exists"* ]]
	[ "$(ls -A "$Q2")" = ledger ]
	# a bad admin name is an error, nothing made
	run -2 --separate-stderr "$REPO/bin/cp-plane" -C "$T/new" init --admin 'a:b'
	[ -z "$(ls -A "$T/new" 2> /dev/null)" ]
	# a name with a comma and a quote: roles.csv as Python's csv reads it
	run -0 "$REPO/bin/cp-plane" -C "$T/odd" init --admin 'Ann "A", Lee'
	run -0 /usr/bin/python3 -c 'import csv,sys; print([(r["user"], r["roles"]) for r in csv.DictReader(open(sys.argv[1], newline=""))])' "$T/odd/registries/roles.csv"
	[ "$output" = "[('Ann \"A\", Lee', 'admin')]" ]
}

@test "init: --json says what was made" {
	run -0 --separate-stderr "$REPO/bin/cp-plane" -C "$P" --json init --admin carol
	[ "$(jq -r '.operation + " " + .status + " " + (.changed|tostring)' <<< "$output")" = "init initialized true" ]
	[ "$(jq -r .ledger_id <<< "$output")" = "$(jq -r .id "$P/ledger/governance.jsonl")" ]
	[[ "$(jq -r .hint <<< "$output")" == *"cp-authz init carol"* ]]
}

# --- the queries --------------------------------------------------------------

@test "list: the installed packages, as the receipts and the registry say" {
	example
	run -0 --separate-stderr "$REPO/bin/cp-plane" list
	[ "${#lines[@]}" -eq 4 ]
	for id in PKG-FMWK-100 PKG-FMWK-200 PKG-FMWK-300 PKG-MOD-DOC-LINT; do
		want=$(printf '%s\t%s\t%s\t%s\t%s' "$id" \
			"$(/usr/bin/python3 -c 'import csv,sys; print([r["version"] for r in csv.DictReader(open("registries/packages_registry.csv", newline="")) if r["id"]==sys.argv[1]][0])' "$id")" \
			"$(sha "packages_store/$id.tar.gz")" \
			"$(sed -n 's/^destination=//p' "installed/$id.info")" \
			"$(tar -tzf "packages_store/$id.tar.gz" | grep -vc '/$')")
		grep -qxF "$want" <<< "$output"
	done
	run -0 mk list JSON=1
	[ "$(jq -r '[.packages[].id] | join(" ")' <<< "$output")" = "PKG-FMWK-100 PKG-FMWK-200 PKG-FMWK-300 PKG-MOD-DOC-LINT" ]
	[ "$(jq -r '.packages[] | select(.id=="PKG-MOD-DOC-LINT") | "\(.files) \(.destination) \(.output_type) \(.version)"' <<< "$output")" = "2 modules module 0.2.0" ]
	[ "$(jq -r .count <<< "$output")" = 4 ]
}

@test "show: the row, the install state, dependencies and dependents" {
	example
	run -0 mk show PKG=PKG-FMWK-100 JSON=1
	# the row as Python's csv reads it
	want=$(/usr/bin/python3 -c 'import csv,json; print(json.dumps([r for r in csv.DictReader(open("registries/packages_registry.csv", newline="")) if r["id"]=="PKG-FMWK-100"][0], sort_keys=True))')
	[ "$(jq -cS .row <<< "$output")" = "$(jq -cS . <<< "$want")" ]
	[ "$(jq -r .state <<< "$output")" = installed ]
	[ "$(jq -r '[.dependents[].id] | join(" ")' <<< "$output")" = "PKG-FMWK-200 PKG-FMWK-300 PKG-MOD-DOC-LINT" ]
	[ "$(jq -r '.dependencies | length' <<< "$output")" = 0 ]
	run -0 mk show PKG=PKG-MOD-DOC-LINT JSON=1
	[ "$(jq -r '[.dependencies[] | "\(.id)@\(.constraint):\(.installed)"] | join(" ")' <<< "$output")" = "PKG-FMWK-100@^1.0.0:true PKG-FMWK-300@>=1.0.0:true" ]
	[ "$(jq -r '[.files[].path] | join(" ")' <<< "$output")" = "$(cut -c67- installed/PKG-MOD-DOC-LINT.sha256 | paste -sd' ')" ]
	# not installed: the row, state not-installed
	run -0 --separate-stderr "$REPO/bin/cp-plane" show PKG-EXT-HELLO
	grep -qx 'State: not-installed' <<< "$output"
	grep -qx 'name: ext-hello' <<< "$output"
	# neither row nor receipt: 1
	run -1 --separate-stderr "$REPO/bin/cp-plane" show PKG-NOPE
	[[ "$stderr" == *"no package PKG-NOPE"* ]]
	run -2 --separate-stderr "$REPO/bin/cp-plane" show
	[[ "$stderr" == *"PKG"* ]]
}

@test "owns: the package that installed a file, exit 1 when none" {
	example
	run -0 --separate-stderr "$REPO/bin/cp-plane" owns modules/doc_lint/doc_lint.py
	[ "$output" = "PKG-MOD-DOC-LINT: $P/modules/doc_lint/doc_lint.py" ]
	run -0 mk owns FILE=frameworks/FMWK-200_ledger_protocol.md JSON=1
	[ "$(jq -r '.owners[0].id' <<< "$output")" = PKG-FMWK-200 ]
	[ "$(jq -r '.owners | length' <<< "$output")" = 1 ]
	# a directory: every file under it, with its package
	run -0 "$REPO/bin/cp-plane" owns "$P/modules"
	[ "${#lines[@]}" -eq 2 ]
	# a file no package installed, through cp-plane and make
	run -1 --separate-stderr "$REPO/bin/cp-plane" owns registries/roles.csv
	[ -z "$output" ]
	[[ "$stderr" == *"no installed package owns"* ]]
	run -1 mk owns FILE=Makefile
	run -1 mk owns FILE=nothing/here JSON=1
	[ "$(jq -r '.owners | length' <<< "$output")" = 0 ]
	# a deleted file is still owned
	rm frameworks/FMWK-300_package_standard.md
	run -0 "$REPO/bin/cp-plane" owns frameworks/FMWK-300_package_standard.md
	[[ "$output" == PKG-FMWK-300:* ]]
}

@test "verify: changed and missing files named, exit 1; intact again after a forced install" {
	example
	run -0 mk verify
	run -0 mk verify JSON=1
	[ "$(jq -r .ok <<< "$output")" = true ]
	printf 'changed\n' >> modules/doc_lint/README.md
	rm frameworks/FMWK-100_agent_development_standard.md
	run -1 --separate-stderr "$REPO/bin/cp-plane" verify
	grep -qx "changed  $P/modules/doc_lint/README.md  (PKG-MOD-DOC-LINT)" <<< "$output"
	grep -qx "missing  $P/frameworks/FMWK-100_agent_development_standard.md  (PKG-FMWK-100)" <<< "$output"
	[ "${#lines[@]}" -eq 2 ]
	run -1 mk verify PKG=PKG-MOD-DOC-LINT JSON=1
	[ "$(jq -r '.packages[0].changed | join(" ")' <<< "$output")" = "$P/modules/doc_lint/README.md" ]
	[ "$(jq -r '.packages[0].missing | length' <<< "$output")" = 0 ]
	run -0 mk verify PKG=PKG-FMWK-200
	# not installed: 1, saying so
	run -1 --separate-stderr "$REPO/bin/cp-plane" verify PKG-EXT-HELLO
	[[ "$stderr" == *"not installed"* ]]
	# put back
	run -0 mk install PKG=PKG-MOD-DOC-LINT FORCE=1
	run -0 mk install PKG=PKG-FMWK-100 FORCE=1
	run -0 mk verify
}

@test "search: ids, names and categories, case ignored; exit 1 when none" {
	example
	run -0 mk search Q=lint
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == PKG-MOD-DOC-LINT* ]]
	run -0 mk search Q=GOVERNANCE JSON=1
	[ "$(jq -r '[.packages[].id] | join(" ")' <<< "$output")" = "PKG-FMWK-100 PKG-FMWK-200 PKG-FMWK-300" ]
	run -0 mk search Q=hello JSON=1
	[ "$(jq -r '.packages[0].state' <<< "$output")" = not-installed ]
	run -0 "$REPO/bin/cp-plane" search
	[ "${#lines[@]}" -eq "$(($(wc -l < registries/packages_registry.csv) - 1))" ]
	# make search without Q (make passes an empty Q): every row too
	run -0 mk search
	no_signal
	[ "${#lines[@]}" -eq "$(($(wc -l < registries/packages_registry.csv) - 1))" ]
	run -1 mk search Q=zzz-none
}

@test "queries: read-only, authorized as verify; a denial is one ledger entry" {
	example
	before=$(tree_state "$P")
	for q in list "show PKG-FMWK-100" "owns frameworks" "verify" "search lint"; do
		run -0 "$REPO/bin/cp-plane" $q
	done
	# guest is a reader: allowed
	CONTROL_PLANE_TOKEN=$(token guest) run -0 "$REPO/bin/cp-plane" list
	[ "$(tree_state "$P")" = "$before" ]
	# no token, or a wrong one: denied and ledgered
	n=$(ledger_n)
	CONTROL_PLANE_TOKEN= run -1 --separate-stderr "$REPO/bin/cp-plane" list
	[[ "$stderr" == *denied* ]]
	[ "$(ledger_n)" -eq $((n + 1)) ]
	[ "$(tail -n 1 ledger/governance.jsonl | jq -r '.event_type')" = authz_denied ]
	CONTROL_PLANE_TOKEN=guest:0000 run -1 "$REPO/bin/cp-plane" --json show PKG-FMWK-100
	[ "$(jq -r .status <<< "$output")" = denied ]
	[ "$(ledger_n)" -eq $((n + 2)) ]
	run -0 cp-ledger -C "$P" verify
}

@test "queries: a forged receipt is a problem named, not a crash; the others still answer" {
	example
	printf 'package=PKG-FMWK-200\ndigest=zz\n' > installed/PKG-FMWK-200.info
	run -0 --separate-stderr "$REPO/bin/cp-plane" list
	no_signal
	[ "${#lines[@]}" -eq 3 ]
	[[ "$stderr" == *"PKG-FMWK-200"* ]]
	run -1 "$REPO/bin/cp-plane" --json verify
	[ "$(jq -r '.packages[] | select(.id=="PKG-FMWK-200") | .state' <<< "$output")" = broken ]
	# a receipt whose destination climbs out: not followed
	printf 'package=PKG-FMWK-300\ndigest=%s\ndestination=../../etc\noutput_type=module\n' "$(sha packages_store/PKG-FMWK-300.tar.gz)" > installed/PKG-FMWK-300.info
	run -1 --separate-stderr "$REPO/bin/cp-plane" verify PKG-FMWK-300
	no_signal
	# a symlinked installed/ is refused
	mv installed inst.real
	ln -s inst.real installed
	run -2 --separate-stderr "$REPO/bin/cp-plane" list
	[[ "$stderr" == *symlink* ]]
}

@test "queries: a receipt naming a destination the registry does not route to is forged: never read outside the plane" {
	example
	victim=$BATS_TEST_TMPDIR/victim
	mkdir -p "$victim"
	echo secret > "$victim/data.txt"
	printf '%s  data.txt\n' "$(sha "$victim/data.txt")" > installed/PKG-FMWK-200.sha256
	sed -i "s|^destination=.*|destination=$victim|" installed/PKG-FMWK-200.info
	run -1 --separate-stderr "$REPO/bin/cp-plane" --json verify PKG-FMWK-200
	[ "$(jq -r '.packages[0].state' <<< "$output")" = broken ]
	[[ "$(jq -r '.packages[0].problem' <<< "$output")" == *"the registry routes PKG-FMWK-200 to .: a forged or stale receipt"* ]]
	run -1 --separate-stderr "$REPO/bin/cp-plane" owns "$victim/data.txt"
	[ -z "$output" ]
	# a receipt with no registry row may not name a place outside the plane either
	cp installed/PKG-FMWK-200.sha256 installed/PKG-GHOST.sha256
	sed 's/PKG-FMWK-200/PKG-GHOST/' installed/PKG-FMWK-200.info > installed/PKG-GHOST.info
	run -1 --separate-stderr "$REPO/bin/cp-plane" owns "$victim/data.txt"
	[ -z "$output" ]
	run -1 --separate-stderr "$REPO/bin/cp-plane" --json verify PKG-GHOST
	[[ "$(jq -r '.packages[0].problem' <<< "$output")" == *"outside the plane, and no registry row routes PKG-GHOST there"* ]]
}

@test "JSON=1 through jq: every plane target prints one JSON document, make quiet" {
	example
	for t in validate ledger-verify list "show PKG=PKG-FMWK-100" "owns FILE=modules/doc_lint/README.md" \
		verify "search Q=fmwk" "install PKG=PKG-FMWK-100" "update PKG=PKG-FMWK-100" integrity; do
		# shellcheck disable=SC2086
		make -s -C "$P" $t JSON=1 > "$S/out" 2> "$S/err" || { cat "$S/err" >&2; false; }
		jq -e . "$S/out" > /dev/null || { echo "not JSON: make $t JSON=1" >&2; cat "$S/out" >&2; false; }
		[ "$(jq -s length "$S/out")" -eq 1 ]
	done
	# from inside the plane, no -s: make adds nothing to standard output either
	(cd "$P" && make list JSON=1) > "$S/out"
	jq -e .packages "$S/out" > /dev/null
	run -0 make -s -C "$P" validate JSON=1
	[ "$(jq -r '.packages.valid and .control_plane.valid' <<< "$output")" = true ]
	run -0 make -s -C "$P" remove PKG=PKG-FMWK-300 JSON=1 FORCE=1
	[ "$(jq -r .status <<< "$output")" = removed ]
	run -0 make -s -C "$P" pack SRC=frameworks/FMWK-200_ledger_protocol.md ID=PKG-FMWK-200 JSON=1
	[ "$(jq -r .operation <<< "$output")" = pack ]
	# pack answers in JSON even when make's stamp says it is up to date
	run -0 make -s -C "$P" pack SRC=frameworks/FMWK-200_ledger_protocol.md ID=PKG-FMWK-200 JSON=1
	[ "$(jq -r .status <<< "$output")" = up-to-date ]
}

# --- integrity findings: where, which package, which files, the fix ----------

@test "integrity findings: the path, the package, a directory's files, the fix that works" {
	example
	printf 'x\n' >> modules/doc_lint/README.md
	printf 'new\n' > modules/doc_lint/extra.py
	rm frameworks/FMWK-200_ledger_protocol.md
	printf 'y\n' >> frameworks/FMWK-300_package_standard.md
	run -1 --separate-stderr cp-integrity
	[[ "$output" == *"  invalid  MOD-DOC-LINT: expected "* ]]
	[[ "$output" == *"           directory modules/doc_lint"* ]]
	[[ "$output" == *"           installed by PKG-MOD-DOC-LINT"* ]]
	[[ "$output" == *"           changed modules/doc_lint/README.md"* ]]
	[[ "$output" == *"           added modules/doc_lint/extra.py"* ]]
	[[ "$output" == *"  missing  FMWK-200: /frameworks/FMWK-200_ledger_protocol.md"* ]]
	[[ "$output" == *"fix: make install PKG=PKG-FMWK-200 FORCE=1"* ]]
	# not on a terminal: no colour
	[[ "$output" != *$'\033'* ]]
	run -1 cp-integrity --json
	# the Python report's keys are all still there, with their values' types
	[ "$(jq -r '[.timestamp, .healthy, .merkle_root, .verified_count, .valid, .invalid, .missing, .no_hash, .chain_errors, .chain_error_count, .orphans, .orphan_count] | map(type) | join(" ")' <<< "$output")" = "string boolean string number array array array array array number array number" ]
	[ "$(jq -r '.missing[0] | keys | join(",")' <<< "$output")" = "id,path" ]
	[ "$(jq -r '.invalid[0] | keys | join(",")' <<< "$output")" = "actual,expected,id" ]
	[ "$(jq -r '.findings[] | select(.id=="MOD-DOC-LINT") | [.status, .type, .package, (.files | map(.state + ":" + .path) | join(" "))] | join("|")' <<< "$output")" = "invalid|directory|PKG-MOD-DOC-LINT|changed:modules/doc_lint/README.md added:modules/doc_lint/extra.py" ]
	[ "$(jq -r '.findings[] | select(.id=="FMWK-300") | .fix' <<< "$output")" = "make install PKG=PKG-FMWK-300 FORCE=1" ]
	[ "$(jq -r '.findings[] | select(.id=="MOD-DOC-LINT") | .fix' <<< "$output")" = "remove the added files, then make install PKG=PKG-MOD-DOC-LINT FORCE=1" ]
	# the fixes it names make the plane healthy again
	rm modules/doc_lint/extra.py
	for f in $(jq -r '.findings[].fix | capture("make install (?<p>PKG=[^ ]+)").p' <<< "$output"); do
		run -0 mk install "$f" FORCE=1
	done
	run -0 cp-integrity
	run -0 cp-integrity --json
	[ "$(jq -r '.findings | length' <<< "$output")" = 0 ]
}

@test "integrity findings: an outdated install says make update; a stale content_hash says so" {
	example
	# a new version of the framework, packed: the registry's digest moves on
	printf 'v2\n' >> frameworks/FMWK-100_agent_development_standard.md
	run -0 mk pack SRC=frameworks/FMWK-100_agent_development_standard.md ID=PKG-FMWK-100
	run -1 cp-integrity --json
	[ "$(jq -r '.findings[] | select(.id=="FMWK-100") | .fix' <<< "$output")" = "make update PKG=PKG-FMWK-100 FORCE=1" ]
	run -0 mk update PKG=PKG-FMWK-100 FORCE=1
	run -0 cp-integrity
	# a row with no package behind it
	cp-regrow -i registries/control_plane_registry.csv set FMWK-100 content_hash=$(printf 'other' | sha256sum | cut -c1-64)
	run -1 cp-integrity --json
	[[ "$(jq -r '.findings[] | select(.id=="FMWK-100") | .fix' <<< "$output")" == *"content_hash is stale"* ]]
}

@test "integrity findings: colour on a terminal, red for invalid and missing, yellow for orphans; none with NO_COLOR" {
	command -v script > /dev/null || skip "script(1) is not installed"
	example
	rm frameworks/FMWK-200_ledger_protocol.md
	printf 'o\n' > frameworks/FMWK-999_stray.md
	script -qec "cp-integrity" /dev/null > "$S/tty" || true
	grep -q $'\033\[31mmissing\033\[0m' "$S/tty"
	grep -q $'\033\[33morphan\033\[0m' "$S/tty"
	NO_COLOR=1 script -qec "cp-integrity" /dev/null > "$S/tty" || true
	run ! grep -q $'\033' "$S/tty"
	grep -q 'missing  FMWK-200' "$S/tty"
}
