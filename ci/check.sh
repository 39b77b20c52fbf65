#!/usr/bin/env bash
# ci/check.sh: from a fresh Debian 12 machine to a full check.  Installs the
# dependencies, builds, runs every bats suite, then builds again with
# AddressSanitizer + UBSan and runs them once more (all but two whose
# work does not change with the build).  Ends with the line
# "N passed, N failed" over both runs; exits non-zero on any failure.
# SPDX-License-Identifier: ISC
set -u
cd "$(dirname "$0")/.."

bash ci/deps.sh || exit 2

# The sanitizer pass leaves out the suites whose work does not change with
# SANITIZE: fuzz.bats replays the corpora through the harnesses, which are
# built with ASan and UBSan whatever the mode, and packaging.bats builds and
# tests its own tarball with the default flags.  Run twice, they ran the
# same programs on the same inputs.
same=" tests/fuzz.bats tests/packaging.bats "
sanitized=
for t in tests/*.bats; do
	case $same in *" $t "*) ;; *) sanitized="$sanitized $t" ;; esac
done

passed=0 failed=0 skipped=0 rc=0
for mode in "" "SANITIZE=1"; do
	echo "== make check $mode"
	log=$(mktemp)
	if [ -n "$mode" ]; then
		make -j2 check $mode TESTS="$sanitized" 2>&1 | tee "$log"
	else
		make -j2 check 2>&1 | tee "$log"
	fi
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$summary" ]; then
		echo "ci/check.sh: make check $mode ran no tests (build failure?)"
		failed=$((failed + 1))
		rc=1
		continue
	fi
	set -- $summary
	passed=$((passed + $1))
	failed=$((failed + $3))
	case $summary in *skipped*) skipped=$((skipped + $5)) ;; esac
done
make -s all >/dev/null 2>&1	# leave bin/ as the normal build, not the sanitized one

line="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line="$line, $skipped skipped"
echo "$line"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
