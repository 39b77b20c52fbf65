# mk/fuzz.mk: the libFuzzer harnesses of tests/fuzz/ (one per parser of outside input).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ=csv conf ...]   build, then fuzz each harness for N
#                              seconds in turn; fails on the first crash, leak or UB report
#   make fuzz-build            build them only (tests/fuzz.bats does, then replays the corpora)
#   make fuzz-merge FUZZ=name  minimise tests/fuzz/corpus/NAME with what fuzzing found
#
# The library is built again with clang and -fsanitize=fuzzer-no-link,address,undefined
# into build/fuzz/ (never build/lib or bin/).  New inputs go to build/fuzz/corpus/NAME,
# crash inputs to build/fuzz/crashes/; the committed seeds in tests/fuzz/corpus/NAME are
# read, never written (`make fuzz-merge` is the one way to add to them; it keeps every
# regress-* file, the findings' inputs, whatever coverage they add).
# SPDX-License-Identifier: ISC

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -O1 -g $(FUZZ_SAN) $(CP_CFLAGS) -Wno-unused-command-line-argument

FUZZ_NAMES_ALL := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ ?= $(FUZZ_NAMES_ALL)
FUZZ_BINS := $(FUZZ_NAMES_ALL:%=build/fuzz/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=build/fuzz/lib/%.o)

# A change of compiler or flags rebuilds the fuzz build (build/fuzz/flags records the last set).
FUZZ_FLAGS_NOW := $(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) $(CP_PKG_LIBS)
ifneq ($(FUZZ_FLAGS_NOW),$(file <build/fuzz/flags))
$(shell mkdir -p build/fuzz)
$(file >build/fuzz/flags,$(FUZZ_FLAGS_NOW))
endif

build/fuzz/lib/%.o: lib/%.c build/fuzz/flags | build/deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/libcp.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

# fuzz_jws reads the committed JWKS from this tree (a path, never a copy that could drift).
build/fuzz/fuzz_jws: FUZZ_DEFS = -DFUZZ_JWKS='"$(CURDIR)/tests/data/cp-authz-oidc/jwks.json"'

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/libcp.a build/fuzz/flags
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_DEFS) -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP \
	    -o $@ $< build/fuzz/libcp.a $(CP_PKG_LIBS) -pthread

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:=.d)

fuzz-build: $(FUZZ_BINS)

# Each harness in turn, its own new inputs kept apart from the committed seeds.
fuzz: export ASAN_OPTIONS = detect_leaks=1:allocator_may_return_null=1
fuzz: fuzz-build
	@set -e; mkdir -p build/fuzz/crashes; for f in $(FUZZ); do \
	  mkdir -p build/fuzz/corpus/$$f; \
	  echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
	  build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crashes/$$f- \
	    build/fuzz/corpus/$$f tests/fuzz/corpus/$$f || { \
	    echo "fuzz_$$f failed: its input is in build/fuzz/crashes/" >&2; exit 1; }; \
	done

fuzz-merge: fuzz-build
	@set -e; for f in $(FUZZ); do \
	  mkdir -p build/fuzz/corpus/$$f tests/fuzz/corpus/$$f build/fuzz/merge; \
	  rm -rf build/fuzz/merge/$$f; mkdir build/fuzz/merge/$$f; \
	  build/fuzz/fuzz_$$f -merge=1 build/fuzz/merge/$$f \
	    tests/fuzz/corpus/$$f build/fuzz/corpus/$$f; \
	  find tests/fuzz/corpus/$$f -type f ! -name 'regress-*' -delete; \
	  cp build/fuzz/merge/$$f/* tests/fuzz/corpus/$$f/; \
	done

.PHONY: fuzz fuzz-build fuzz-merge
