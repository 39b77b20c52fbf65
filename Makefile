# Control Plane v2 in C: the toolkit build and the plane targets.
# The work is done by the fragments in mk/; this file only puts them together.
# The repository is itself an example plane: `make integrity` checks it.
# SPDX-License-Identifier: ISC

# No built-in rules: the plane targets may name thousands of files.
MAKEFLAGS += -r
CP_PKG_ORIGIN := $(origin PKG)

include config.mk
include mk/toolkit.mk
include mk/check.mk
include mk/fuzz.mk
include mk/crash.mk

CP_TOOLKIT := 1
CP_ROOT := $(CURDIR)
CP_BIN := $(CURDIR)/bin
CP_TOOLS := all
include mk/plane.mk
include mk/demo.mk

# `make install` installs the toolkit; `make install PKG=ID` a package.  PKG
# on the command line, even empty as in `make install PKG=`, means a package:
# a typo must never install the toolkit.  From the environment only a
# non-empty PKG does (mk/plane.mk exports PKG, empty too, to every recipe).
# mk/plane.mk redefines PKG, so its origin is taken first.
ifeq ($(CP_PKG_ORIGIN),command line)
install: plane-install
else ifneq ($(strip $(PKG)),)
install: plane-install
else
install: install-toolkit
endif

help: plane-help
	@echo 'Toolkit targets:'
	@echo '  make [all]                      build bin/cp-* (CFLAGS, SANITIZE=1)'
	@echo '  make check [TESTS=...]          run the bats suites (SANITIZE=1: under ASan/UBSan)'
	@echo '  make fuzz [FUZZ_SECONDS=60]       fuzz each parser (tests/fuzz/, clang libFuzzer)'
	@echo '  make bench                      run the benchmarks in bench/'
	@echo '  make crash-trials [TRIALS=N]    SIGKILL every writer at random moments; check recovery'
	@echo '  make demo                       the main job on a scratch copy of the example plane'
	@echo '  make install [DESTDIR= PREFIX=] install the programs, man pages, plane.mk, completions,'
	@echo '                                  libcontrolplane.a, its headers and controlplane.pc'
	@echo '  make dist                       controlplane-VERSION.tar.gz of the tracked files (cp-tar)'
	@echo '  make uninstall | clean'

.DEFAULT_GOAL := all
.PHONY: help
