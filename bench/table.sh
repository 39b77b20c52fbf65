#!/usr/bin/env bash
# bench/table.sh TABLE LOAD_BEFORE [RESULTS.md]: make bench's one table, from
# the rows the benchmarks wrote with bench_row (bench/lib.sh): each measure,
# its target and whether it is met; and the same, with the machine, the date
# and the load, into RESULTS.md (bench/RESULTS.md) for the README to cite.
# SPDX-License-Identifier: ISC
set -eu
table=$1 load0=$2 out=${3:-}
[ -s "$table" ] || { echo "bench/table.sh: no rows in $table" >&2; exit 2; }
load1=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine="$(nproc) cores ($cpu), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
met=$(awk -F'\t' '$4 == "yes"' "$table" | wc -l)
all=$(wc -l < "$table")

echo
echo "== make bench: each measure against its baseline in the same run"
{ printf 'measure\tvalue\ttarget\tmet\n'; cat "$table"; } | column -t -s "$(printf '\t')"
echo "$met of $all targets met; load average $load0 before, $load1 after"

[ -n "$out" ] || exit 0
tmp=$out.tmp.$$
{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (bench/table.sh): every figure is a ratio to a"
	echo "baseline measured in the same run (or a rate), best of \$BENCH_RUNS runs."
	echo
	echo "- machine: $machine"
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "- load average: $load0 before, $load1 after"
	echo "- toolkit: $("${CP_BIN:-bin}"/cp-hash --version 2>/dev/null | awk '{ print $NF }')$(git rev-parse --short HEAD 2>/dev/null | sed 's/^/, commit /')"
	echo
	echo "| measure | value | target | met |"
	echo "|---|---:|---|---|"
	awk -F'\t' '{ gsub(/\|/, "\\|", $1); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$table"
	echo
	echo "$met of $all targets met."
} > "$tmp"
mv -f "$tmp" "$out"
echo "written: $out"
