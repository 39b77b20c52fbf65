# mk/toolkit.mk: build libcp (lib/<layer>/*.c, static) and the programs (src/cp-*.c),
# install and uninstall them with their man pages.
#
# Flags the build always needs live in CP_*; the user's CC, CFLAGS, CPPFLAGS
# and LDFLAGS come after them and are never overridden.  SANITIZE=1 adds
# AddressSanitizer and UBSan.  A change of flags rebuilds everything
# (build/flags records the last set).

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
ifneq ($(CP_FLAGS_NOW),$(file <build/flags))
$(shell mkdir -p build)
$(file >build/flags,$(CP_FLAGS_NOW))
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

install-toolkit: all
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

uninstall-toolkit:
	rm -f $(PROGS:bin/%=$(DESTDIR)$(BINDIR)/%)
	@set -e; for page in $(MAN_PAGES); do \
	  sec=$${page##*.}; name=$${page##*/}; \
	  echo "rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$name"; \
	  rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$name; \
	done
	rm -f $(DESTDIR)$(DATADIR)/cp/plane.mk $(DESTDIR)$(DATADIR)/cp/plane.sh $(DESTDIR)$(DATADIR)/cp/integrity.sh
	-rmdir $(DESTDIR)$(DATADIR)/cp 2>/dev/null

uninstall: uninstall-toolkit

clean:
	rm -rf bin build

.PHONY: all install uninstall install-toolkit uninstall-toolkit clean
.DELETE_ON_ERROR:
