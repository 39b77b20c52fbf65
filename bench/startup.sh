#!/usr/bin/env bash
# bench/startup.sh: how long each program takes to start and exit
# (--version), against /bin/true in the same run: these are filters run in
# pipelines and make recipes, so a start is paid on every call.
# Target (issue 22): every program within 2x /bin/true.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

n=${BENCH_STARTS:-200}
# us CMD: microseconds for N runs of CMD in this shell.
us() {
	local t0 t1 k
	t0=$EPOCHREALTIME
	for ((k = 0; k < n; k++)); do $1 > /dev/null; done
	t1=$EPOCHREALTIME
	echo $(( ${t1/[.,]/} - ${t0/[.,]/} ))
}
# pair CMD: "T C", the best times (seconds) of N runs of /bin/true and of
# CMD, taken in turn BENCH_RUNS times after a warm-up: each program is
# weighed against a baseline of the same moments (this VM's speed drifts
# by 10-25 % from minute to minute, more than the gap being measured).
pair() {
	local bt= bc= t c i
	for ((i = 0; i <= BENCH_RUNS; i++)); do
		t=$(us /bin/true)
		c=$(us "$1")
		[ "$i" -eq 0 ] && continue
		if [ -z "$bt" ] || [ "$t" -lt "$bt" ]; then bt=$t; fi
		if [ -z "$bc" ] || [ "$c" -lt "$bc" ]; then bc=$c; fi
	done
	awk -v t="$bt" -v c="$bc" 'BEGIN { printf "%.6f %.6f\n", t / 1e6, c / 1e6 }'
}
ms() { awk -v t="$1" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }'; }

echo "start-up, $n runs each, in turn with as many of /bin/true (best of $BENCH_RUNS):"
# The floor every program stands on: a main() that returns at once, linked
# with the shared libcrypto (as every program is) and nothing else of ours.
floor=$BENCH_DIR/empty-libcrypto
mkdir -p "$BENCH_DIR"
if printf 'int main(void) { return 0; }\n' | ${CC:-cc} -x c -o "$floor" - \
	-Wl,--no-as-needed $(pkg-config --libs libcrypto) 2> /dev/null; then
	read -r t c < <(pair "$floor")
	echo "  (the floor: an empty main() linked with libcrypto.so.3: $(ms "$c") ms, $(ratio "$c" "$t")x /bin/true at $(ms "$t") ms)"
fi
for p in "$CP_BIN"/cp-*; do
	name=${p##*/}
	read -r t c < <(pair "$p --version")
	echo "  $name: $(ms "$c") ms, $(ratio "$c" "$t")x /bin/true at $(ms "$t") ms (target <= 2)"
	bench_row "$name start-up, time vs /bin/true" "$(ratio "$c" "$t")x" "<=" 2
done
