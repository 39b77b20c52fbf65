# bench/lib.sh: shared helpers of the benchmarks (sourced, not run).
# Timings are the best of $BENCH_RUNS runs (default 3) after one warm-up,
# so the page cache holds the data for every contender alike.  The clock
# is bash's own $EPOCHREALTIME (microseconds): a `date` process on each side
# would add its start-up to the timing (about 1.5 ms here, 7% of a 20 ms
# command).
# SPDX-License-Identifier: ISC

: "${CP_BIN:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bin}"
: "${BENCH_RUNS:=3}"
: "${BENCH_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bench}"
PATH="$CP_BIN:$PATH"
export LC_ALL=C

# best_of CMD: CMD through bash -c, timed as best_around times it (start-up included).
best_of() {
	best_around "bash -c $(printf %q "$1")"
}

# best_around CMD [BEFORE [AFTER]]: the best wall time of CMD alone, over
# BENCH_RUNS runs (and a warm-up), each between BEFORE and AFTER (untimed).
# CMD runs in this shell (eval): a few milliseconds of bash -c start-up
# would weigh on a command that itself takes twenty.
best_around() {
	local best= t0 t1 dt i
	for ((i = 0; i <= BENCH_RUNS; i++)); do
		eval "${2:-:}" >/dev/null 2>&1
		t0=$EPOCHREALTIME
		eval "$1" >/dev/null 2>&1 || :
		t1=$EPOCHREALTIME
		eval "${3:-:}" >/dev/null 2>&1
		dt=$(( ${t1/[.,]/} - ${t0/[.,]/} ))
		if [ "$i" -gt 0 ] && { [ -z "$best" ] || [ "$dt" -lt "$best" ]; }; then best=$dt; fi
	done
	awk -v us="$best" 'BEGIN { printf "%.4f\n", us / 1e6 }'
}

# ratio A B: A / B to two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b > 0 ? a / b : 0) }'
}

# peak_rss_kb CMD: the peak resident set of CMD, from /usr/bin/time -v.
peak_rss_kb() {
	/usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
}

# bench_row WHAT VALUE OP GOAL: one row of make bench's table: WHAT measured
# VALUE (a ratio, "x" added, or a rate), whose target is OP GOAL (OP ">=" or
# "<="); appended to $BENCH_TABLE when it is set (make bench sets it).
bench_row() {
	local met
	met=$(awk -v v="$2" -v op="$3" -v g="$4" 'BEGIN { print ((op == ">=" ? v + 0 >= g + 0 : v + 0 <= g + 0) ? "yes" : "NO") }')
	[ -z "${BENCH_TABLE:-}" ] || printf '%s\t%s\t%s %s\t%s\n' "$1" "$2" "$3" "$4" "$met" >> "$BENCH_TABLE"
}
