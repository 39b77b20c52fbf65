#!/usr/bin/env bash
# bench/cp-ledger.sh: cp-ledger append and verify, with baselines measured in the same run.
#   batch append of N events (default 1,000,000; BENCH_LEDGER_N to change)
#   single appends, one process and one fdatasync each, vs dd conv=fdatasync per line
#   verify of the N-entry ledger (and verify --json, which adds the Merkle tree)
#   vs sha256sum and vs Python re-hashing every entry
#   peak RSS of verify at N and at N/100 entries (memory must not grow with N)
# Targets (issue 6): verify >= 200,000 entries/s on one core, memory independent
# of the ledger's length; batch append >= 50,000 entries/s.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

n=${BENCH_LEDGER_N:-1000000}
small=$((n / 100))
singles=${BENCH_LEDGER_SINGLES:-200}
d=$BENCH_DIR/cp-ledger
mkdir -p "$d"
cd "$d"

# Events like the plane's: varied ids, a reason, metadata with a hash, a number and non-ASCII text.
events() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"event_type\":\"package_%s\",\"submission_id\":\"PKG-%06d\"," \
			    "\"decision\":\"%s\",\"reason\":\"bench event %d, caf\303\251\"," \
			    "\"metadata\":{\"actor\":\"bench\",\"size\":%d,\"ratio\":%d.25," \
			    "\"after_hash\":\"%064x\"}}\n", i % 2 ? "install" : "pack", i,
			    i % 2 ? "INSTALL" : "PACK", i, i * 7, i % 100, i
	}'
}
if [ ! -f events.jsonl ] || [ ! -f events-small.jsonl ] || [ "$(wc -l < events.jsonl)" -ne "$n" ]; then
	events "$n" > events.jsonl
	head -n "$small" events.jsonl > events-small.jsonl
fi

# Each run writes and syncs the whole ledger again: one timed run after the warm-up.
t_batch=$(BENCH_RUNS=1 best_of "rm -rf big && cp-ledger -f big append --batch -q < events.jsonl")
rm -rf small && cp-ledger -f small append --batch -q < events-small.jsonl
seg=big/governance.jsonl
mib=$(awk -v b="$(stat -c %s "$seg")" 'BEGIN { printf "%.0f", b / 1048576 }')
echo "batch append, $n entries ($mib MiB): ${t_batch}s, $(ratio "$n" "$t_batch" | cut -d. -f1) entries/s (target >= 50000)"
bench_row "cp-ledger append --batch, entries/s" "$(ratio "$n" "$t_batch" | cut -d. -f1)" ">=" 50000

# One process per append, as the plane's make targets do; the baseline is the same
# shape without the ledger: a process appending one line and calling fdatasync.
line=$(head -1 events.jsonl)
t_single=$(best_of "rm -rf one && for i in \$(seq $singles); do
	cp-ledger -f one append -q <<< '$line'; done")
t_dd=$(best_of "rm -f dd.jsonl && for i in \$(seq $singles); do
	dd of=dd.jsonl oflag=append conv=notrunc,fdatasync status=none <<< '$line'; done")
echo "single appends, $singles processes: cp-ledger ${t_single}s ($(ratio "$singles" "$t_single") /s)" \
	"  dd conv=fdatasync ${t_dd}s ($(ratio "$singles" "$t_dd") /s)"
echo "  cp-ledger vs dd: $(ratio "$t_dd" "$t_single")x"

t_verify=$(best_of "cp-ledger -f big verify")
t_vjson=$(best_of "cp-ledger -f big verify --json")
t_sum=$(best_of "sha256sum $seg")
t_py=$(BENCH_RUNS=1 best_of "python3 -c '
import hashlib, json, sys
prev = \"\"
for line in open(sys.argv[1], encoding=\"utf-8\"):
    e = json.loads(line)
    h = e.pop(\"entry_hash\")
    assert e[\"previous_hash\"] == prev
    assert hashlib.sha256(json.dumps(e, sort_keys=True, ensure_ascii=False).encode()).hexdigest() == h
    prev = h
' $seg")
echo "verify, $n entries: cp-ledger ${t_verify}s, $(ratio "$n" "$t_verify" | cut -d. -f1) entries/s (target >= 1000000, issue 22)"
bench_row "cp-ledger verify, $n entries, entries/s" "$(ratio "$n" "$t_verify" | cut -d. -f1)" ">=" 1000000
echo "  verify --json (also the Merkle tree of every entry) ${t_vjson}s, $(ratio "$n" "$t_vjson" | cut -d. -f1) entries/s"
echo "  sha256sum over the same bytes ${t_sum}s: cp-ledger takes $(ratio "$t_verify" "$t_sum")x its time"
echo "  Python json re-hashing ${t_py}s: cp-ledger is $(ratio "$t_py" "$t_verify")x faster"
cp-ledger -f big head > big.checkpoint
echo "peak RSS: verify of $n entries $(peak_rss_kb "cp-ledger -f big verify") KiB," \
	"of $small entries $(peak_rss_kb "cp-ledger -f small verify") KiB;" \
	"batch append of $n $(peak_rss_kb "rm -rf big2 && cp-ledger -f big2 append --batch -q < events.jsonl") KiB;" \
	"verify --since (32 bytes an entry) $(peak_rss_kb "cp-ledger -f big verify --since big.checkpoint") KiB"
rm -rf big2
