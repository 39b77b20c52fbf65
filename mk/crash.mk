# mk/crash.mk: kill trials (issue 21).  Every writer of the toolkit is
# SIGKILLed at random moments on scratch copies of its state; after each
# kill the next ordinary run must recover and the invariants hold: the
# ledger verifies (a torn tail is reported, then repaired, never kept), a
# registry parses and holds its bytes from before or after the step, no
# temporary or staging file is left (.cp/stage/*, .cp/journal, .cp-tar-*,
# .NAME.cp-tmp.PID.HEX, *.tmp), each change is ledgered exactly once, the plane
# is as healthy as the state it is in.  The work is tests/crash/trials.sh
# (its header says how, and how to replay a trial from its seed and moment).
#
#   make crash-trials                     TRIALS (default 3) of each operation
#   make crash-trials TRIALS=100 SEED=42  more, from a fixed seed
#   make crash-trials KILL=syscall        the moment: delay, syscall, both
#   make crash-trials CRASH_OPS="regrow tar-x"   some operations only
#
# Prints a table per operation (trials; killed before anything changed,
# during, after the step ended; recovered; invariant failures) and fails
# when any invariant failed.  CPU-bound: it runs under nice -n 10.
# SPDX-License-Identifier: ISC

TRIALS ?= 3
SEED ?=
KILL ?= both
CRASH_OPS ?=
# Taken literally and passed through the environment, never as shell text.
override TRIALS := $(value TRIALS)
override SEED := $(value SEED)
override KILL := $(value KILL)
override CRASH_OPS := $(value CRASH_OPS)

crash-trials: export CP_CRASH_TRIALS = $(TRIALS)
crash-trials: export CP_CRASH_SEED = $(SEED)
crash-trials: export CP_CRASH_KILL = $(KILL)
crash-trials: export CP_CRASH_OPS = $(CRASH_OPS)
crash-trials: all
	@CP_TOP='$(CURDIR)' CP_BIN='$(CURDIR)/bin' nice -n 10 bash tests/crash/trials.sh \
	  -n "$$CP_CRASH_TRIALS" -k "$$CP_CRASH_KILL" $${CP_CRASH_SEED:+-s "$$CP_CRASH_SEED"} $$CP_CRASH_OPS

.PHONY: crash-trials
