# mk/check.mk: the test suites (bats, against bin/) and the benchmarks.
#
#   make check                 every suite; ends with "N passed, N failed"
#   make check SANITIZE=1      the same, built with AddressSanitizer + UBSan
#   make check TESTS=tests/cp-hash.bats   one suite
#   make bench                 every benchmark in bench/ (slow; not a test)

TESTS ?= $(sort $(wildcard tests/*.bats))

# Under the sanitizers any report aborts (status 134, never mistaken for 0, 1 or 2).
check: export ASAN_OPTIONS = abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
check: export UBSAN_OPTIONS = abort_on_error=1:halt_on_error=1:print_stacktrace=1

check: all
	@CP_BIN=$(CURDIR)/bin BATS=$(BATS) tests/run.sh $(TESTS)

bench: all
	@set -e; for b in $(sort $(wildcard bench/*.sh)); do \
	  echo "== $$b"; CP_BIN=$(CURDIR)/bin bash $$b; done

.PHONY: check bench
