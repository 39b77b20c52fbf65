#!/usr/bin/env bash
# bench/startup.sh: how long each program takes to start and exit
# (--version), against /bin/true in the same run: these are filters run in
# pipelines and make recipes, so a start is paid on every call.
# Target (issue 22): every program within 2x /bin/true.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

n=${BENCH_STARTS:-200}
# loop CMD: N runs of CMD in this shell, timed as one (best of BENCH_RUNS)
loop() { best_around "for ((k = 0; k < $n; k++)); do $1 > /dev/null; done"; }

t_true=$(loop /bin/true)
echo "start-up, $n runs each: /bin/true $(awk -v t="$t_true" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }') ms"
# The floor every program stands on: a main() that returns at once, linked
# with the shared libcrypto (as every program is) and nothing else of ours.
floor=$BENCH_DIR/empty-libcrypto
mkdir -p "$BENCH_DIR"
if printf 'int main(void) { return 0; }\n' | ${CC:-cc} -x c -o "$floor" - \
	-Wl,--no-as-needed $(pkg-config --libs libcrypto) 2> /dev/null; then
	t=$(loop "$floor")
	echo "  (the floor: an empty main() linked with libcrypto.so.3: $(awk -v t="$t" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }') ms, $(ratio "$t" "$t_true")x /bin/true)"
fi
for p in "$CP_BIN"/cp-*; do
	name=${p##*/}
	t=$(loop "$p --version")
	echo "  $name: $(awk -v t="$t" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }') ms, $(ratio "$t" "$t_true")x /bin/true (target <= 2)"
	bench_row "$name start-up, time vs /bin/true" "$(ratio "$t" "$t_true")x" "<=" 2
done
