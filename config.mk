# config.mk: what packagers and users set. Everything here may be overridden
# on the command line or in the environment.
# SPDX-License-Identifier: ISC

# The one version: --version prints it, make dist names the tarball after it
# (and refuses one that NEWS does not describe), controlplane.pc carries it.
VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions

CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=

PKG_CONFIG ?= pkg-config
INSTALL ?= install
BATS ?= bats
