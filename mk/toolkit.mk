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

# ISA-L's inflate for reading gzip (issue 22: igzip -dc 3 to 4 times gzip -dc);
# zlib still writes it, so packing makes the same bytes either way.  ISAL=no
# builds zlib's inflate (a distribution without ISA-L); =yes fails when
# libisal is missing instead of falling back; auto (the default) falls back.
ISAL ?= auto
ifeq ($(ISAL),yes)
CP_ISAL = libisal
else ifeq ($(ISAL),auto)
CP_ISAL := $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo libisal)
else ifneq ($(ISAL),no)
$(error ISAL=$(ISAL): say yes, no or auto)
endif

CP_PKGS = libarchive libcrypto zlib jansson yajl cjose $(CP_ISAL)
CP_PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(CP_PKGS) 2>/dev/null)
CP_PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(CP_PKGS) 2>/dev/null)

# libarchive without its weight (issue 22).  The programs use its tar reader
# and pax writer, yet the shared libarchive loads 17 libraries (libxml2, ICU,
# lzma, nettle...) on every start of cp-tar and cp-plane.  The static one is
# linked instead when it can be linked lean: build/libarchive-tar.a is
# libarchive.a without archive_write_set_format.o (the table of every writer,
# which pax's writer reaches for one error message) and with
# mk/libarchive-shim.c in its place; mk/libarchive-probe.c is linked first to
# prove it needs nothing but the toolkit's other libraries.  ARCHIVE_STATIC=no
# links the shared library (a distribution's choice); =yes fails instead of
# falling back; auto (the default) falls back.  build/archive-libs holds what
# the programs link for libarchive; the shell reads it as it links (GNU make
# 4.3's $(file <) in a long recipe line lost the rest of the line: seen
# under SANITIZE=1, whose flags make the line longer).
ARCHIVE_STATIC ?= auto
CP_LINK_LIBS := $(shell $(PKG_CONFIG) --libs $(filter-out libarchive,$(CP_PKGS)) 2>/dev/null)

# The small libraries linked in too, when their static archives link
# (issue 22): as shared libraries zlib, yajl, jansson and cjose are four more
# files to open, map and relocate before main(): an eighth of cp-sign's start
# (7.3 ms to 6.4 here, each time beside the other, median of 15 x 100 starts).
# libcrypto stays shared: it is large, and OpenSSL's security updates must
# reach the programs without a rebuild; ISA-L ships no static archive.
# LIBS_STATIC=no links them all shared (a distribution's choice, with
# ARCHIVE_STATIC=no); =yes fails instead of falling back; auto (the default)
# falls back.  build/small-libs holds what the programs link for them.
LIBS_STATIC ?= auto
ifneq ($(filter-out auto yes no,$(LIBS_STATIC)),)
$(error LIBS_STATIC=$(LIBS_STATIC): say yes, no or auto)
endif
CP_SMALL_PKGS = cjose jansson yajl zlib
# in link order (cjose needs jansson); Debian names yajl's static archive libyajl_s.a
CP_SMALL_A := $(foreach p,cjose:libcjose jansson:libjansson yajl:libyajl_s zlib:libz,$(shell \
	$(PKG_CONFIG) --variable=libdir $(word 1,$(subst :, ,$p)) 2>/dev/null)/$(word 2,$(subst :, ,$p)).a)
CP_SMALL_SHARED := $(shell $(PKG_CONFIG) --libs $(CP_SMALL_PKGS) 2>/dev/null)
CP_REST_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto $(CP_ISAL) 2>/dev/null)
# libcrypto first among a program's libraries (issue 22): it is bound at load
# (BIND_NOW), some 4,000 symbol lookups a start, and each lookup tries the
# libraries ahead of it in the loader's search order first.  Named first, a
# lookup tries the program and then finds it: a sixth fewer instructions in
# the start of cp-plane.
CP_CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null)
CP_ARCHIVE_SHARED := $(shell $(PKG_CONFIG) --libs libarchive 2>/dev/null)
CP_ARCHIVE_A := $(shell $(PKG_CONFIG) --variable=libdir libarchive 2>/dev/null)/libarchive.a

CP_WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings
CP_CPPFLAGS = -Ilib -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DCP_VERSION=\"$(VERSION)\" $(if $(CP_ISAL),-DCP_HAVE_ISAL)
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

CP_FLAGS_NOW := $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(CP_PKG_LIBS) $(LDLIBS) \
	ARCHIVE_STATIC=$(ARCHIVE_STATIC) LIBS_STATIC=$(LIBS_STATIC) ISAL=$(ISAL):$(CP_ISAL)
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

# A missing -dev package is named once, before a wall of compiler errors;
# checked again when the flags change (ISAL=yes may want one more).
build/deps-ok: build/flags
	@$(PKG_CONFIG) --exists --print-errors $(CP_PKGS) || { \
	  echo "missing build dependencies: run 'bash ci/deps.sh'$(if $(filter yes,$(ISAL)), (ISAL=yes needs libisal-dev))" >&2; exit 2; }
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

build/archive-libs: build/flags mk/libarchive-shim.c mk/libarchive-probe.c | build/deps-ok
	@rm -f $@ build/libarchive-tar.a build/libarchive-tar.a.tmp
	@if [ "$(ARCHIVE_STATIC)" != no ] && [ -f "$(CP_ARCHIVE_A)" ] && \
	  $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o build/libarchive-shim.o mk/libarchive-shim.c && \
	  cp "$(CP_ARCHIVE_A)" build/libarchive-tar.a.tmp && \
	  $(AR) d build/libarchive-tar.a.tmp archive_write_set_format.o && \
	  $(AR) rs build/libarchive-tar.a.tmp build/libarchive-shim.o && \
	  $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o build/libarchive-probe \
	    mk/libarchive-probe.c build/libarchive-tar.a.tmp $(CP_LINK_LIBS) $(LDLIBS) \
	    > build/libarchive-probe.log 2>&1; then \
	  mv build/libarchive-tar.a.tmp build/libarchive-tar.a; \
	  echo build/libarchive-tar.a > $@; \
	elif [ "$(ARCHIVE_STATIC)" = yes ]; then \
	  echo "ARCHIVE_STATIC=yes: the static libarchive cannot be linked lean (build/libarchive-probe.log)" >&2; \
	  exit 2; \
	else \
	  rm -f build/libarchive-tar.a.tmp; echo '$(CP_ARCHIVE_SHARED)' > $@; \
	fi

build/small-libs: build/flags mk/libs-probe.c | build/deps-ok
	@rm -f $@
	@if [ "$(LIBS_STATIC)" != no ] && ls $(CP_SMALL_A) > /dev/null 2>&1 && \
	  $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o build/libs-probe mk/libs-probe.c \
	    $(CP_SMALL_A) $(CP_REST_LIBS) $(LDLIBS) > build/libs-probe.log 2>&1; then \
	  echo '$(CP_SMALL_A)' > $@; \
	elif [ "$(LIBS_STATIC)" = yes ]; then \
	  echo "LIBS_STATIC=yes: the static zlib, yajl, jansson or cjose cannot be linked (build/libs-probe.log)" >&2; \
	  exit 2; \
	else \
	  echo '$(CP_SMALL_SHARED)' > $@; \
	fi

bin/%: build/src/%.o build/libcp.a build/archive-libs build/small-libs
	@mkdir -p bin
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< build/libcp.a $(CP_CRYPTO_LIBS) \
	  $$(cat build/archive-libs) $$(cat build/small-libs) $(CP_REST_LIBS) $(LDLIBS)

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
