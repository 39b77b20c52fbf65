#!/usr/bin/env bats
# The C unit tests' harness: tests/unit/unit.h's checks and the status a
# unit test program ends with.  The programs themselves (one per
# tests/unit/*_test.c, built into build/tests/ by make check) run as one
# test each from build/tests/programs.bats, which make check writes and
# runs with this suite.
# SPDX-License-Identifier: ISC

load helper
load unit/unit

TOP="$BATS_TEST_DIRNAME/.."

# Build a program from C text on stdin against unit.h, as make builds the real ones.
build_unit() {
	cat > "$BATS_TEST_TMPDIR/$1.c"
	${CC:-cc} -std=c11 -Wall -Wextra -I"$TOP/tests/unit" -o "$BATS_TEST_TMPDIR/$1" "$BATS_TEST_TMPDIR/$1.c"
}

@test "every tests/unit/*_test.c is built into build/tests/" {
	n=0
	for src in "$TOP"/tests/unit/*_test.c; do
		name=${src##*/}; name=${name%.c}
		[ -x "$CP_BIN/../build/tests/$name" ] || { echo "not built: $name"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
	run -0 grep -c '^@test' "$CP_BIN/../build/tests/programs.bats"
	[ "$output" = "$n" ]
}

@test "a failing check makes the program exit 1, naming the check and its line" {
	build_unit fails <<'EOF_C'
#include "unit.h"
int main(void) {
	CHECK(1, "one passes");
	CHECK(0, "two fails");
	CHECK_STR("a", "b", "three differs");
	CHECK_STR(NULL, NULL, "four: NULL equals NULL");
	return UNIT_END();
}
EOF_C
	run -1 "$BATS_TEST_TMPDIR/fails"
	[ "${lines[0]}" = "ok 1 - one passes" ]
	[ "${lines[1]}" = "not ok 2 - two fails (${BATS_TEST_TMPDIR}/fails.c:4)" ]
	[ "${lines[2]}" = "not ok 3 - three differs (${BATS_TEST_TMPDIR}/fails.c:5)" ]
	[ "${lines[3]}" = "#   got:  a" ]
	[ "${lines[4]}" = "#   want: b" ]
	[ "${lines[5]}" = "ok 4 - four: NULL equals NULL" ]
	[ "${lines[6]}" = "4 checks, 2 failed" ]
	run -1 unit_program "$BATS_TEST_TMPDIR/fails"
	[[ "$output" == *"not ok 2 - two fails"* ]]
	[[ "$output" == *"fails: exit status 1"* ]]
}

@test "a program whose checks all pass exits 0; one with no check at all exits 1" {
	build_unit passes <<'EOF_C'
#include "unit.h"
int main(void) { CHECK(1, "passes"); return UNIT_END(); }
EOF_C
	build_unit empty <<'EOF_C'
#include "unit.h"
int main(void) { return UNIT_END(); }
EOF_C
	run -0 "$BATS_TEST_TMPDIR/passes"
	[ "$output" = $'ok 1 - passes\n1 checks, 0 failed' ]
	unit_program "$BATS_TEST_TMPDIR/passes"
	run -1 "$BATS_TEST_TMPDIR/empty"
	[ "$output" = "0 checks, 0 failed" ]
}

@test "a program that crashes fails, named as a crash with its output shown" {
	build_unit crashes <<'EOF_C'
#include <signal.h>
#include "unit.h"
int main(void) { CHECK(1, "before the crash"); fflush(stdout); raise(SIGSEGV); return UNIT_END(); }
EOF_C
	run -1 unit_program "$BATS_TEST_TMPDIR/crashes"
	[[ "$output" == *"ok 1 - before the crash"* ]]
	[[ "$output" == *"crashes: crashed (signal 11)"* ]]
}
