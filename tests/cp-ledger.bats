#!/usr/bin/env bats
# cp-ledger: Python-compatible hashes, golden appends, tampering, rotation,
# checkpoints, concurrency, crashes, hostile lines, and the usual contract.
# Expected answers come from the vectors, from golden lines made once by
# tests/data/cp-ledger/mkgolden.py (Python's json module), from sha256sum,
# jq, and from python3 recomputing hashes and Merkle roots.
# SPDX-License-Identifier: ISC

load helper

G="$DATA/cp-ledger"
TS=(2026-11-24T12:00:00.123456+00:00 2026-11-24T12:00:01+00:00
	2026-11-24T12:00:02.000001+00:00 2026-11-24T23:59:59.999999+00:00
	2027-01-01T00:00:00+00:00)
EV='{"event_type":"package_install","submission_id":"PKG-1","decision":"INSTALL","reason":"r"}'

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# findings LEDGER: the findings of verify --json as "kind:line" words.
findings() {
	cp-ledger -f "$1" verify --json | jq -r '[.findings[] | "\(.kind):\(.line)"] | join(" ")'
}

# golden_copy NAME: a writable copy of the golden single appends.
golden_copy() {
	cp "$G/appended.jsonl" "$1"
}

# python_root FILE: the RFC 9162 root (base64) over the entry_hash of every line, by python3.
python_root() {
	python3 - "$1" <<'EOF'
import base64, hashlib, json, sys
def root(h):
    if not h: return hashlib.sha256(b"").digest()
    if len(h) == 1: return h[0]
    k = 1
    while 2 * k < len(h): k *= 2
    return hashlib.sha256(b"\x01" + root(h[:k]) + root(h[k:])).digest()
leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(json.loads(l)["entry_hash"])).digest()
          for l in open(sys.argv[1], encoding="utf-8")]
print(base64.b64encode(root(leaves)).decode())
EOF
}

# rechain IN OUT SWAP FORGE: IN with lines SWAP and SWAP+1 swapped (0: none) and
# the reason of line FORGE replaced (0: none), every hash recomputed by python3 so
# that the chain alone verifies: what a forger with write access can do.
rechain() {
	python3 - "$@" <<'EOF'
import hashlib, json, sys
src, dst, swap, forge = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = open(src, encoding="utf-8").readlines()
if swap:
    lines[swap - 1], lines[swap] = lines[swap], lines[swap - 1]
prev = ""
with open(dst, "w", encoding="utf-8") as out:
    for n, line in enumerate(lines, 1):
        e = json.loads(line)
        del e["entry_hash"]
        if n == forge:
            e["reason"] = "forged"
        e["previous_hash"] = prev
        prev = hashlib.sha256(json.dumps(e, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        e["entry_hash"] = prev
        out.write(json.dumps(e, ensure_ascii=False) + "\n")
EOF
}

@test "the cp2 vectors verify, with the canonical text and hash of each line" {
	run -0 cp-ledger -f "$DATA/ledger-cp2.jsonl" verify
	[ "$output" = "intact: 3 entries in 1 segment, head $(tail -1 "$DATA/ledger-cp2.jsonl" | jq -r .entry_hash)" ]
	run -0 cp-ledger -f "$DATA/ledger-cp2.jsonl" cat --canonical
	[ "$output" = "$(awk -F'\t' '$1 == "canonical" { print $2 }' "$DATA/ledger-cp2-hash.txt")" ]
	while IFS= read -r line; do
		printf '%s' "$line" | sha256sum | cut -c1-64
	done <<< "$output" > computed
	awk -F'\t' '$1 == "sha256" { print $2 }' "$DATA/ledger-cp2-hash.txt" | diff - computed
	jq -r .entry_hash "$DATA/ledger-cp2.jsonl" | diff - computed
}

@test "appends equal the golden lines Python's json module made" {
	mapfile -t events < "$G/events.jsonl"
	# Not "i": bats' run uses that name itself.
	for k in "${!events[@]}"; do
		run -0 cp-ledger -f l.jsonl append --id "$(printf 'LED-%08x' $((k + 1)))" \
			--timestamp "${TS[k]}" <<< "${events[k]}"
		[ "$output" = "$(sed -n "$((k + 1))p" "$G/appended.jsonl")" ]
	done
	cmp l.jsonl "$G/appended.jsonl"
	run -0 cp-ledger -f l.jsonl verify
}

@test "a batch appends under one lock and equals the golden batch" {
	run -0 cp-ledger -f ledger append --batch --id LED-0000beef \
		--timestamp 2026-11-24T12:00:00+00:00 < "$G/events.jsonl"
	[ "$output" = "$(cat "$G/batch.jsonl")" ]
	cmp ledger/governance.jsonl "$G/batch.jsonl"
	run -0 cp-ledger -f ledger append --batch -q < /dev/null
	[ -z "$output" ]
	cmp ledger/governance.jsonl "$G/batch.jsonl"
}

@test "field options build the same entry as the JSON event" {
	ev=$(head -1 "$G/events.jsonl")
	run -0 cp-ledger -f l.jsonl append --id LED-00000001 --timestamp "${TS[0]}" \
		--event-type "$(jq -r .event_type <<< "$ev")" --submission-id "$(jq -r .submission_id <<< "$ev")" \
		--decision "$(jq -r .decision <<< "$ev")" --reason "$(jq -r .reason <<< "$ev")" \
		--metadata "$(jq -c .metadata <<< "$ev")"
	[ "$output" = "$(head -1 "$G/appended.jsonl")" ]
	run -0 cp-ledger -f l.jsonl append -q --event-type t --submission-id s --decision d --reason r \
		--prompt P-1 --prompt P-2
	[ -z "$output" ]
	[ "$(tail -1 l.jsonl | jq -c .prompts_used)" = '["P-1","P-2"]' ]
}

@test "appended entries: fresh ids and UTC timestamps, hashes Python recomputes" {
	for i in 1 2 3; do cp-ledger -f l.jsonl append -q <<< "$EV"; done
	run -0 jq -r '.id + " " + .timestamp' l.jsonl
	for l in "${lines[@]}"; do
		[[ $l =~ ^LED-[0-9a-f]{8}\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?\+00:00$ ]]
	done
	[ "$(jq -r .id l.jsonl | sort -u | wc -l)" -eq 3 ]
	run -0 python3 -c '
import hashlib, json, sys
prev = ""
for line in open("l.jsonl", encoding="utf-8"):
    e = json.loads(line)
    h = e.pop("entry_hash")
    assert list(e) == ["event_type", "submission_id", "decision", "reason", "prompts_used",
                       "metadata", "id", "timestamp", "previous_hash"], list(e)
    assert e["previous_hash"] == prev
    assert hashlib.sha256(json.dumps(e, sort_keys=True, ensure_ascii=False).encode()).hexdigest() == h
    prev = h
print("ok")'
}

@test "reals in any spelling hash and print as Python's repr" {
	run -0 cp-ledger -f "$G/floats.jsonl" verify
	run -0 cp-ledger -f "$G/floats.jsonl" cat --canonical
	[ "$output" = "$(cat "$G/floats.canonical")" ]
}

@test "a legacy entry is a warning and the chain restarts after it, as in Python" {
	run --separate-stderr -0 cp-ledger -f "$G/legacy.jsonl" verify
	[ "${lines[0]}" = "$G/legacy.jsonl:3: warning: legacy entry LED-000000a3 without entry_hash; the chain restarts after it" ]
	[ -z "$stderr" ]
	[ "$(cp-ledger -f "$G/legacy.jsonl" verify --json | jq -c '[.legacy, .problems, .warnings]')" = "[1,0,1]" ]
	cp "$G/legacy.jsonl" l.jsonl
	head -1 "$G/events.jsonl" | cp-ledger -f l.jsonl append -q --id LED-000000aa --timestamp 2026-11-24T13:00:00+00:00
	cmp l.jsonl "$G/legacy-append.jsonl"
}

@test "an event may not set the chain fields, nor carry unknown ones" {
	golden_copy l.jsonl
	before=$(sha256sum l.jsonl)
	for bad in '{"entry_hash":"00"}' '{"previous_hash":""}' '{"id":"LED-00000000"}' '{"timestamp":"x"}'; do
		run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$(jq -c ". + $bad" <<< "$EV")"
		[[ $stderr == *"is filled by the ledger, not by the event"* ]]
		[ -z "$output" ]
	done
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$(jq -c '. + {"extra":1}' <<< "$EV")"
	[ "$stderr" = 'cp-ledger: standard input: unknown field "extra" (put it in metadata)' ]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$(jq -c 'del(.reason)' <<< "$EV")"
	[ "$stderr" = 'cp-ledger: standard input: reason is missing' ]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$(jq -c '.metadata = [1]' <<< "$EV")"
	[ "$stderr" = 'cp-ledger: standard input: metadata is not an object' ]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$(jq -c '.prompts_used = [1]' <<< "$EV")"
	[ "$stderr" = 'cp-ledger: standard input: prompts_used[0] is not a string' ]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< '[1]'
	[ "$stderr" = 'cp-ledger: standard input: an event is a JSON object' ]
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< '{"event_type": "x",'
	[[ $stderr == "cp-ledger: standard input: invalid JSON at line 2"* ]]
	run --separate-stderr -2 cp-ledger -f l.jsonl append < /dev/null
	[ "$stderr" = 'cp-ledger: standard input: no event (a JSON object) to append' ]
	run -2 cp-ledger -f l.jsonl append --id LED-XYZ <<< "$EV"
	run -2 cp-ledger -f l.jsonl append --timestamp 2026-11-24T12:00:00.000000+00:00 <<< "$EV"
	[ "$(sha256sum l.jsonl)" = "$before" ]
}

@test "a batch with one bad event appends nothing" {
	golden_copy l.jsonl
	before=$(sha256sum l.jsonl)
	{ echo "$EV"; echo "$EV"; echo '{"event_type":"x"}'; echo "$EV"; } > events
	run --separate-stderr -2 cp-ledger -f l.jsonl append --batch < events
	[ "$stderr" = "cp-ledger: standard input:3: submission_id is missing; nothing appended" ]
	[ -z "$output" ]
	[ "$(sha256sum l.jsonl)" = "$before" ]
	mkdir d
	run -2 cp-ledger -f d append --batch --rotate-bytes 1 < events
	[ -z "$(ls d)" ]
}

@test "tampering: a reason, metadata, a previous_hash, each reported precisely" {
	golden_copy a.jsonl
	sed -i '3s/not permitted/not permitteD/' a.jsonl
	[ "$(findings a.jsonl)" = "tampered:3" ]
	run -1 cp-ledger -f a.jsonl verify
	want=$(sed -n 3p "$G/appended.jsonl" | jq -r .entry_hash)
	[[ ${lines[0]} == "a.jsonl:3: tampered entry LED-00000003: entry_hash $want, but its content hashes to "* ]]
	[ "${lines[1]}" = "NOT intact: 1 problem in 5 entries (1 segment)" ]
	golden_copy b.jsonl
	sed -i '1s/"actor": "alice"/"actor": "alicE"/' b.jsonl
	[ "$(findings b.jsonl)" = "tampered:1" ]
	golden_copy c.jsonl
	prev=$(sed -n 4p c.jsonl | jq -r .previous_hash)
	sed -i "4s/$prev/${prev%?}0/" c.jsonl
	[ "$prev" != "${prev%?}0" ]
	[ "$(findings c.jsonl)" = "chain_break:4 tampered:4" ]
}

@test "tampering: a deleted, a duplicated and two swapped lines" {
	golden_copy l.jsonl
	sed 3d l.jsonl > del.jsonl
	[ "$(findings del.jsonl)" = "chain_break:3" ]
	run -1 cp-ledger -f del.jsonl verify
	[[ ${lines[0]} == *"(entries missing or inserted before it)" ]]
	sed 2p l.jsonl > dup.jsonl
	[ "$(findings dup.jsonl)" = "duplicate:3" ]
	awk 'NR == 2 { held = $0; next } { print } NR == 3 { print held }' l.jsonl > swap.jsonl
	[ "$(findings swap.jsonl)" = "chain_break:2 chain_break:3 chain_break:4" ]
	run -1 cp-ledger -f swap.jsonl verify
	[[ ${lines[1]} == *"(it names the entry at swap.jsonl:1: out of order)" ]]
}

@test "a last line cut mid-way is a torn tail; append refuses until repair" {
	golden_copy l.jsonl
	truncate -s -40 l.jsonl
	[ "$(findings l.jsonl)" = "torn_tail:5" ]
	before=$(sha256sum l.jsonl)
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< "$EV"
	[[ $stderr == *"l.jsonl: torn last line at byte "*"see cp-ledger repair; nothing appended" ]]
	[ "$(sha256sum l.jsonl)" = "$before" ]
	run -0 cp-ledger -f l.jsonl repair --json
	side=$(jq -r .sidefile <<< "$output")
	[ "$(jq -r .offset <<< "$output")" -eq "$(head -4 "$G/appended.jsonl" | wc -c)" ]
	head -4 "$G/appended.jsonl" | cmp - l.jsonl
	sed -n 5p "$G/appended.jsonl" | head -c -40 | cmp - "$side"
	run -0 cp-ledger -f l.jsonl verify
	run -0 cp-ledger -f l.jsonl append -q <<< "$EV"
	run -0 cp-ledger -f l.jsonl verify
	run -0 cp-ledger -f l.jsonl repair
	[ "$output" = "nothing to repair: the last line is whole" ]
}

@test "a sound last entry missing only its newline is completed by repair" {
	golden_copy l.jsonl
	truncate -s -1 l.jsonl
	[ "$(findings l.jsonl)" = "torn_tail:5" ]
	run -0 cp-ledger -f l.jsonl repair
	[ "$output" = "l.jsonl: the last entry was whole but for its newline, now added" ]
	cmp l.jsonl "$G/appended.jsonl"
}

@test "rotation: three segments, two in the same second, one chain" {
	for i in 1 2 3; do
		cp-ledger -f ledger append -q --rotate-bytes 100 --id "LED-0000000$i" \
			--timestamp 2026-11-24T12:00:00+00:00 <<< "$EV"
	done
	run -0 ls ledger
	[ "$output" = "$(printf '%s\n' governance-20261124-120000-2.jsonl governance-20261124-120000.jsonl governance.jsonl)" ]
	run -0 cp-ledger -f ledger verify --json
	[ "$(jq -c '[.entries, .problems, (.segments | map(split("/")[-1]))]' <<< "$output")" = \
		'[3,0,["governance.jsonl","governance-20261124-120000.jsonl","governance-20261124-120000-2.jsonl"]]' ]
	[ "$(cp-ledger -f ledger cat | jq -r .id | tr '\n' ' ')" = "LED-00000001 LED-00000002 LED-00000003 " ]
	cp-ledger -f ledger cat | jq -r .previous_hash > prevs
	cp-ledger -f ledger cat | jq -r .entry_hash | head -2 | { echo; cat; } | diff - prevs
	run -2 cp-ledger -f ledger/governance.jsonl append --rotate-bytes 100 <<< "$EV"
}

@test "segments in the Python naming are read in chain order, not by name" {
	mkdir a b
	sed -n 1,2p "$G/appended.jsonl" > a/governance-20250101-000000.jsonl
	sed -n 3,4p "$G/appended.jsonl" > a/governance-20250102-000000.jsonl
	sed -n 5p "$G/appended.jsonl" > a/governance.jsonl
	run -0 cp-ledger -f a verify
	[ "$output" = "intact: 5 entries in 3 segments, head $(tail -1 "$G/appended.jsonl" | jq -r .entry_hash)" ]
	cp-ledger -f a cat | cmp - "$G/appended.jsonl"
	sed -n 1,2p "$G/appended.jsonl" > b/governance.jsonl
	sed -n 3,4p "$G/appended.jsonl" > b/governance-20250103-000000.jsonl
	sed -n 5p "$G/appended.jsonl" > b/governance-20250102-000000.jsonl
	run -0 cp-ledger -f b verify
	cp-ledger -f b cat | cmp - "$G/appended.jsonl"
	cp-ledger -f b append -q <<< "$EV"
	[ "$(wc -l < b/governance-20250102-000000.jsonl)" -eq 2 ]
	run -0 cp-ledger -f b verify
}

@test "head: a C2SP checkpoint whose root python3 recomputes" {
	run -0 cp-ledger -f "$G/appended.jsonl" head
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "localhost/cp-ledger" ]
	[ "${lines[1]}" = 5 ]
	[ "${lines[2]}" = "$(python_root "$G/appended.jsonl")" ]
	run -0 cp-ledger -f "$G/appended.jsonl" head --json --origin example.com/plane
	[ "$(jq -r '[.origin, .size, .root, .head] | join(" ")' <<< "$output")" = \
		"example.com/plane 5 $(python_root "$G/appended.jsonl") $(tail -1 "$G/appended.jsonl" | jq -r .entry_hash)" ]
	[ "$(jq -r .root_hex <<< "$output")" = "$(python_root "$G/appended.jsonl" | base64 -d | od -An -tx1 | tr -d ' \n')" ]
	run -0 cp-ledger -f "$DATA/ledger-cp2.jsonl" head
	[ "${lines[2]}" = "$(python_root "$DATA/ledger-cp2.jsonl")" ]
	# verify --json builds the same tree (plain verify, which prints no root, skips it).
	run -0 cp-ledger -f "$G/appended.jsonl" verify --json
	[ "$(jq -r .root <<< "$output")" = "$(python_root "$G/appended.jsonl")" ]
	golden_copy t.jsonl
	sed -i '2s/INSTALL/INSTALl/' t.jsonl
	run --separate-stderr -1 cp-ledger -f t.jsonl head
	[ -z "$output" ]
	run -2 cp-ledger -f t.jsonl head --origin 'has space'
}

@test "verify --since: growth proves, truncation and rewrites do not" {
	golden_copy l.jsonl
	cp-ledger -f l.jsonl head > cp.txt
	cp-ledger -f l.jsonl head --json > cp.json
	for i in $(seq 10); do cp-ledger -f l.jsonl append -q <<< "$EV"; done
	run -0 cp-ledger -f l.jsonl verify --since cp.txt
	[ "${lines[0]}" = "consistent with the checkpoint of 5 entries: the ledger only grew" ]
	run -0 cp-ledger -f l.jsonl verify --since cp.json --json
	[ "$(jq -c '[.since.consistent, .since.size, .intact, .size]' <<< "$output")" = "[true,5,true,15]" ]
	[ "$(jq '.since.proof | length' <<< "$output")" -gt 0 ]
	run -0 cp-ledger -f l.jsonl verify --since - < cp.txt
	# Truncated: the chain alone still verifies, the checkpoint does not.
	head -3 l.jsonl > short.jsonl
	run -0 cp-ledger -f short.jsonl verify
	run -1 cp-ledger -f short.jsonl verify --since cp.txt
	[[ ${lines[0]} == "NOT consistent with the checkpoint: it holds 5 entries, the ledger 3 (entries were removed)" ]]
	# Rewritten: a whole new chain of the same length verifies alone, not against the checkpoint.
	for i in $(seq 15); do cp-ledger -f new.jsonl append -q <<< "$EV"; done
	run -0 cp-ledger -f new.jsonl verify
	run -1 cp-ledger -f new.jsonl verify --since cp.txt
	[[ ${lines[0]} == "NOT consistent with the checkpoint of 5 entries: entries before it were removed, altered or reordered" ]]
	run -1 cp-ledger -f new.jsonl verify --since cp.txt --json
	[ "$(jq -c '[.since.consistent, .intact]' <<< "$output")" = "[false,false]" ]
	# Forged, or reordered, then re-chained: the chain alone verifies, the checkpoint does not.
	rechain l.jsonl forged.jsonl 0 2
	run -0 cp-ledger -f forged.jsonl verify
	run -1 cp-ledger -f forged.jsonl verify --since cp.txt
	rechain l.jsonl swapped.jsonl 2 0
	run -0 cp-ledger -f swapped.jsonl verify
	run -1 cp-ledger -f swapped.jsonl verify --since cp.txt
	# The same re-chaining with nothing changed is the ledger itself: the control.
	rechain l.jsonl same.jsonl 0 0
	cmp same.jsonl l.jsonl
	# Grown past the checkpoint into rotated segments: still consistent.
	mkdir seg
	cp l.jsonl seg/governance.jsonl
	cp-ledger -f seg head > seg.txt
	for i in 1 2 3; do cp-ledger -f seg append -q --rotate-bytes 100 <<< "$EV"; done
	[ "$(ls seg | wc -l)" -eq 4 ]
	run -0 cp-ledger -f seg verify --since seg.txt
	printf 'origin\n5\nnot-base64\n' > bad.txt
	run --separate-stderr -2 cp-ledger -f l.jsonl verify --since bad.txt
	[ "$stderr" = "cp-ledger: bad.txt: checkpoint root is not the base64 of 32 bytes" ]
	run -2 cp-ledger -f l.jsonl verify --since missing.txt
}

@test "concurrency: 4 writers x 250 appends, one unbroken chain of 1000" {
	for w in 1 2 3 4; do
		(for i in $(seq 250); do
			cp-ledger -f ledger append -q --event-type "w$w" --submission-id "$i" \
				--decision d --reason r || exit 1
		done) &
	done
	fails=0
	for w in 1 2 3 4; do wait -n || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	[ "$(wc -l < ledger/governance.jsonl)" -eq 1000 ]
	run -0 cp-ledger -f ledger verify --json
	[ "$(jq -c '[.entries, .problems, .warnings]' <<< "$output")" = "[1000,0,0]" ]
	for w in 1 2 3 4; do
		[ "$(jq -r "select(.event_type == \"w$w\") | .submission_id" ledger/governance.jsonl | sort -n | uniq | wc -l)" -eq 250 ]
	done
}

@test "verify while appends run sees a snapshot, never a torn line" {
	cp-ledger -f ledger append -q <<< "$EV"
	(for i in $(seq 200); do cp-ledger -f ledger append -q <<< "$EV" || exit 1; done) &
	writer=$!
	n=0
	while kill -0 "$writer" 2>/dev/null && [ $n -lt 200 ]; do
		run -0 cp-ledger -f ledger verify --json
		[ "$(jq .problems <<< "$output")" -eq 0 ]
		n=$((n + 1))
	done
	wait "$writer"
}

# big_events N KIB: N events whose reasons are KIB KiB long.
big_events() {
	python3 -c 'import json, sys
n, kib = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print(json.dumps({"event_type": "big", "submission_id": str(i), "decision": "d",
                      "reason": "%d " % i + "x" * (kib * 1024)}))' "$1" "$2"
}

# A SIGKILL cannot cut a one-page O_APPEND write short: it can only stop a
# multi-page write() between pages, a window far under a millisecond a MiB.  So
# the batches here are 1.2 MiB of 200 KiB lines, written 1 MiB at a time, and
# the kill comes at a random moment: mostly while parsing, hashing, in
# fdatasync or between processes (whole entries; rarely a batch cut
# short after its first write, still chained), rarely mid-write (a torn tail).
# The next test tears lines every time, deterministically.
@test "crash: appends killed by SIGKILL 50 times leave at most a torn tail" {
	big_events 6 200 > events
	cp-ledger -f ledger append -q <<< "$EV"
	repaired=0 cut=0
	for round in $(seq 50); do
		before=$(wc -c < ledger/governance.jsonl)
		setsid bash -c 'while :; do
			cp-ledger -f ledger append -q --batch < events || exit 1
			cp-ledger -f ledger append -q --event-type single --submission-id s --decision d --reason r || exit 1
		done' &
		pid=$!
		# Wait for this round's first write, however slow the machine is; then kill at a random moment.
		while kill -0 "$pid" 2>/dev/null && [ "$(wc -c < ledger/governance.jsonl)" -eq "$before" ]; do
			sleep 0.01
		done
		sleep "0.0$((RANDOM % 5))$((RANDOM % 10))"
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" || [ $? -eq 137 ]
		run cp-ledger -f ledger verify --json
		no_signal
		[ "$status" -le 1 ]
		kinds=$(jq -r '[.findings[].kind] | unique | join(",")' <<< "$output")
		[ -z "$kinds" ] || [ "$kinds" = torn_tail ]
		[ "$(jq '.findings | length' <<< "$output")" -le 1 ]
		if [ $(($(grep -c '"event_type": "big"' ledger/governance.jsonl) % 6)) -ne 0 ]; then
			cut=$((cut + 1))
		fi
		if [ "$status" -eq 1 ]; then
			run -2 cp-ledger -f ledger append -q <<< "$EV"
			run -0 cp-ledger -f ledger repair
			repaired=$((repaired + 1))
		fi
		run -0 cp-ledger -f ledger append -q <<< "$EV"
		run -0 cp-ledger -f ledger verify
		# Keep the ledger small (verify reads all of it each round): start afresh.
		rm -rf ledger
		cp-ledger -f ledger append -q <<< "$EV"
	done
	echo "# 50 kills: $cut batches cut short, $repaired torn tails repaired" >&3
}

# RLIMIT_FSIZE stops the real append in the middle of its write: the kernel
# writes up to the limit, the next write raises SIGXFSZ and the process dies,
# leaving the file as a crash mid-write would.
@test "crash: an append killed mid-write (SIGXFSZ) leaves a torn tail that repair clears" {
	big_events 3 5 > events
	torn=0
	for round in $(seq 10); do
		cp-ledger -f ledger append -q <<< "$EV"
		size=$(wc -c < ledger/governance.jsonl)
		# Stop at a random KiB of the next batch (ulimit -f counts KiB).
		limit=$((size / 1024 + 1 + RANDOM % 14))
		run bash -c "ulimit -f $limit; exec cp-ledger -f ledger append -q --batch < events"
		[ "$status" -eq $((128 + 25)) ]
		[ "$(wc -c < ledger/governance.jsonl)" -eq $((limit * 1024)) ]
		run cp-ledger -f ledger verify --json
		no_signal
		if [ -z "$(tail -c 1 ledger/governance.jsonl | tr -d '\n')" ]; then
			[ "$status" -eq 0 ]
			continue
		fi
		[ "$status" -eq 1 ]
		[ "$(jq -c '[.findings[].kind]' <<< "$output")" = '["torn_tail"]' ]
		good=$(jq .entries <<< "$output")
		run -2 cp-ledger -f ledger append -q <<< "$EV"
		run -0 cp-ledger -f ledger repair --json
		[ "$(jq -r .completed <<< "$output")" = false ]
		[ $(($(jq .offset <<< "$output") + $(jq .bytes <<< "$output"))) -eq $((limit * 1024)) ]
		run -0 cp-ledger -f ledger verify --json
		[ "$(jq .entries <<< "$output")" -eq "$good" ]
		torn=$((torn + 1))
	done
	# Only a limit on a line boundary tears nothing; with 5 KiB lines that is rare.
	[ "$torn" -ge 7 ]
	run -0 cp-ledger -f ledger append -q <<< "$EV"
	run -0 cp-ledger -f ledger verify --json
	[ "$(jq .entries <<< "$output")" -eq "$(wc -l < ledger/governance.jsonl)" ]
}

@test "hostile lines: reported with segment and line, never a crash" {
	golden_copy l.jsonl
	head -2 "$G/appended.jsonl" > base.jsonl
	{ printf '{"a": "'; head -c $((10 << 20)) /dev/zero | tr '\0' x; printf '"}\n'; } > long.txt
	{ printf '%.0s[' $(seq 10000); printf '%.0s]' $(seq 10000); echo; } > deep.txt
	printf '{"a": "\xff\xfe"}\n' > utf8.txt
	python3 -c 'print("{\"a\": -" + "9" * 4301 + "}")' > hugeint.txt
	echo '{"a": -NaN}' > nan.txt
	echo '{"a": 1, "a": 2}' > dupkey.txt
	for t in long:'line longer than 1 MiB' deep:'nested deeper than 2048 levels' utf8:'invalid UTF-8' \
	    hugeint:'number out of range' nan:'NaN or Infinity' dupkey:'duplicate key'; do
		name=${t%%:*}
		cat base.jsonl "$name.txt" > "$name.jsonl"
		sed -n 3,5p l.jsonl >> "$name.jsonl"
		run --separate-stderr -1 cp-ledger -f "$name.jsonl" verify
		[[ ${lines[0]} == "$name.jsonl:3: malformed line: ${t#*:}"* ]]
		[ "${lines[1]}" = "NOT intact: 1 problem in 5 entries (1 segment)" ]
		[ -z "$stderr" ]
		run -2 cp-ledger -f "$name.jsonl" cat
		no_signal
	done
	# Python's numbers beyond JSON's are entries: a chain through each, hashed by python3, verifies.
	for v in 123456789012345678901234567890 -9223372036854775809 1e400 NaN -Infinity; do
		python3 -c 'import json, sys
lines = open(sys.argv[1], encoding="utf-8").readlines()
e = json.loads(lines[2])
e["metadata"]["a"] = json.loads(sys.argv[2])
lines[2] = json.dumps(e, ensure_ascii=False) + "\n"
open("n.jsonl", "w", encoding="utf-8").writelines(lines)' l.jsonl "$v"
		rechain n.jsonl p.jsonl 0 0
		for reader in "" --jansson; do
			run -0 cp-ledger $reader -f p.jsonl verify
			[ "$output" = "intact: 5 entries in 1 segment, head $(tail -1 p.jsonl | jq -r .entry_hash)" ]
		done
	done
	run --separate-stderr -2 cp-ledger -f l.jsonl append < long.txt
	[[ $stderr == "cp-ledger: standard input: event longer than"* ]]
	run -2 cp-ledger -f l.jsonl append < deep.txt
	run --separate-stderr -2 cp-ledger -f l.jsonl append <<< '{"event_type":"t","submission_id":"s","decision":"d","reason":"r","metadata":{"x":1e400}}'
	[[ $stderr == *"real number overflow"* ]]
	cmp l.jsonl "$G/appended.jsonl"
}

@test "Python's numbers: 1e400, big integers, NaN and Infinity hash as json.loads and json.dumps make them" {
	# Written by hand, as no Python tool writes 1e400; the hash is /usr/bin/python3's.
	cat > l.jsonl <<'EOF'
{"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r", "prompts_used": [], "metadata": {"big": 1e400, "neg": -1E+400, "max": 1.7976931348623159e308, "int": 123456789012345678901234567890, "nan": NaN, "inf": [Infinity, -Infinity], "tiny": 1e-400}, "id": "LED-0000abcd", "timestamp": "2026-11-24T12:00:00+00:00", "previous_hash": "", "entry_hash": "@H@"}
EOF
	h=$(/usr/bin/python3 -c 'import hashlib, json, sys
e = json.loads(open(sys.argv[1], encoding="utf-8").read())
del e["entry_hash"]
print(hashlib.sha256(json.dumps(e, sort_keys=True, ensure_ascii=False).encode()).hexdigest())' l.jsonl)
	[ "$h" = 2362b5ad59d1194a023c4dea208d2bf6f424c3eecd9aad90d00b769ec8bda6cf ]
	sed -i "s/@H@/$h/" l.jsonl
	for reader in "" --jansson; do
		run -0 cp-ledger $reader -f l.jsonl verify
		[ "$output" = "intact: 1 entries in 1 segment, head $h" ]
		run -0 cp-ledger $reader -f l.jsonl cat --canonical
		[ "$output" = '{"decision": "d", "event_type": "t", "id": "LED-0000abcd", "metadata": {"big": Infinity, "inf": [Infinity, -Infinity], "int": 123456789012345678901234567890, "max": Infinity, "nan": NaN, "neg": -Infinity, "tiny": 0.0}, "previous_hash": "", "prompts_used": [], "reason": "r", "submission_id": "s", "timestamp": "2026-11-24T12:00:00+00:00"}' ]
	done
	# Python reads an integer of 4300 digits and refuses one of 4301 (ValueError): malformed.
	for n in 4300 4301; do
		python3 -c 'import sys
print("{\"event_type\": \"t\", \"submission_id\": \"s\", \"decision\": \"d\", \"reason\": \"r\", \"metadata\": {\"n\": -%s}}" % ("9" * int(sys.argv[1])))' $n > d$n.jsonl
	done
	run -0 cp-ledger -f d4300.jsonl verify
	run -0 cp-ledger --jansson -f d4300.jsonl verify
	for reader in "" --jansson; do
		run -1 cp-ledger $reader -f d4301.jsonl verify
		# a whole line (its newline written) is malformed, never a torn tail
		[[ ${lines[0]} == "d4301.jsonl:1: malformed line: number out of range"* ]]
	done
}

# The reader parses with yajl and hands jansson what yajl cannot vouch for;
# --jansson (hidden, for tests) parses with jansson alone, the reference.  The
# corpora come from tests/data/cp-ledger/corpus.py, seeded anew each run (the
# seed is printed when a test fails), and Python's json module has the answers.
SEED=${CP_TEST_SEED:-$RANDOM}

@test "reals: 100,000 literals of every shape hash and print as Python's repr, in both readers" {
	echo "seed $SEED"
	python3 "$G/corpus.py" floats "$SEED" 100000 > f.jsonl
	python3 "$G/corpus.py" canonical f.jsonl > python
	for reader in "" --jansson; do
		run -0 cp-ledger $reader -f f.jsonl verify
		[ "$output" = "intact: 1000 entries in 1 segment, head $(tail -1 f.jsonl | jq -r .entry_hash)" ]
		cp-ledger $reader -f f.jsonl cat --canonical | cmp - python
	done
}

@test "random entries: both readers give Python's canonical text and the same report" {
	echo "seed $SEED"
	python3 "$G/corpus.py" entries "$SEED" 3000 > e.jsonl
	python3 "$G/corpus.py" canonical e.jsonl > python
	run -1 cp-ledger -f e.jsonl verify --json
	fast=$output
	# Every entry_hash is random: each line is one tampered entry, but one in
	# ten, which has a field too many or one missing: malformed, and left out
	# of Python's canonical text.
	[ "$(jq -c '[.entries, ([.findings[] | select(.kind == "tampered")] | length), ([.findings[] | select(.kind == "malformed")] | length)]' <<< "$fast")" = "[2700,2700,300]" ]
	[ "$(jq -r '[.findings[] | select(.kind == "malformed") | .line % 10] | unique | join(" ")' <<< "$fast")" = 5 ]
	[ "$(jq -r '.findings[] | select(.kind == "malformed") | .detail' <<< "$fast" | grep -cv -e '^field ".*" is not one of an entry.s ten$' -e '^entry without the field ')" -eq 0 ]
	run -1 cp-ledger --jansson -f e.jsonl verify --json
	[ "$output" = "$fast" ]
	cp-ledger -f e.jsonl cat --canonical | cmp - python
	cp-ledger --jansson -f e.jsonl cat --canonical | cmp - python
	# The recomputed hashes are sha256 of Python's text (hashlib, one process
	# rather than three per line).
	/usr/bin/python3 -c 'import hashlib, sys
for line in open(sys.argv[1], "rb"):
    print(hashlib.sha256(line.rstrip(b"\n")).hexdigest())' python > sums
	jq -r '.findings[] | select(.kind == "tampered") | .expected' <<< "$fast" | cmp - sums
}

@test "hostile lines: both readers refuse the same lines in the same words" {
	python3 "$G/corpus.py" hostile > h.jsonl
	run -1 cp-ledger -f h.jsonl verify --json
	fast=$output
	run -1 cp-ledger --jansson -f h.jsonl verify --json
	[ "$output" = "$fast" ]
	run --separate-stderr -2 cp-ledger -f h.jsonl cat
	out=$output err=$stderr
	run --separate-stderr -2 cp-ledger --jansson -f h.jsonl cat
	[ "$output" = "$out" ]
	[ "$stderr" = "$err" ]
	# What each kind of line must come to, whichever reader read it.
	detail() {
		jq -r --arg x "$1" '.findings[] | select(.detail != null and (.detail | startswith($x))) | .line' <<< "$fast" | wc -l
	}
	[ "$(detail 'invalid UTF-8')" -eq 41 ]
	[ "$(detail 'invalid Unicode')" -eq 8 ]
	[ "$(detail 'duplicate key')" -eq 7 ]
	[ "$(detail 'NUL character in a key')" -eq 1 ]
	# Python's numbers are read as Python reads them: only its own refusals
	# stay, an integer of 4301 digits and -NaN.
	[ "$(detail 'number out of range')" -eq 1 ]
	[ "$(detail 'NaN or Infinity')" -eq 1 ]
	[ "$(detail 'nested deeper than 2048 levels')" -eq 10 ]
	[ "$(detail 'not a JSON object')" -eq 1 ]
	# A field too many or one missing (an entry needs all ten, a legacy line the first four).
	[ "$(detail 'field "')" -eq 3 ]
	[ "$(detail 'entry without the field')" -eq 4 ]
	[ "$(detail 'legacy line without the field')" -eq 2 ]
	# \f and \v are white space to yajl, not to JSON.
	for n in 139 140 141 142; do
		[ "$(jq -r ".findings[] | select(.line == $n) | .kind" <<< "$fast")" = malformed ]
	done
	# The near misses are entries: paired surrogates, \u0000, the limits
	# themselves, the numbers Python reads beyond JSON's (big integers, NaN,
	# Infinity, 1e400), legacy lines of the first four fields.
	run -0 jq -r '[.findings[] | select(.kind != "malformed") | .line] | unique | join(" ")' <<< "$fast"
	[ "$output" = "49 50 51 52 55 56 57 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 78 79 92 94 95 96 100 101 111 137 138 152 153 156 157 158 159 160 161 163 173" ]
}

@test "the vectors and bench-like events: both readers agree" {
	for f in "$DATA/ledger-cp2.jsonl" "$G"/*.jsonl; do
		cp-ledger -f "$f" verify --json > fast || [ $? -eq 1 ]
		cp-ledger --jansson -f "$f" verify --json > reference || [ $? -eq 1 ]
		cmp fast reference
		cp-ledger -f "$f" cat --canonical > fast 2>&1
		cp-ledger --jansson -f "$f" cat --canonical > reference 2>&1
		cmp fast reference
	done
	# Shaped as bench/cp-ledger.sh makes them: a real, non-ASCII text, a hash.
	python3 -c 'for i in range(1, 2001):
    print("{\"event_type\":\"package_%s\",\"submission_id\":\"PKG-%06d\",\"decision\":\"%s\",\"reason\":\"bench event %d, caf\u00e9\",\"metadata\":{\"actor\":\"bench\",\"size\":%d,\"ratio\":%d.25,\"after_hash\":\"%064x\"}}"
          % ("install" if i % 2 else "pack", i, "INSTALL" if i % 2 else "PACK", i, i * 7, i % 100, i))' > events
	for reader in "" --jansson; do
		cp-ledger $reader -f "b$reader" append --batch -q --id LED-0000beef \
			--timestamp 2026-11-24T12:00:00+00:00 < events
		cp-ledger $reader -f "b$reader" cat --canonical > "canonical$reader"
	done
	cmp b/governance.jsonl b--jansson/governance.jsonl
	cmp canonical canonical--jansson
	python3 "$G/corpus.py" canonical b/governance.jsonl | cmp - canonical
	run -0 cp-ledger -f b verify
}

@test "batch append: both readers write what Python's json module writes" {
	echo "seed $SEED"
	python3 "$G/corpus.py" events "$SEED" 2000 > events
	for reader in "" --jansson; do
		cp-ledger $reader -f "l$reader.jsonl" append --batch -q --id LED-0000beef \
			--timestamp 2026-11-24T12:00:00+00:00 < events
	done
	cmp l.jsonl l--jansson.jsonl
	[ "$(wc -l < l.jsonl)" -eq 2000 ]
	python3 "$G/corpus.py" stored l.jsonl | cmp - l.jsonl
	rechain l.jsonl python.jsonl 0 0
	cmp python.jsonl l.jsonl
}

@test "cat: entries in chain order for jq; malformed lines warned about" {
	run -0 cp-ledger -f "$G/appended.jsonl" cat
	[ "$output" = "$(cat "$G/appended.jsonl")" ]
	golden_copy l.jsonl
	sed -i '2s/^/#/' l.jsonl
	run --separate-stderr -2 cp-ledger -f l.jsonl cat
	[[ $stderr == "cp-ledger: l.jsonl:2: malformed line: "* ]]
	[ "$output" = "$(sed 2d "$G/appended.jsonl")" ]
}

@test "the plane's ledger/: -C, CONTROL_PLANE_ROOT, the current directory" {
	mkdir plane
	cp-ledger -C plane append -q <<< "$EV"
	[ "$(wc -l < plane/ledger/governance.jsonl)" -eq 1 ]
	CONTROL_PLANE_ROOT=plane cp-ledger append -q <<< "$EV"
	[ "$(wc -l < plane/ledger/governance.jsonl)" -eq 2 ]
	cd plane
	run -0 cp-ledger verify
	[[ $output == "intact: 2 entries in 1 segment, head "* ]]
}

@test "empty and missing ledgers" {
	: > empty.jsonl
	run -0 cp-ledger -f empty.jsonl verify
	[ "$output" = "intact: 0 entries in 1 segment, head (none)" ]
	mkdir dir
	# a directory without a governance*.jsonl holds no ledger: verify says so
	run --separate-stderr -2 cp-ledger -f dir verify
	[ "$stderr" = "cp-ledger: no ledger in dir (no governance.jsonl or governance-*.jsonl)" ]
	[ -z "$output" ]
	: > dir/packages.jsonl
	run -2 cp-ledger -f dir verify
	run -0 cp-ledger -f dir --base packages verify
	[ "$output" = "intact: 0 entries in 1 segment, head (none)" ]
	run -2 cp-ledger -f dir --base kernel verify
	# nor does head, cat or repair take it for an empty ledger (issue 21)
	run --separate-stderr -2 cp-ledger -f dir head
	[ "$stderr" = "cp-ledger: no ledger in dir (no governance.jsonl or governance-*.jsonl)" ]
	[ -z "$output" ]
	run --separate-stderr -2 cp-ledger -f dir cat
	[ "$stderr" = "cp-ledger: no ledger in dir (no governance.jsonl or governance-*.jsonl)" ]
	[ -z "$output" ]
	run -0 cp-ledger -f dir --base packages head
	[ "$output" = "$(printf 'localhost/cp-ledger\n0\n%s' "$(python3 -c 'import base64, hashlib; print(base64.b64encode(hashlib.sha256(b"").digest()).decode())')")" ]
	run --separate-stderr -2 cp-ledger -f missing verify
	[ "$stderr" = "cp-ledger: missing: No such file or directory" ]
	[ -z "$output" ]
	run -2 cp-ledger -f missing.jsonl cat
	run -2 cp-ledger -f missing head
	run --separate-stderr -2 cp-ledger -f dir repair
	[ "$stderr" = "cp-ledger: no ledger in dir (no governance.jsonl or governance-*.jsonl)" ]
	run -2 cp-ledger -f missing repair
	[ ! -e missing ]
}

@test "verify --json stays JSON when a stored entry_hash holds a quote or a control character" {
	printf '%s\n' '{"event_type":"t","submission_id":"s","decision":"d","reason":"r","prompts_used":[],"metadata":{},"id":"LED-00000001","timestamp":"2026-11-24T12:00:00+00:00","previous_hash":"","entry_hash":"a\"b\u0001c"}' > q.jsonl
	run -1 cp-ledger -f q.jsonl verify --json
	jq -e '.head == "a\"b\u0001c" and .findings[0].kind == "tampered" and .findings[0].actual == .head
		and .intact == false' <<<"$output"
}

@test "usage errors, --help and --version" {
	run -0 cp-ledger --help
	[[ ${lines[0]} == "usage: cp-ledger [-C DIR] [-f PATH] append"* ]]
	run -0 cp-ledger --version
	[[ $output == "cp-ledger (Control Plane v2 in C) "* ]]
	run --separate-stderr -2 cp-ledger
	[[ $stderr == "usage: cp-ledger"* ]]
	run --separate-stderr -2 cp-ledger frobnicate
	[[ $stderr == "cp-ledger: unknown command: frobnicate"* ]]
	run -2 cp-ledger verify extra
	run -2 cp-ledger --no-such-option verify
	run -2 cp-ledger -f x.jsonl verify --batch
	run -2 cp-ledger -f x.jsonl append --batch --event-type t
	run -2 cp-ledger -f x.jsonl cat --json
	run -2 cp-ledger -f x.jsonl append --rotate-bytes 0 <<< "$EV"
	run -2 cp-ledger -f x.jsonl append --metadata '{"a":' <<< "$EV"
	[ ! -e x.jsonl ]
}

@test "a write to /dev/full is an error" {
	for verb in verify cat head; do
		run --separate-stderr -2 bash -c "cp-ledger -f '$G/appended.jsonl' $verb > /dev/full"
		[ "$stderr" = "cp-ledger: write error: No space left on device" ]
	done
	# The entry is in the ledger; the status says its copy on standard output was lost.
	run --separate-stderr -2 bash -c "cp-ledger -f l.jsonl append <<< '$EV' > /dev/full"
	[ "$stderr" = "cp-ledger: write error: No space left on device" ]
	run -0 cp-ledger -f l.jsonl verify
	[[ $output == "intact: 1 entries in 1 segment"* ]]
}

# failing_openssl: $pre, an LD_PRELOAD whose OpenSSL digests fail (see
# failsha.c), with the sanitizers' runtime first when the tools have one.
failing_openssl() {
	cc -shared -fPIC -o failsha.so "$G/failsha.c" -ldl
	pre=$BATS_TEST_TMPDIR/failsha.so
	asan=$(ldd "$(command -v cp-ledger)" | awk '/libasan/ { print $3 }')
	[ -z "$asan" ] || pre="$asan $pre"
}

@test "a hash OpenSSL cannot compute is an error (status 2), never a wrong entry_hash or root" {
	failing_openssl
	golden_copy l.jsonl
	cp l.jsonl before
	run -2 --separate-stderr env LD_PRELOAD="$pre" FAIL_AFTER=0 \
		cp-ledger -f l.jsonl append --event-type t --submission-id s --decision d --reason r
	[ "$stderr" = "cp-ledger: sha256: openssl failure; nothing appended" ]
	cmp l.jsonl before
	for t in 1 2; do
		run -2 --separate-stderr env LD_PRELOAD="$pre" FAIL_AFTER=0 CP_LEDGER_THREADS=$t \
			cp-ledger -f l.jsonl verify
		[ "$stderr" = "cp-ledger: l.jsonl:1: sha256: openssl failure" ]
	done
	# The first entry hashed, its leaf hash refused: no checkpoint, not a wrong one.
	# (One thread: on several, the second digest is another entry's, read ahead.)
	run -2 --separate-stderr env LD_PRELOAD="$pre" FAIL_AFTER=1 FAIL_COUNT=1 CP_LEDGER_THREADS=1 \
		cp-ledger -f l.jsonl head
	[ "$output" = "" ]
	[[ "$stderr" == "cp-ledger: merkle: "* ]]
	run -0 cp-ledger -f l.jsonl verify
}

@test "an empty ledger path is named as err(3) names it, ': ' and the reason" {
	run -2 --separate-stderr cp-ledger -f '' verify
	[ "$stderr" = "cp-ledger: : No such file or directory" ]
}
