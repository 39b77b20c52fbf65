#!/usr/bin/env bash
# bench/cp-merkle.sh: the streaming root over 1, 10 and 50 million hex leaves.
#   leaves per second and peak memory for each size; the same input through
#   openssl dgst -sha256 (one SHA-256 pass over its bytes) and wc -l (reading
#   alone) as baselines measured in the same run.
# Targets (issue 3): >= 2 million leaves/s on one core; peak memory independent of n.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

d=$BENCH_DIR/cp-merkle
mkdir -p "$d"
cd "$d"
# 10 million distinct 64-hex lines (650 MB); 50 million is this file five times over.
if [ ! -f leaves10m ] || [ "$(stat -c %s leaves10m)" -ne 650000000 ]; then
	python3 -c '
import sys
w = sys.stdout.write
for b in range(0, 10000000, 100000):
    w("".join("%064x\n" % (i * 0x9E3779B97F4A7C15) for i in range(b, b + 100000)))
' > leaves10m
fi
head -n 1000000 leaves10m > leaves1m

rate() { # leaves seconds -> millions of leaves per second
	awk -v n="$1" -v t="$2" 'BEGIN { printf "%.2f\n", (t > 0 ? n / t / 1e6 : 0) }'
}

t1=$(best_of "cp-merkle --hex leaves1m")
t10=$(best_of "cp-merkle --hex leaves10m")
t50=$(best_of "cat leaves10m leaves10m leaves10m leaves10m leaves10m | cp-merkle --hex")
t10raw=$(best_of "cp-merkle leaves10m")
t10p2=$(best_of "cp-merkle --scheme cp2 leaves10m")
t_ossl=$(best_of "openssl dgst -sha256 leaves10m")
t_wc=$(best_of "wc -l leaves10m")
echo "root, --hex leaves (leaf data 32 bytes):"
echo "   1M leaves: ${t1}s   $(rate 1000000 "$t1")M leaves/s (target >= 2)"
echo "  10M leaves: ${t10}s   $(rate 10000000 "$t10")M leaves/s (target >= 2)"
echo "  50M leaves: ${t50}s   $(rate 50000000 "$t50")M leaves/s (target >= 2)"
bench_row "cp-merkle --hex 10M leaves, M leaves/s" "$(rate 10000000 "$t10")" ">=" 2
echo "10M lines as raw leaf data (65 bytes): ${t10raw}s   $(rate 10000000 "$t10raw")M leaves/s"
echo "10M digests, --scheme cp2:              ${t10p2}s   $(rate 10000000 "$t10p2")M leaves/s"
echo "baselines over the same 650 MB: openssl dgst -sha256 ${t_ossl}s, wc -l ${t_wc}s"
echo "  cp-merkle --hex 10M vs openssl dgst: $(ratio "$t_ossl" "$t10")x"
echo "  cp-merkle --hex 10M vs wc -l:        $(ratio "$t_wc" "$t10")x"
m1=$(peak_rss_kb "cp-merkle --hex leaves1m")
m50=$(peak_rss_kb "cat leaves10m leaves10m leaves10m leaves10m leaves10m | cp-merkle --hex")
echo "peak RSS: 1M leaves ${m1} KiB, 50M leaves ${m50} KiB (the pipeline's largest process)"
echo "  50M vs 1M: $(ratio "$m50" "$m1")x (target: 1.00, independent of n)"
bench_row "cp-merkle peak RSS, 50M vs 1M leaves" "$(ratio "$m50" "$m1")x" "<=" 1.05
tp=$(best_of "cp-merkle proof --hex 500000 < leaves1m")
tc=$(best_of "cp-merkle consistency --hex 700000 < leaves1m")
echo "one inclusion proof over 1M leaves: ${tp}s; one consistency proof: ${tc}s"
