# config.mk: what packagers and users set. Everything here may be overridden
# on the command line or in the environment.

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share

CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=

PKG_CONFIG ?= pkg-config
INSTALL ?= install
BATS ?= bats
