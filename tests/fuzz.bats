#!/usr/bin/env bats
# The libFuzzer harnesses of tests/fuzz/ (mk/fuzz.mk): they build with clang in
# build/fuzz/, and each replays its committed corpus (tests/fuzz/corpus/NAME,
# regressions included) with no new fuzzing.  A crash, a leak, UB or a
# harness's own check failing fails its test.
# SPDX-License-Identifier: ISC

load helper

TOP="$BATS_TEST_DIRNAME/.."

setup_file() {
	command -v "${FUZZ_CC:-clang}" >/dev/null || return 0
	# Built once for the file; the output is kept for the test that says so.
	make -C "$BATS_TEST_DIRNAME/.." fuzz-build > "$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		echo failed > "$BATS_FILE_TMPDIR/build.failed"
}

setup() {
	command -v "${FUZZ_CC:-clang}" >/dev/null ||
		skip "clang is missing (bash ci/deps.sh installs it): the fuzz harnesses cannot build"
	export TMPDIR=$BATS_TEST_TMPDIR
	export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
}

# replay NAME [HARNESS]: run the harness once over each file of its corpus.
replay() {
	local h=${2:-$TOP/build/fuzz/fuzz_$1} dir=$TOP/tests/fuzz/corpus/$1
	[ -x "$h" ]
	[ -d "$dir" ]
	run --separate-stderr "$h" -timeout=30 "$dir"/*
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$stderr" | grep -v '^Running:\|^Executed' | tail -40
		return 1
	fi
	# It ran them all: one "Executed" line per file.
	[ "$(printf '%s\n' "$stderr" | grep -c '^Executed ')" -eq "$(ls "$dir" | wc -l)" ]
}

@test "fuzz: the harnesses build with clang (make fuzz-build)" {
	if [ -e "$BATS_FILE_TMPDIR/build.failed" ]; then
		tail -30 "$BATS_FILE_TMPDIR/build.log"
		false
	fi
	for f in "$TOP"/tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		[ -x "$TOP/build/fuzz/fuzz_${n%.c}" ]
	done
}

@test "fuzz: every harness has a corpus and a replay test here" {
	for f in "$TOP"/tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		n=${n%.c}
		[ -n "$(ls "$TOP/tests/fuzz/corpus/$n")" ] || { echo "no corpus for $n"; false; }
		grep -q "^@test \"fuzz: $n replays" "$BATS_TEST_FILENAME" ||
			{ echo "no replay test for $n"; false; }
	done
}

@test "fuzz: the committed corpora stay small (under 5 MB of bytes)" {
	run -0 du -sb "$TOP/tests/fuzz/corpus"
	[ "${output%%[[:space:]]*}" -lt 5000000 ]
}

@test "fuzz: a replay fails on a crashing input and on a leak" {
	printf '%s\n' '#include <stdint.h>' '#include <stdlib.h>' '#include <string.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {' \
	    '  if (n == 5 && memcmp(d, "crash", 5) == 0) abort();' \
	    '  if (n == 4 && memcmp(d, "leak", 4) == 0) { char *p = malloc(9); p[0] = 1; p = 0; }' \
	    '  return 0; }' > "$BATS_TEST_TMPDIR/t.c"
	"${FUZZ_CC:-clang}" -g -fsanitize=fuzzer,address -o "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/t.c"
	mkdir -p "$BATS_TEST_TMPDIR/c"
	printf fine > "$BATS_TEST_TMPDIR/c/a"
	run "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/c/a"
	[ "$status" -eq 0 ]
	printf crash > "$BATS_TEST_TMPDIR/c/b"
	run "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/c/a" "$BATS_TEST_TMPDIR/c/b"
	[ "$status" -ne 0 ]
	printf leak > "$BATS_TEST_TMPDIR/c/b"
	run "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/c/a" "$BATS_TEST_TMPDIR/c/b"
	[ "$status" -ne 0 ]
	[[ "$output" == *LeakSanitizer* ]]
}

@test "fuzz: csv replays its corpus" { replay csv; }
@test "fuzz: conf replays its corpus" { replay conf; }
@test "fuzz: roles replays its corpus" { replay roles; }
@test "fuzz: sumline replays its corpus" { replay sumline; }
@test "fuzz: semver replays its corpus" { replay semver; }
@test "fuzz: token replays its corpus" { replay token; }
@test "fuzz: jws replays its corpus" { replay jws; }
@test "fuzz: ledger replays its corpus" { replay ledger; }
@test "fuzz: checkpoint replays its corpus" { replay checkpoint; }
@test "fuzz: signify replays its corpus" { replay signify; }
@test "fuzz: dsse replays its corpus" { replay dsse; }
@test "fuzz: gzin replays its corpus" { replay gzin; }
@test "fuzz: tar replays its corpus" { replay tar; }
@test "fuzz: manifest replays its corpus" { replay manifest; }
@test "fuzz: receipt replays its corpus" { replay receipt; }
@test "fuzz: hashcache replays its corpus" { replay hashcache; }
@test "fuzz: istate replays its corpus" { replay istate; }
