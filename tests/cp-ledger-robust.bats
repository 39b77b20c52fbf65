#!/usr/bin/env bats
# cp-ledger under hostile ledgers (issue 21): a whole line that does not
# parse is malformed (never a torn tail), a 100 MB line, repair of a file
# that is no ledger, a directory that holds no ledger, and verify --strict.
# Expected bytes come from the golden appends (Python's json module), head,
# tail, cmp and sha256sum; findings are read with jq.
# SPDX-License-Identifier: ISC

load helper

G="$DATA/cp-ledger"
EV='{"event_type":"package_install","submission_id":"PKG-1","decision":"INSTALL","reason":"r"}'

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# findings LEDGER [OPTION]: the findings of verify --json as "kind:severity:line" words.
findings() {
	cp-ledger -f "$1" verify --json $2 | jq -r '[.findings[] | "\(.kind):\(.severity):\(.line)"] | join(" ")'
}

@test "a whole last line that is not an entry is malformed; append refuses; repair moves it aside" {
	cp "$G/appended.jsonl" l.jsonl
	printf '{"event_type": "half' >> l.jsonl
	printf '\n' >> l.jsonl
	[ "$(findings l.jsonl)" = "malformed:error:6" ]
	run -1 cp-ledger -f l.jsonl verify
	[[ ${lines[0]} == "l.jsonl:6: malformed line: "*"(the last line: appends refuse to follow it; cp-ledger repair moves it aside)" ]]
	before=$(sha256sum l.jsonl)
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$EV"
	[[ $stderr == *"l.jsonl: malformed last line at byte $(wc -c < "$G/appended.jsonl") (not an entry): see cp-ledger repair; nothing appended" ]]
	[ "$(sha256sum l.jsonl)" = "$before" ]
	run -0 cp-ledger -f l.jsonl repair --json
	[ "$(jq -r .malformed <<< "$output")" = true ]
	side=$(jq -r .sidefile <<< "$output")
	[[ $side == *l.jsonl.malformed-* ]]
	printf '{"event_type": "half\n' | cmp - "$side"
	cmp l.jsonl "$G/appended.jsonl"
	run -0 cp-ledger -f l.jsonl append -q <<< "$EV"
	run -0 cp-ledger -f l.jsonl verify
}

@test "a malformed line in the middle is malformed too, and appends go on after it" {
	cp "$G/appended.jsonl" l.jsonl
	sed -i '3s/^{/[/' l.jsonl
	[ "$(findings l.jsonl)" = "malformed:error:3" ]
	run -0 cp-ledger -f l.jsonl append -q <<< "$EV"
	[ "$(findings l.jsonl)" = "malformed:error:3" ]
}

@test "only a line without its newline is torn" {
	cp "$G/appended.jsonl" l.jsonl
	printf '{"event_type": "half' >> l.jsonl
	[ "$(findings l.jsonl)" = "torn_tail:error:6" ]
	run -0 cp-ledger -f l.jsonl repair --json
	[ "$(jq -r .malformed <<< "$output")" = false ]
	[[ $(jq -r .sidefile <<< "$output") == *l.jsonl.torn-* ]]
}

@test "a 100 MB last line: refused by the reader, appends refuse, repair moves it aside" {
	cp "$G/appended.jsonl" l.jsonl
	{ printf '{"reason": "'; head -c 100000000 /dev/zero | tr '\0' x; printf '"}\n'; } >> l.jsonl
	big=$(( $(wc -c < l.jsonl) - $(wc -c < "$G/appended.jsonl") ))
	[ "$(findings l.jsonl)" = "malformed:error:6" ]
	run -1 cp-ledger -f l.jsonl verify
	no_signal
	[[ ${lines[0]} == "l.jsonl:6: malformed line: line longer than 1 MiB"* ]]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$EV"
	[[ $stderr == *"malformed last line"*"see cp-ledger repair; nothing appended" ]]
	run -0 cp-ledger -f l.jsonl repair --json
	[ "$(jq -r .bytes <<< "$output")" -eq "$big" ]
	side=$(jq -r .sidefile <<< "$output")
	[ "$(wc -c < "$side")" -eq "$big" ]
	[ "$(head -c 12 "$side")" = '{"reason": "' ]
	rm -f "$side"
	cmp l.jsonl "$G/appended.jsonl"
	run -0 cp-ledger -f l.jsonl append -q <<< "$EV"
	run -0 cp-ledger -f l.jsonl verify
}

@test "a 3 MB unterminated last line is a torn tail that repair clears" {
	cp "$G/appended.jsonl" l.jsonl
	head -c 3000000 /dev/zero | tr '\0' y >> l.jsonl
	[ "$(findings l.jsonl)" = "torn_tail:error:6" ]
	run -0 cp-ledger -f l.jsonl repair --json
	[ "$(jq -r .bytes <<< "$output")" -eq 3000000 ]
	cmp l.jsonl "$G/appended.jsonl"
}

@test "repair refuses a file that is no ledger, and moves nothing" {
	printf 'root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:/sbin/nologin' > passwd.jsonl
	printf 'just text\nanother line\n' > text.jsonl
	for f in passwd.jsonl text.jsonl; do
		before=$(sha256sum "$f")
		run --separate-stderr -2 cp-ledger -f "$f" repair
		[[ $stderr == "cp-ledger: $f: not a ledger: no line before byte "*" is an entry; nothing moved" ]]
		[ "$(sha256sum "$f")" = "$before" ]
	done
	# no side file was made
	run -0 find . -name '*.torn-*' -o -name '*.malformed-*'
	[ -z "$output" ]
	# a ledger of legacy lines (entries all the same) is a ledger
	L='{"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r"}'
	printf '%s\n{"event_type": "u' "$L" > legacy.jsonl
	run -0 cp-ledger -f legacy.jsonl repair
	[ "$(cat legacy.jsonl)" = "$L" ]
}

@test "a ledger directory that holds no ledger is an error for every reader and for repair" {
	mkdir -p d
	printf 'x\n' > d/notes.txt
	for verb in verify head cat repair; do
		run --separate-stderr -2 cp-ledger -f d $verb
		[ "$stderr" = "cp-ledger: no ledger in d (no governance.jsonl or governance-*.jsonl)" ]
		[ -z "$output" ]
	done
	[ "$(ls d)" = notes.txt ]
	# appending makes one, as the Python tools did
	run -0 cp-ledger -f d append -q <<< "$EV"
	run -0 cp-ledger -f d verify
}

@test "verify --strict: blank lines and legacy entries after the chain began fail; a legacy prefix does not" {
	cp "$G/appended.jsonl" l.jsonl
	# legacy lines before the first chained entry, as Python-era ledgers begin
	{ printf '{"event_type": "old", "submission_id": "s", "decision": "d", "reason": "r", "entry_hash": ""}\n'
		cat "$G/appended.jsonl"; } > prefix.jsonl
	[ "$(findings prefix.jsonl --strict)" = "legacy:warning:1" ]
	run -0 cp-ledger -f prefix.jsonl verify --strict
	# a blank line
	sed '2a\\' "$G/appended.jsonl" > blank.jsonl
	[ "$(findings blank.jsonl)" = "blank:warning:3" ]
	run -0 cp-ledger -f blank.jsonl verify
	[ "$(findings blank.jsonl --strict)" = "blank:error:3" ]
	run -1 cp-ledger -f blank.jsonl verify --strict
	[ "${lines[0]}" = "blank.jsonl:3: strict: blank line" ]
	# the rewrite of issue 21: a blanked entry_hash and everything after re-hashed
	/usr/bin/python3 "$G/rewrite.py" l.jsonl 2
	[ "$(findings l.jsonl)" = "legacy:warning:2" ]
	run -0 cp-ledger -f l.jsonl verify
	run -1 cp-ledger -f l.jsonl verify --strict
	[[ ${lines[0]} == "l.jsonl:2: strict: legacy entry LED-"*" (after the chain began)" ]]
	[ "${lines[1]}" = "NOT intact: 1 problem in 5 entries (1 segment)" ]
	run -2 cp-ledger -f l.jsonl head --strict
}
