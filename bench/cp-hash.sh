#!/usr/bin/env bash
# bench/cp-hash.sh: cp-hash against sha256sum and openssl dgst, in one run.
#   one 1 GiB file: cp-hash vs openssl dgst -sha256 vs sha256sum
#   10,000 files of 10 KiB: cp-hash -j1 vs -j2, and sha256sum
# Targets (issue 2): large file >= 0.9x openssl, >= 4x sha256sum; (issue 22)
# -j2 >= 1.7x -j1.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

d=$BENCH_DIR/cp-hash
mkdir -p "$d"
cd "$d"
if [ ! -f big ] || [ "$(stat -c %s big)" -ne $((1 << 30)) ]; then
	head -c $((1 << 30)) /dev/urandom > big
fi
if [ ! -d small ] || [ "$(find small -type f | wc -l)" -ne 10000 ]; then
	rm -rf small && mkdir small
	for i in $(seq -w 1 10000); do head -c 10240 /dev/urandom > "small/f$i"; done
fi
find small -type f | sort > small.list

t_cp=$(best_of "cp-hash big")
t_ossl=$(best_of "openssl dgst -sha256 big")
t_sum=$(best_of "sha256sum big")
echo "1 GiB file:   cp-hash ${t_cp}s   openssl dgst ${t_ossl}s   sha256sum ${t_sum}s"
echo "  speed vs openssl dgst: $(ratio "$t_ossl" "$t_cp")x (target >= 0.9)"
echo "  speed vs sha256sum:    $(ratio "$t_sum" "$t_cp")x (target >= 4)"
bench_row "cp-hash 1 GiB, speed vs openssl dgst" "$(ratio "$t_ossl" "$t_cp")x" ">=" 0.9
bench_row "cp-hash 1 GiB, speed vs sha256sum" "$(ratio "$t_sum" "$t_cp")x" ">=" 4

t_j1=$(best_of "cp-hash -j1 -T small.list")
t_j2=$(best_of "cp-hash -j2 -T small.list")
t_sums=$(best_of "xargs sha256sum < small.list")
echo "10,000 x 10 KiB: cp-hash -j1 ${t_j1}s   -j2 ${t_j2}s   sha256sum ${t_sums}s"
echo "  -j2 vs -j1: $(ratio "$t_j1" "$t_j2")x (target >= 1.7)"
bench_row "cp-hash 10,000 x 10 KiB, -j2 vs -j1" "$(ratio "$t_j1" "$t_j2")x" ">=" 1.7
echo "  -j2 vs sha256sum: $(ratio "$t_sums" "$t_j2")x"
echo "  peak RSS, 1 GiB file: $(peak_rss_kb "cp-hash big") KiB"
