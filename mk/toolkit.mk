# mk/toolkit.mk: build libcp (lib/<layer>/*.c, static) and the programs (src/cp-*.c),
# install and uninstall them with their man pages, the gate API (libcontrolplane.a,
# its headers, controlplane.pc) and the bash completions; make the source tarball.
#
# Flags the build always needs live in CP_*; the user's CC, CFLAGS, CPPFLAGS
# and LDFLAGS come after them and are never overridden.  SANITIZE=1 adds
# AddressSanitizer and UBSan.  A change of flags rebuilds everything
# (build/flags records the last set) -- except in install and uninstall,
# which install the build that is there: `make CC=clang CFLAGS=-O1` then a
# plain `make install` installs the clang build, never a rebuild with the
# defaults.
# SPDX-License-Identifier: ISC

CP_PKGS = libarchive libcrypto zlib jansson yajl cjose
CP_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CP_PKGS) 2>/dev/null)
CP_PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(CP_PKGS) 2>/dev/null)

CP_WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings
CP_CPPFLAGS = -Ilib -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DCP_VERSION=\"$(VERSION)\"
CP_CFLAGS = -std=c11 -pthread $(CP_WARN)
ifeq ($(SANITIZE),1)
CP_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
endif

ALL_CPPFLAGS = $(CP_CPPFLAGS) $(CP_PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(CP_CFLAGS) $(CP_SAN) $(CFLAGS)
ALL_LDFLAGS = -pthread $(CP_SAN) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:lib/%.c=build/lib/%.o)
PROG_SRC := $(sort $(wildcard src/cp-*.c))
PROGS := $(PROG_SRC:src/%.c=bin/%)
MAN_PAGES := $(sort $(wildcard man/*.[1-8]))

CP_FLAGS_NOW := $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(CP_PKG_LIBS) $(LDLIBS)
# Goals that use what is built (install it, pack the sources with its
# cp-tar): they keep the recorded flags (a first build still records its own).
CP_KEEP_GOALS = install install-toolkit uninstall uninstall-toolkit dist
CP_KEEP_FLAGS := $(if $(filter-out $(CP_KEEP_GOALS),$(or $(MAKECMDGOALS),all)),,$(wildcard build/flags))
ifneq ($(CP_FLAGS_NOW),$(file <build/flags))
ifeq ($(CP_KEEP_FLAGS),)
$(shell mkdir -p build)
$(file >build/flags,$(CP_FLAGS_NOW))
endif
endif

all: build/deps-ok $(PROGS)

# A missing -dev package is named once, before a wall of compiler errors.
build/deps-ok:
	@$(PKG_CONFIG) --exists --print-errors $(CP_PKGS) || { \
	  echo "missing build dependencies: run 'bash ci/deps.sh'" >&2; exit 2; }
	@mkdir -p build && touch $@

build/lib/%.o: lib/%.c build/flags | build/deps-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/src/%.o: src/%.c build/flags | build/deps-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/libcp.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

bin/%: build/src/%.o build/libcp.a
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< build/libcp.a $(CP_PKG_LIBS) $(LDLIBS)

-include $(LIB_OBJ:.o=.d) $(PROG_SRC:src/%.c=build/src/%.d)

# The programs' objects are not intermediates to delete: a later make (or
# make install) must find them built, not rebuild them.
.SECONDARY: $(PROG_SRC:src/%.c=build/src/%.o)

# The gate API's headers: plane/gate.h and everything it includes from lib/,
# installed as include/controlplane/<layer>/<name>.h so its own
# "layer/name.h" includes resolve with -I$(INCLUDEDIR)/controlplane.
CP_API_HEADERS = $(sort $(filter lib/%.h,$(shell printf '\043include "plane/gate.h"\n' | \
	$(CC) $(CP_CPPFLAGS) -MM -x c - 2>/dev/null)))

install-toolkit: all build/libcp.a
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	@set -e; for page in $(MAN_PAGES); do \
	  sec=$${page##*.}; \
	  echo "$(INSTALL) -m 644 $$page $(DESTDIR)$(MANDIR)/man$$sec/"; \
	  $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$sec; \
	  $(INSTALL) -m 644 $$page $(DESTDIR)$(MANDIR)/man$$sec/; \
	done
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/cp
	sed 's|^CP_BIN ?=.*|CP_BIN ?= $(BINDIR)|' mk/plane.mk > $(DESTDIR)$(DATADIR)/cp/plane.mk
	chmod 644 $(DESTDIR)$(DATADIR)/cp/plane.mk
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 build/libcp.a $(DESTDIR)$(LIBDIR)/libcontrolplane.a
	@set -e; for h in $(CP_API_HEADERS); do \
	  d=$(DESTDIR)$(INCLUDEDIR)/controlplane/$${h#lib/}; \
	  echo "$(INSTALL) -m 644 $$h $$d"; \
	  $(INSTALL) -d "$${d%/*}"; \
	  $(INSTALL) -m 644 $$h "$$d"; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	  -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@REQUIRES@|$(CP_PKGS)|' controlplane.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/controlplane.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/controlplane.pc
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 644 completions/cp.bash $(DESTDIR)$(BASHCOMPDIR)/cp-plane
	@set -e; for p in $(filter-out cp-plane,$(PROGS:bin/%=%)); do \
	  echo "ln -sf cp-plane $(DESTDIR)$(BASHCOMPDIR)/$$p"; \
	  ln -sf cp-plane $(DESTDIR)$(BASHCOMPDIR)/$$p; \
	done

uninstall-toolkit:
	rm -f $(PROGS:bin/%=$(DESTDIR)$(BINDIR)/%)
	@set -e; for page in $(MAN_PAGES); do \
	  sec=$${page##*.}; name=$${page##*/}; \
	  echo "rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$name"; \
	  rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$name; \
	done
	rm -f $(DESTDIR)$(DATADIR)/cp/plane.mk $(DESTDIR)$(DATADIR)/cp/plane.sh $(DESTDIR)$(DATADIR)/cp/integrity.sh
	-rmdir $(DESTDIR)$(DATADIR)/cp 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libcontrolplane.a $(DESTDIR)$(PKGCONFIGDIR)/controlplane.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/controlplane
	rm -f $(PROGS:bin/%=$(DESTDIR)$(BASHCOMPDIR)/%)

uninstall: uninstall-toolkit

# make dist: $(DISTFILE), reproducible (mk/dist.sh says how).
DISTFILE ?= controlplane-$(VERSION).tar.gz
dist: bin/cp-tar
	@PATH="$(CURDIR)/bin:$$PATH" sh mk/dist.sh '$(VERSION)' '$(DISTFILE)'

clean:
	rm -rf bin build

.PHONY: all install uninstall install-toolkit uninstall-toolkit clean dist
.DELETE_ON_ERROR:
