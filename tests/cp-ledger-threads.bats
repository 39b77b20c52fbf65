#!/usr/bin/env bats
# cp-ledger verify parses lines on threads ahead of the chain check (issue 22):
# whatever the ledger holds, CP_LEDGER_THREADS=1 (the sequential reader) and
# =2, =3 (batches parsed ahead) must print the same bytes, findings and exit
# status included.  The ledgers span many batches of 512 lines and several
# segments, and carry every finding there is.
# SPDX-License-Identifier: ISC

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# events N: N events, a few with non-ASCII text and floats.
events() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"event_type\":\"package_install\",\"submission_id\":\"PKG-%d\",\"decision\":\"INSTALL\",\"reason\":\"caf\303\251 %d\",\"metadata\":{\"r\":%d.5}}\n", i, i, i }'
}

# same LEDGER [OPTION...]: verify (plain and --json) gives the same bytes and status on every path.
same() {
	local t f=$1
	shift
	for t in 1 2 3; do
		run env CP_LEDGER_THREADS=$t cp-ledger -f "$f" verify "$@"
		no_signal
		echo "$status" > "plain.$t"
		echo "$output" >> "plain.$t"
		run env CP_LEDGER_THREADS=$t cp-ledger -f "$f" verify --json "$@"
		no_signal
		echo "$status" > "json.$t"
		echo "$output" >> "json.$t"
	done
	cmp plain.1 plain.2
	cmp plain.1 plain.3
	cmp json.1 json.2
	cmp json.1 json.3
}

@test "a sound ledger of many batches: the same report on one thread and on several" {
	events 3000 | cp-ledger -f led append --batch -q
	same led
	run -0 env CP_LEDGER_THREADS=2 cp-ledger -f led verify --json
	[ "$(jq -r '"\(.entries) \(.intact) \(.findings | length)"' <<< "$output")" = "3000 true 0" ]
}

@test "every finding, in several segments: the same report on every path" {
	events 2500 | cp-ledger -f led append --batch -q
	f=led/governance.jsonl
	# Rotated: the first 1200 lines become an older segment, the chain goes on in the base file.
	head -n 1200 $f > led/governance-20260101-000000.jsonl
	tail -n +1201 $f > base
	# Tampered, duplicated, deleted (a chain break), malformed, blank, legacy, 2 MiB long, and torn.
	awk 'NR == 10 { sub(/caf/, "CAF") } NR == 700 { print } NR == 900 { next }
	    NR == 1100 { print "{not json" } NR == 1150 { print "" }
	    NR == 1190 { print "{\"event_type\":\"x\",\"submission_id\":\"y\",\"decision\":\"z\",\"reason\":\"legacy\"}" }
	    { print }' base > $f
	awk 'BEGIN { printf "{\"x\":\""; for (i = 0; i < 2100000; i++) printf "a"; print "\"}" }' >> $f
	tail -n 2 base | head -c 100 >> $f
	same led
	run env CP_LEDGER_THREADS=2 cp-ledger -f led verify --json
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.findings[].kind] | unique | join(" ")' <<< "$output")" = \
	    "blank chain_break duplicate legacy malformed tampered torn_tail" ]
	[ "$(jq -r '.segments | length' <<< "$output")" = 2 ]
	same led --strict
}

@test "a bad CP_LEDGER_THREADS is the default, and an empty ledger has nothing to read" {
	events 700 | cp-ledger -f led append --batch -q
	run -0 env CP_LEDGER_THREADS=1 cp-ledger -f led verify --json
	one=$output
	for t in 0 x 65 -2 ''; do
		run -0 env CP_LEDGER_THREADS=$t cp-ledger -f led verify --json
		[ "$output" = "$one" ]
	done
	mkdir e && : > e/governance.jsonl
	same e
}
