#!/usr/bin/env bats
# What a packager needs: make dist (reproducible, packed by cp-tar, builds and
# passes its tests elsewhere), make install (the build that is there, never a
# rebuild with other flags; the gate API as a static library with its headers
# and controlplane.pc; man pages; bash completions), the footgun of
# `make install PKG=`.  Answers from git ls-files, GNU tar, sha256sum,
# pkg-config, cc and bash itself.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# make without the outer make's settings (TESTS, SANITIZE, -j) leaking in.
mk() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u SANITIZE -u TESTS make --no-print-directory "$@"
}

setup_file() {
	git -C "$REPO" rev-parse --git-dir > /dev/null 2>&1 || return 0
	W=$BATS_FILE_TMPDIR
	mk -C "$REPO" -s dist DISTFILE="$W/a.tar.gz" > /dev/null
	sleep 1	# a second run, later: the bytes must not depend on when
	mk -C "$REPO" -s dist DISTFILE="$W/b.tar.gz" > /dev/null
	mkdir "$W/x"
	cp-tar -x "$W/x" -f "$W/a.tar.gz" > /dev/null
	# Built with flags other than the defaults: make install must install this build.
	(cd "$W/x"/controlplane-* && mk -j2 CFLAGS='-O1 -g' > "$W/build.log" 2>&1)
}

setup() {
	git -C "$REPO" rev-parse --git-dir > /dev/null 2>&1 ||
		skip "make dist needs a git checkout (this is one unpacked from the tarball)"
	W=$BATS_FILE_TMPDIR
	V=$("$REPO/bin/cp-hash" --version | awk '{ print $NF }')
	T=$W/x/controlplane-$V
	cd "$BATS_TEST_TMPDIR"
}

@test "make dist: the same bytes twice; the files git tracks under controlplane-VERSION/, as they are" {
	cmp "$W/a.tar.gz" "$W/b.tar.gz"
	# GNU tar reads it; the names are git's, under the versioned directory
	tar -tzf "$W/a.tar.gz" | grep -v '/$' | LC_ALL=C sort > names
	git -C "$REPO" ls-files | sed "s|^|controlplane-$V/|" | LC_ALL=C sort | cmp - names
	# every file's bytes, and the executable bits git records
	git -C "$REPO" ls-files -s | awk '{ print $1, $4 }' | while read -r mode f; do
		cmp "$REPO/$f" "$T/$f"
		if [ "$mode" = 100755 ]; then [ -x "$T/$f" ]; else [ ! -x "$T/$f" ]; fi
	done
	# the version: --version's, NEWS's newest entry, the tarball's name, controlplane.pc's
	[ "$(sed -n '/^[0-9]/{p;q}' "$T/NEWS" | awk '{ print $1 }')" = "$V" ]
	grep -q "^VERSION = $V\$" "$T/config.mk"
	[ -f "$T/LICENSE" ] && grep -q '^Copyright (c) 2026 the Control Plane v2 in C authors$' "$T/LICENSE"
	# every entry's time is the last commit's
	[ "$(tar --full-time -tvzf "$W/a.tar.gz" | awk '{ print $4, $5 }' | sort -u | wc -l)" -eq 1 ]
	[ "$(tar --utc --full-time -tvzf "$W/a.tar.gz" | awk 'NR == 1 { print $4 "T" $5 }')" = \
		"$(TZ=UTC0 git -C "$REPO" log -1 --date=format-local:%Y-%m-%dT%H:%M:%S --format=%cd)" ]
}

@test "make dist refuses a VERSION that NEWS does not describe, and keeps the build's flags" {
	# mk/dist.sh directly: a VERSION on make's command line would be a change of flags
	run -2 bash -c 'cd "$1" && sh mk/dist.sh 99.0.0 "$2"' _ "$REPO" "$BATS_TEST_TMPDIR/c.tar.gz"
	[ "$output" = "make dist: NEWS has no entry for 99.0.0" ]
	[ ! -e c.tar.gz ]
	# make dist with other flags than the build's packs with the build that is there
	before=$(cat "$REPO/build/flags")
	run -0 mk -C "$REPO" -n dist CFLAGS=-O0 DISTFILE="$BATS_TEST_TMPDIR/c.tar.gz"
	[[ $output != *"cc "* ]]
	[ "$(cat "$REPO/build/flags")" = "$before" ]
}

@test "the tarball builds elsewhere and passes make check (tests/cp-hash.bats)" {
	[ -x "$T/bin/cp-hash" ] || { cat "$W/build.log"; false; }
	# bats of the outer run must not leak into the inner one
	# shellcheck disable=SC2046
	# (the outer bats puts its libexec first on PATH: the inner must find /usr/bin/bats)
	inner=$(tr ':' '\n' <<< "$PATH" | grep -v '/bats-core$' | paste -sd:)
	run env -i PATH="$inner" HOME="$HOME" LC_ALL=C \
		make --no-print-directory -C "$T" check TESTS=tests/cp-hash.bats CFLAGS='-O1 -g'
	echo "$output" | tail -n 30
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} =~ ^[1-9][0-9]*\ passed,\ 0\ failed(,\ [0-9]+\ skipped)?$ ]]	# as root, one test skips
	"$T/bin/cp-hash" --version | grep -qx "cp-hash (Control Plane v2 in C) $V"
}

@test "make install installs the build that is there: no rebuild with the default flags, objects kept" {
	grep -q -- '-O1 -g' "$T/build/flags"
	[ -f "$T/build/src/cp-hash.o" ]	# not deleted as an intermediate
	run -0 mk -C "$T" install DESTDIR="$BATS_TEST_TMPDIR/stage" PREFIX=/usr
	[[ $output != *"cc "* ]]	# nothing compiled
	grep -q -- '-O1 -g' "$T/build/flags"
	for p in "$T"/bin/cp-*; do
		cmp "$p" "$BATS_TEST_TMPDIR/stage/usr/bin/${p##*/}"
	done
	# and a second plain make install changes nothing either
	run -0 mk -C "$T" -q all CFLAGS='-O1 -g'
	run -0 mk -C "$T" uninstall DESTDIR="$BATS_TEST_TMPDIR/stage" PREFIX=/usr
	[[ $output != *"cc "* ]]
	[ -z "$(find "$BATS_TEST_TMPDIR/stage" -type f)" ]
}

@test "make install PKG=... (even empty; or a package id in the environment) never installs the toolkit" {
	run -0 mk -C "$T" -n install DESTDIR=/nowhere
	[[ $output == *"install -m 755"* ]]
	for args in "PKG=" "PKG=PKG-FMWK-100"; do
		run mk -C "$T" -n install "$args" DESTDIR=/nowhere
		[[ $output == *"cp-plane"*install* ]]
		[[ $output != *"install -m 755"* && $output != *"/nowhere"* ]]
	done
	PKG=PKG-FMWK-100 run mk -C "$T" -n install DESTDIR=/nowhere
	[[ $output != *"install -m 755"* ]]
	# an empty PKG in the environment (mk/plane.mk exports one to every recipe) is no package
	PKG= run mk -C "$T" -n install DESTDIR=/nowhere
	[[ $output == *"install -m 755"* ]]
	# for real: refused by cp-plane (no package named), nothing installed anywhere
	run mk -C "$T" install PKG= DESTDIR="$BATS_TEST_TMPDIR/foot" PREFIX=/usr
	[ "$status" -ne 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/foot" ]
}

@test "a staged install: a C program built with pkg-config against libcontrolplane.a and the gate's headers runs" {
	S=$BATS_TEST_TMPDIR/stage
	mk -C "$T" install DESTDIR="$S" PREFIX=/usr > /dev/null
	[ -f "$S/usr/lib/libcontrolplane.a" ] && [ -f "$S/usr/include/controlplane/plane/gate.h" ]
	[ -f "$S/usr/share/man/man3/cp_gate.3" ] && [ -f "$S/usr/share/man/man1/cp-tar.1" ]
	mandoc -Tlint -Wwarning "$S/usr/share/man/man3/cp_gate.3"
	cat > prog.c <<'PROG'
#include <stdio.h>
#include <plane/gate.h>

int
main(int argc, char *argv[])
{
	struct cp_gate *g = NULL;
	struct cp_gate_opts o = { .token = "nobody:00" };
	struct cp_err e;

	(void)argc;
	if (cp_gate_open(&g, argv[1], &o, NULL, &e) == -1) {
		printf("refused: %s\n", e.msg);
		return 1;
	}
	cp_gate_close(g);
	printf("opened\n");
	return 0;
}
PROG
	export PKG_CONFIG_PATH=$S/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$S
	[ "$(pkg-config --modversion controlplane)" = "$V" ]
	[[ "$(pkg-config --cflags controlplane)" == *"-I$S/usr/include/controlplane"* ]]
	# shellcheck disable=SC2046
	cc -o prog prog.c $(pkg-config --cflags --libs controlplane)
	run -1 ./prog "$BATS_TEST_TMPDIR/no-such-plane"
	[[ $output == "refused: "*no-such-plane* ]]
	nm prog | grep -q ' T cp_gate_open$'
}

@test "bash completions: installed for every program, they load, and complete verbs, options and package ids" {
	S=$BATS_TEST_TMPDIR/stage
	mk -C "$T" install DESTDIR="$S" PREFIX=/usr > /dev/null
	C=$S/usr/share/bash-completion/completions
	for p in "$T"/bin/cp-*; do
		[ -f "$C/${p##*/}" ]
	done
	complete_words() {
		PATH="$T/bin:$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _cp_complete; echo "${COMPREPLY[*]}"' _ "$C/cp-tar" "$@"
	}
	[ "$(complete_words cp-plane ins)" = install ]
	words=" $(complete_words cp-plane re) "
	[[ $words == *" remove "* && $words == *" recover "* && $words != *" install "* ]]
	[ "$(complete_words cp-regrow -f x.csv up)" = upsert ]
	[ "$(complete_words cp-tar --prog)" = --progress ]
	[ "$(complete_words cp-hash --sta)" = "--stats --status" ]
	[ "$(complete_words cp-plane -C "$T" install PKG-FMWK-1)" = PKG-FMWK-100 ]
	[ "$(complete_words cp-regrow --kind c)" = control-plane ]
	PATH="$T/bin:$PATH" bash -c 'source "$1"; complete -p cp-hash cp-integrity' _ "$C/cp-hash" | grep -c _cp_complete | grep -qx 2
}

@test "libarchive is linked lean: cp-tar and cp-plane load none of its 17 libraries; ARCHIVE_STATIC=no|yes choose" {
	# Debian's libarchive-dev ships libarchive.a: the tarball's build linked it,
	# without the writers' table (mk/libarchive-shim.c), and no more libraries.
	[ "$(cat "$T/build/archive-libs")" = build/libarchive-tar.a ]
	for p in cp-tar cp-plane; do
		run -0 ldd "$T/bin/$p"
		# only the toolkit's own libraries and libc: no libarchive, libxml2, lzma, ICU...
		others=$(awk '{ print $1 }' <<< "$output" | grep -Ev '^(linux-vdso|libz|libisal|libcrypto|libjansson|libyajl|libcjose|libc|/lib64/ld-linux-x86-64)\.so' || true)
		[ -z "$others" ] || { echo "$p loads: $others"; false; }
	done
	# no writer but pax in it: the shim stands for the table that names them all
	run -0 nm "$T/bin/cp-tar"
	[[ $output == *archive_write_set_format_pax_restricted* && $output != *archive_write_set_format_xar* ]]
	# a packer's choice: the shared library, or fail rather than fall back
	mk -C "$T" -s ARCHIVE_STATIC=no CFLAGS='-O1 -g' build/archive-libs
	[ "$(cat "$T/build/archive-libs")" = "$(pkg-config --libs libarchive)" ]
	run -2 mk -C "$T" -s ARCHIVE_STATIC=yes CP_ARCHIVE_A=/nonexistent/libarchive.a CFLAGS='-O1 -g' build/archive-libs
	[[ $output == *"ARCHIVE_STATIC=yes: the static libarchive cannot be linked lean"* ]]
	[ ! -e "$T/build/archive-libs" ]
	run -0 mk -C "$T" -s CFLAGS='-O1 -g' build/archive-libs
	[ "$(cat "$T/build/archive-libs")" = build/libarchive-tar.a ]
}

@test "zlib, yajl, jansson and cjose are linked in; LIBS_STATIC=no|yes choose; libcrypto stays shared" {
	# Debian's -dev packages ship the static archives: the tarball's build linked them.
	[ "$(cat "$T/build/small-libs")" = "$(printf '%s/%s.a ' \
		"$(pkg-config --variable=libdir cjose)" libcjose "$(pkg-config --variable=libdir jansson)" libjansson \
		"$(pkg-config --variable=libdir yajl)" libyajl_s "$(pkg-config --variable=libdir zlib)" libz | sed 's/ $//')" ]
	n=0
	for p in "$T"/bin/cp-*; do
		run -0 ldd "$p"
		libs=$(awk '{ print $1 }' <<< "$output")
		grep -qx 'libcrypto.so.3' <<< "$libs"
		! grep -E '^lib(z|yajl|jansson|cjose)\.so' <<< "$libs" || { echo "${p##*/} loads them"; false; }
		n=$((n + 1))
	done
	[ "$n" -eq 9 ]
	# (that what is linked in works, every suite shows: bin/ is linked the same way)
	mk -C "$T" -s LIBS_STATIC=no CFLAGS='-O1 -g' build/small-libs
	[ "$(cat "$T/build/small-libs")" = "$(pkg-config --libs cjose jansson yajl zlib)" ]
	run -2 mk -C "$T" -s LIBS_STATIC=yes CP_SMALL_A=/nonexistent/libz.a CFLAGS='-O1 -g' build/small-libs
	[[ $output == *"LIBS_STATIC=yes: the static zlib, yajl, jansson or cjose cannot be linked"* ]]
	[ ! -e "$T/build/small-libs" ]
	run -2 mk -C "$T" -s LIBS_STATIC=maybe build/small-libs
	[[ $output == *"LIBS_STATIC=maybe: say yes, no or auto"* ]]
	run -0 mk -C "$T" -s CFLAGS='-O1 -g' build/small-libs
	[ "$(cat "$T/build/small-libs")" != "$(pkg-config --libs cjose jansson yajl zlib)" ]
}

@test "start-up: every program names libcrypto first among its libraries" {
	# libcrypto is bound at load (BIND_NOW): some 4,000 symbol lookups on
	# every start, each of which tries every library ahead of libcrypto in the
	# loader's search order first.  Named first, they try the program, then it.
	n=0
	for p in "$T"/bin/cp-*; do
		first=$(readelf -d "$p" | awk '/\(NEEDED\)/ { gsub(/[][]/, "", $NF); print $NF; exit }')
		[ "$first" = libcrypto.so.3 ] || { echo "${p##*/}: first is $first"; readelf -d "$p" | grep NEEDED; false; }
		n=$((n + 1))
	done
	[ "$n" -eq 9 ]
}

@test "ISA-L: auto inflates with libisal where it is; ISAL=no builds zlib's inflate; ISAL=yes fails without it" {
	pkg-config --exists libisal || skip "libisal-dev is not installed"
	run -0 nm "$T/bin/cp-tar"
	[[ $output == *" U isal_inflate"* ]]
	grep -q 'ISAL=auto:libisal' "$T/build/flags"
	mk -C "$T" -s ISAL=no CFLAGS='-O1 -g' build/lib/tar/gzin.o
	run -0 nm "$T/build/lib/tar/gzin.o"
	[[ $output != *isal_inflate* && $output == *" U inflate"* ]]
	# a pkg-config that knows every library but libisal
	printf '#!/bin/sh\nfor a; do [ "$a" = libisal ] && exit 1; done\nexec pkg-config "$@"\n' > nopc
	chmod +x nopc
	run -2 mk -C "$T" -s ISAL=yes PKG_CONFIG="$PWD/nopc" CFLAGS='-O1 -g' build/deps-ok
	[[ $output == *"(ISAL=yes needs libisal-dev)"* ]]
	run -2 mk -C "$T" -s ISAL=maybe build/deps-ok
	[[ $output == *"ISAL=maybe: say yes, no or auto"* ]]
	mk -C "$T" -s CFLAGS='-O1 -g' build/lib/tar/gzin.o
	run -0 nm "$T/build/lib/tar/gzin.o"
	[[ $output == *" U isal_inflate"* ]]
}
