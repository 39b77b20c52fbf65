# mk/check.mk: the test suites (bats, against bin/) and the benchmarks.
#
#   make check                 every suite; ends with "N passed, N failed"
#   make check SANITIZE=1      the same, built with AddressSanitizer + UBSan
#   make check TESTS=tests/cp-hash.bats   one suite
#   make check TESTS=tests/unit.bats      the C unit tests of lib/ (tests/unit/*_test.c)
#   make bench                 every benchmark in bench/ (slow; not a test): one table
#                              of targets at the end, also written to bench/RESULTS.md
#   make bench BENCH=startup   one of them (bench/NAME.sh)
# SPDX-License-Identifier: ISC

TESTS ?= $(sort $(wildcard tests/*.bats))

# C unit tests: tests/unit/<module>_test.c is one program, built into
# build/tests/ with the programs' flags (SANITIZE=1 too) and linked with
# libcp.  tests/unit.bats tests the harness; the programs run from
# build/tests/programs.bats, written here with one test per program (bats
# 1.8 cannot add tests at run time), and run whenever tests/unit.bats is.
UNIT_SRC := $(sort $(wildcard tests/unit/*_test.c))
UNIT_PROGS := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
UNIT_BATS := $(if $(filter tests/unit.bats,$(TESTS)),build/tests/programs.bats)

build/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/zgzip.h build/libcp.a build/flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< build/libcp.a $(CP_PKG_LIBS) $(LDLIBS)

build/tests/programs.bats: build/flags $(UNIT_SRC) mk/check.mk
	@mkdir -p $(@D)
	@{ echo '# Written by mk/check.mk: one test per tests/unit/*_test.c.'; \
	  echo 'load ../../tests/unit/unit'; \
	  for p in $(UNIT_PROGS:build/tests/%=%); do \
	    printf '@test "%s" {\n\tunit_program "$$BATS_TEST_DIRNAME/%s"\n}\n' $$p $$p; \
	  done; } > $@

# Under the sanitizers any report aborts (status 134, never mistaken for 0, 1 or 2).
check: export ASAN_OPTIONS = abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
check: export UBSAN_OPTIONS = abort_on_error=1:halt_on_error=1:print_stacktrace=1

check: all $(UNIT_PROGS) $(UNIT_BATS)
	@CC='$(CC)' CP_TOP=$(CURDIR) CP_BIN=$(CURDIR)/bin BATS=$(BATS) tests/run.sh $(TESTS) $(UNIT_BATS)

# Each benchmark prints its figures and adds its targets' rows (bench_row,
# bench/lib.sh) to one table, printed at the end and written with the
# machine, date and load to bench/RESULTS.md.  BENCH=cp-tar runs one.
BENCH_SCRIPTS = $(filter-out bench/lib.sh bench/table.sh,$(sort $(wildcard bench/*.sh)))
bench: all
	@set -e; t='$(CURDIR)/build/bench/table.tsv'; mkdir -p build/bench; : > "$$t"; \
	  load=$$(cut -d' ' -f1-3 /proc/loadavg); \
	  for b in $(if $(BENCH),$(BENCH:%=bench/%.sh),$(BENCH_SCRIPTS)); do \
	  echo "== $$b"; BENCH_TABLE="$$t" CP_BIN='$(CURDIR)/bin' bash $$b; done; \
	  CP_BIN='$(CURDIR)/bin' bash bench/table.sh "$$t" "$$load" bench/RESULTS.md

.PHONY: check bench
