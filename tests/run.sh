#!/usr/bin/env bash
# Run bats suites, pass their TAP through, and end with the line
# "N passed, N failed[, N skipped]" that CI reads.  Exit 1 on any failure,
# or if bats ran fewer tests than it planned (a suite that died midway).
# SPDX-License-Identifier: ISC
set -u
set -o pipefail

bats=${BATS:-bats}
# The suites run make as a user would: not with the outer make's flags (under
# `make -s check`, -s silenced the "Nothing to be done" that tests read).
unset MAKEFLAGS MAKELEVEL MFLAGS
[ $# -gt 0 ] || set -- tests/*.bats
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

# Suites run side by side, one per core (CP_TEST_JOBS=N to choose, 1 for one
# at a time); the tests of one suite always in turn, as they share its
# setup_file.  bats needs GNU parallel for that (ci/deps.sh installs it).
jobs=${CP_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs in '' | *[!0-9]*) echo "tests/run.sh: CP_TEST_JOBS must be a number" >&2; exit 2 ;; esac
par=()
if [ "$jobs" -gt 1 ] && [ $# -gt 1 ] && command -v parallel > /dev/null; then
	par=(--jobs "$jobs" --no-parallelize-within-files)
	# The longest suites first (their size is the guess), so that no long
	# one starts last and runs alone on a core while the other idles.
	mapfile -t sorted < <(wc -c -- "$@" | sed '$d' | sort -k1,1nr -k2 | awk '{ print $2 }')
	[ "${#sorted[@]}" -ne $# ] || set -- "${sorted[@]}"
fi

"$bats" --tap "${par[@]}" "$@" 2>&1 | awk -v out="$summary" '
	/^1\.\.[0-9]+$/ { sub(/^1\.\./, ""); plan += $0 }
	/^ok / { if ($0 ~ / # [Ss][Kk][Ii][Pp]/) skipped++; else passed++ }
	/^not ok / { failed++ }
	{ print; fflush() }
	END {
		ran = passed + failed + skipped
		if (plan > ran) failed += plan - ran
		printf "%d %d %d\n", passed, failed, skipped > out
	}'
rc=$?
read -r passed failed skipped < "$summary"
line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
echo "$line"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
