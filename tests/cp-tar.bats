#!/usr/bin/env bats
# cp-tar: deterministic packing, listing, and extraction that no archive escapes.
# Expected answers come from Python's tarfile and gzip, GNU tar, bsdtar,
# sha256sum, cp-hash and jq; the hostile corpus from tests/cp-tar-corpus.py.
# SPDX-License-Identifier: ISC

load helper

setup_file() {
	export CORPUS="$BATS_FILE_TMPDIR/corpus" OUTSIDE="$BATS_FILE_TMPDIR/outside"
	mkdir -p "$CORPUS" "$OUTSIDE"
	echo "do not touch" > "$OUTSIDE/victim"
	python3 "$BATS_TEST_DIRNAME/cp-tar-corpus.py" "$CORPUS" "$OUTSIDE"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# DEST alone in ROOT: bats keeps its own files in BATS_TEST_TMPDIR.
	ROOT="$BATS_TEST_TMPDIR/root" DEST="$BATS_TEST_TMPDIR/root/plane"
	mkdir -p "$DEST/frameworks"
	echo "installed earlier" > "$DEST/frameworks/existing.md"
}

# A small package tree: nested directories, an executable, an empty file,
# a long name and a non-ASCII name.
make_tree() {
	mkdir -p "$1/frameworks/sub" "$1/specs" "$1/emptydir"
	printf 'alpha\n' > "$1/frameworks/FMWK-100_agent_development_standard.md"
	printf 'beta\n' > "$1/frameworks/sub/b.md"
	head -c 300000 /dev/urandom > "$1/specs/blob.bin"
	printf '#!/bin/sh\necho hi\n' > "$1/specs/run.sh"
	chmod 755 "$1/specs/run.sh"
	printf 'u\n' > "$1/specs/ünïcødé.md"
	printf 'long\n' > "$1/specs/$(printf 'n%.0s' $(seq 150)).md"
	: > "$1/frameworks/empty.md"
}

# Every member as Python's tarfile reads it: name type mode size mtime uid gid uname gname link.
pylist() {
	python3 - "$1" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t.getmembers():
        print(m.name, m.type.decode(), "%04o" % m.mode, m.size, m.mtime, m.uid, m.gid,
              repr(m.uname), repr(m.gname), m.linkname, sep="\t")
EOF
}

# sha256sum lines of every file under a directory, in bytewise path order.
sums_of() {
	(cd "$1" && find . -type f ! -name '.cp-tar-*' | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do sha256sum "$f"; done)
}

# refused ARCHIVE MESSAGE [OPTIONS...]: exit 2 naming the entry, no receipt,
# and nothing changed in the destination, around it, or in OUTSIDE.
refused() {
	local archive=$CORPUS/$1 expect=$2 before outside
	shift 2
	before=$(tree_state "$ROOT")
	outside=$(tree_state "$OUTSIDE")
	run --separate-stderr -2 cp-tar -x "$DEST" "$@" < "$archive"
	[ -z "$output" ]
	if [[ "$stderr" != "cp-tar: $expect"* ]]; then
		echo "expected: cp-tar: $expect"
		echo "got:      $stderr"
		return 1
	fi
	[ "$(tree_state "$ROOT")" = "$before" ]
	[ "$(tree_state "$OUTSIDE")" = "$outside" ]
}

# --- the program ---------------------------------------------------------------

@test "--help and --version go to stdout and exit 0" {
	run --separate-stderr -0 cp-tar --help
	[[ "$output" == "usage: cp-tar -c"* ]]
	[ -z "$stderr" ]
	run -0 cp-tar --version
	[[ "$output" == "cp-tar (Control Plane v2 in C) "* ]]
}

@test "bad usage exits 2 with a message on stderr and nothing on stdout" {
	run --separate-stderr -2 cp-tar --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: cp-tar"* ]]
	run --separate-stderr -2 cp-tar
	[ "$stderr" = "cp-tar: one of -c, -t or -x is required" ]
	run --separate-stderr -2 cp-tar -c -t
	[ "$stderr" = "cp-tar: -c, -t and -x exclude each other" ]
	run --separate-stderr -2 cp-tar -x
	[ "$stderr" = "cp-tar: -x needs a directory: cp-tar -x DIR < ARCHIVE" ]
	run --separate-stderr -2 cp-tar -x a b
	[ "$stderr" = "cp-tar: -x takes one directory, not archive members: cp-tar -x DIR < ARCHIVE" ]
	run --separate-stderr -2 cp-tar -t extra
	run --separate-stderr -2 cp-tar -c -l 10 < /dev/null
	[[ "$stderr" == *"--level: not a number from 0 to 9: 10" ]]
	run -2 cp-tar -c -j 0 < /dev/null
	run -2 cp-tar -t --max-bytes 12Q < /dev/null
	run -2 cp-tar -t --max-path 5000 < /dev/null
	run -2 cp-tar -c --check < /dev/null
	run -2 cp-tar -t --force < /dev/null
	run -2 cp-tar -c --json < /dev/null
	run --separate-stderr -2 cp-tar -x "$DEST" -C src < /dev/null
	[ "$stderr" = "cp-tar: -x: give the directory once, as DIR or -C DIR" ]
	run --separate-stderr -2 cp-tar -t -C src < /dev/null
	[ "$stderr" = "cp-tar: -C needs -c or -x" ]
	run --separate-stderr -2 cp-tar -t -q --progress < /dev/null
	[ "$stderr" = "cp-tar: --progress and -q exclude each other" ]
	run --separate-stderr -2 cp-tar -x "$DEST" -0 < /dev/null
	[ "$stderr" = "cp-tar: -0 needs -c" ]
	[ -z "$output" ]
}

@test "a write error on stdout is reported and exits 2" {
	make_tree src
	run --separate-stderr -2 bash -c 'echo . | cp-tar -c -C src > /dev/full'
	[[ "$stderr" == "cp-tar: write error: No space left on device" ]]
	echo . | cp-tar -c -C src > a.tgz
	run --separate-stderr -2 bash -c 'cp-tar -t < a.tgz > /dev/full'
	[[ "$stderr" == *"write error: No space left on device"* ]]
}

@test "-x with stdout on /dev/full extracts nothing: the receipt comes before the commit" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	before=$(tree_state "$DEST")
	run --separate-stderr -2 bash -c 'cp-tar -x "$0" < a.tgz > /dev/full' "$DEST"
	[ "$stderr" = "cp-tar: write error: No space left on device (nothing extracted)" ]
	[ "$(tree_state "$DEST")" = "$before" ]
}

# --- packing: the format -------------------------------------------------------

@test "packing: Python's tarfile reads the normalised metadata" {
	make_tree src
	chmod 600 src/frameworks/sub/b.md
	run -0 bash -c 'printf "frameworks\nspecs/run.sh\n" | cp-tar -c -C src > a.tgz'
	run -0 pylist a.tgz
	expected=$(printf '%s\n' \
		"frameworks	5	0755	0	0	0	0	''	''	" \
		"frameworks/FMWK-100_agent_development_standard.md	0	0644	6	0	0	0	''	''	" \
		"frameworks/empty.md	0	0644	0	0	0	0	''	''	" \
		"frameworks/sub	5	0755	0	0	0	0	''	''	" \
		"frameworks/sub/b.md	0	0644	5	0	0	0	''	''	" \
		"specs	5	0755	0	0	0	0	''	''	" \
		"specs/run.sh	0	0755	18	0	0	0	''	''	")
	[ "$output" = "$expected" ]
}

@test "packing: the gzip header has no name and no timestamp, OS Unix, and gzip -t accepts it" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	run -0 python3 -c '
import sys
h = open("a.tgz", "rb").read(10)
assert h[:3] == b"\x1f\x8b\x08", h
assert h[3] == 0, "flags (FNAME, FCOMMENT...) must be clear"
assert h[4:8] == b"\0\0\0\0", "mtime must be 0"
assert h[8] == 0 and h[9] == 3, h
'
	gzip -t a.tgz
	echo . | cp-tar -c -C src -l 9 > a9.tgz
	echo . | cp-tar -c -C src -l 1 > a1.tgz
	[ "$(od -An -tu1 -j8 -N1 a9.tgz | tr -d ' ')" = 2 ]
	[ "$(od -An -tu1 -j8 -N1 a1.tgz | tr -d ' ')" = 4 ]
	run ! cmp -s a1.tgz a9.tgz
	[ "$(gzip -dc a1.tgz | sha256sum)" = "$(gzip -dc a9.tgz | sha256sum)" ]
}

@test "packing: paths are stored exactly, in bytewise order, parents once, duplicates once" {
	make_tree src
	printf 'specs/run.sh\nframeworks/sub/b.md\n./frameworks//sub/b.md\nframeworks/sub\nspecs/run.sh\n' |
		cp-tar -c -C src > a.tgz
	run -0 bash -c "tar -tzf a.tgz"
	[ "$output" = "$(printf '%s\n' frameworks/ frameworks/sub/ frameworks/sub/b.md specs/ specs/run.sh)" ]
	# Bytewise, not locale order: 'B' < 'a' < '~' < 0xc3.
	mkdir o && for n in a B '~' é; do echo "$n" > "o/$n"; done
	echo o | cp-tar -c > b.tgz
	run -0 tar --quoting-style=literal -tzf b.tgz
	[ "$output" = "$(printf '%s\n' o/ o/B o/a 'o/~' o/é)" ]
}

@test "packing: operands instead of a list, -0 lists, empty lines skipped" {
	make_tree src
	cd src
	cp-tar -c frameworks/sub/b.md specs/run.sh > ../ops.tgz
	printf 'frameworks/sub/b.md\0specs/run.sh\0' | cp-tar -c -0 > ../nul.tgz
	printf '\nframeworks/sub/b.md\n\nspecs/run.sh\n' | cp-tar -c > ../nl.tgz
	cd ..
	cmp ops.tgz nul.tgz
	cmp ops.tgz nl.tgz
	run -2 bash -c "printf 'specs/run.sh\0x\n' | cp-tar -c -C src > /dev/null"
	[[ "$output" == *"-:1: name holds a NUL byte (use -0)"* ]]
}

@test "packing: an empty list is an empty archive that tar, Python and cp-tar read" {
	run -0 bash -c 'cp-tar -c < /dev/null > e.tgz'
	run -0 tar -tzf e.tgz
	[ -z "$output" ]
	run -0 pylist e.tgz
	[ -z "$output" ]
	run -0 cp-tar -t -f e.tgz
	[ -z "$output" ]
	run -0 cp-tar -x "$DEST" -f e.tgz
	[ -z "$output" ]
	run -0 cp-tar -x "$DEST" -f - < e.tgz
	[ -z "$output" ]
}

@test "packing: -f writes the archive atomically, and not at all when a path is refused" {
	make_tree src
	echo . | cp-tar -c -C src -f out.tgz
	echo . | cp-tar -c -C src | cmp - out.tgz
	[ "$(stat -c %a out.tgz)" = 644 ]
	cp out.tgz keep.tgz
	mkfifo src/fifo
	run --separate-stderr -2 bash -c 'echo . | cp-tar -c -C src -f out.tgz'
	[[ "$stderr" == *"'fifo': FIFO"* ]]
	cmp out.tgz keep.tgz
	[ -z "$(ls -A | grep '^\.out')" ]
}

# --- packing: determinism ------------------------------------------------------

@test "determinism: the same bytes twice, after touch, chmod g+w, another owner, umask, locale, -j" {
	make_tree src
	echo . | cp-tar -c -C src > one.tgz
	echo . | cp-tar -c -C src > two.tgz
	cmp one.tgz two.tgz
	find src -exec touch -d '2001-02-03 04:05:06' {} +
	echo . | cp-tar -c -C src | cmp - one.tgz
	chmod -R g+w src
	echo . | cp-tar -c -C src | cmp - one.tgz
	(umask 077 && cp -r src src077)
	[ "$(stat -c %a src077/frameworks/sub/b.md)" = 600 ]
	echo . | cp-tar -c -C src077 | cmp - one.tgz
	if [ "$(id -u)" -eq 0 ]; then
		cp -a src srcown && chown -R 65534:65534 srcown
		echo . | cp-tar -c -C srcown | cmp - one.tgz
	fi
	echo . | LC_ALL=C.UTF-8 LANG=fr_FR.UTF-8 cp-tar -c -C src | cmp - one.tgz
	echo . | LC_ALL=POSIX cp-tar -c -C src | cmp - one.tgz
	echo . | cp-tar -c -C src -j1 | cmp - one.tgz
	echo . | cp-tar -c -C src -j7 | cmp - one.tgz
}

@test "determinism: a copy made in reverse order (other inodes, other directory order) packs the same" {
	make_tree src
	head -c 2000000 /dev/urandom > src/specs/multi-block.bin
	echo . | cp-tar -c -C src > one.tgz
	(cd src && find . -mindepth 1 | LC_ALL=C sort -r) | while IFS= read -r p; do
		if [ -d "src/$p" ]; then mkdir -p "rev/$p"; else mkdir -p "rev/$(dirname "$p")" && cp "src/$p" "rev/$p"; fi
	done
	[ "$(ls -i rev/specs/run.sh | cut -d' ' -f1)" != "$(ls -i src/specs/run.sh | cut -d' ' -f1)" ]
	echo . | cp-tar -c -C rev | cmp - one.tgz
}

@test "determinism: SOURCE_DATE_EPOCH sets every mtime; two values, two archives, each stable" {
	make_tree src
	SOURCE_DATE_EPOCH=1700000000 cp-tar -c -C src specs > a.tgz
	SOURCE_DATE_EPOCH=1700000000 cp-tar -c -C src specs | cmp - a.tgz
	SOURCE_DATE_EPOCH=1800000000 cp-tar -c -C src specs > b.tgz
	run ! cmp -s a.tgz b.tgz
	[ "$(pylist a.tgz | cut -f5 | sort -u)" = 1700000000 ]
	[ "$(pylist b.tgz | cut -f5 | sort -u)" = 1800000000 ]
	SOURCE_DATE_EPOCH= cp-tar -c -C src specs > c.tgz
	[ "$(pylist c.tgz | cut -f5 | sort -u)" = 0 ]
	run --separate-stderr -2 env SOURCE_DATE_EPOCH=yesterday cp-tar -c -C src specs
	[ "$stderr" = "cp-tar: SOURCE_DATE_EPOCH is not a number of seconds: yesterday" ]
	[ -z "$output" ]
}

# --- packing: refusals ---------------------------------------------------------

@test "packing refuses symlinks, FIFOs, sockets and devices, naming each, and writes nothing" {
	make_tree src
	ln -s /etc src/frameworks/etc
	mkfifo src/specs/fifo
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("src/sock")'
	run --separate-stderr -2 bash -c 'echo . | cp-tar -c -C src'
	[ -z "$output" ]
	[[ "$stderr" == *"cp-tar: 'frameworks/etc': symbolic link (refused without --allow-symlinks)"* ]]
	[[ "$stderr" == *"cp-tar: 'specs/fifo': FIFO"* ]]
	[[ "$stderr" == *"cp-tar: 'sock': socket"* ]]
	[[ "$stderr" == *"cp-tar: nothing written: refused paths" ]]
	run --separate-stderr -2 cp-tar -c /dev/null
	[[ "$stderr" == *"'/dev/null': absolute path"* ]]
	run --separate-stderr -2 cp-tar -c -C / dev/null
	[[ "$stderr" == *"'dev/null': character device"* ]]
}

@test "packing: --allow-symlinks stores relative in-tree symlinks, never escaping ones" {
	make_tree src
	ln -s sub/b.md src/frameworks/link.md
	run --separate-stderr -2 cp-tar -c -C src frameworks
	cp-tar -c -C src --allow-symlinks frameworks > a.tgz
	run -0 pylist a.tgz
	grep -qx "frameworks/link.md	2	0777	0	0	0	0	''	''	sub/b.md" <<<"$output"
	ln -s ../../outside src/frameworks/up
	run --separate-stderr -2 cp-tar -c -C src --allow-symlinks frameworks
	[[ "$stderr" == *"'frameworks/up': symlink target '../../outside' leaves the destination"* ]]
	rm src/frameworks/up
	ln -s /etc src/frameworks/abs
	run --separate-stderr -2 cp-tar -c -C src --allow-symlinks frameworks
	[[ "$stderr" == *"'frameworks/abs': symlink to an absolute path '/etc'"* ]]
}

@test "packing refuses paths that leave DIR, missing files, symlinked parents, non-UTF-8 names" {
	make_tree src
	run --separate-stderr -2 bash -c 'printf "../etc/passwd\n" | cp-tar -c -C src'
	[[ "$stderr" == *"'../etc/passwd': '..' in the path"* ]]
	run --separate-stderr -2 cp-tar -c -C src missing.md
	[[ "$stderr" == *"'missing.md': No such file or directory"* ]]
	ln -s frameworks src/alias
	run --separate-stderr -2 cp-tar -c -C src alias/sub/b.md
	[[ "$stderr" == *"'alias': not a directory (a parent of a listed path)"* ]]
	printf 'x' > "src/bad$(printf '\377')name"
	run --separate-stderr -2 cp-tar -c -C src .
	[[ "$stderr" == *"'bad\\377name': name is not valid UTF-8"* ]]
	[ -z "$output" ]
	run --separate-stderr -2 cp-tar -c -C nowhere .
	[ "$stderr" = "cp-tar: nowhere: No such file or directory" ]
}

# --- interoperability ----------------------------------------------------------

@test "interop: GNU tar and bsdtar list our archives with the normalised metadata" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	names=$(cd src && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort)
	run -0 tar -tzvf a.tgz
	[ "${#lines[@]}" -eq "$(wc -l <<<"$names")" ]
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x)\ 0/0\ +[0-9]+\ 1970-01-01\ 00:00\  ]] || { echo "$l"; false; }
	done
	[ "$(tar --quoting-style=literal -tzf a.tgz | sed 's|/$||')" = "$names" ]
	tar -tzvf a.tgz | grep -q '^-rwxr-xr-x 0/0 *18 1970-01-01 00:00 specs/run.sh$'
	run -0 env LC_ALL=C.UTF-8 bsdtar -tvf a.tgz --numeric-owner
	for l in "${lines[@]}"; do
		[[ "$l" =~ ^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x)\ +[0-9]+\ 0\ +0\  ]] || { echo "$l"; false; }
	done
	[ "$(LC_ALL=C.UTF-8 bsdtar -tf a.tgz | sed 's|/$||')" = "$names" ]
}

@test "interop: files extracted by GNU tar hash as cp-tar -t --json lists them" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	mkdir g && tar -xzf a.tgz -C g
	cp-tar -t --json < a.tgz | jq -r 'select(.type == "file") | "\(.sha256)  \(.path)"' > ours
	sums_of g > theirs
	[ -s ours ]
	diff ours theirs
	diff <(sums_of src) theirs
}

@test "interop: archives made by GNU tar (sorted, mtime 0, owner 0) and bsdtar extract with cp-tar" {
	make_tree src
	ln src/frameworks/sub/b.md src/frameworks/hard.md
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C src -czf gnu.tgz .
	run -0 cp-tar -x "$DEST" -f gnu.tgz
	[ "$(cd src && find . -type f | LC_ALL=C sort | cp-hash -T -)" = \
	  "$(cd "$DEST" && find . -type f ! -name existing.md | LC_ALL=C sort | cp-hash -T -)" ]
	[ "$(stat -c %i "$DEST/frameworks/hard.md")" = "$(stat -c %i "$DEST/frameworks/sub/b.md")" ]
	grep -q '  frameworks/hard.md$' <<<"$output"
	# ustar cannot hold the 150-byte name.
	cp -r src srcu && rm srcu/specs/nnnn*.md
	for fmt in gnu posix ustar; do
		rm -rf x && mkdir x
		s=src && [ $fmt = ustar ] && s=srcu
		tar --format=$fmt --sort=name -C $s -czf t.tgz frameworks specs
		cp-tar -x x -f t.tgz > /dev/null
		diff <(sums_of $s) <(sums_of x)
	done
	rm -rf x && mkdir x
	bsdtar -czf b.tgz -C src frameworks specs
	cp-tar -x x < b.tgz > /dev/null
	diff <(sums_of src) <(sums_of x)
}

# --- listing ---------------------------------------------------------------------

@test "-t: standard input, -f - and -f FILE agree; each line has type, mode, size, digest, path" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	a=$(cp-tar -t < a.tgz)
	b=$(cp-tar -t -f - < a.tgz)
	c=$(cp-tar -t -f a.tgz)
	[ "$a" = "$b" ]
	[ "$a" = "$c" ]
	grep -qx "file 0755 18 $(sha256sum < src/specs/run.sh | cut -c1-64) specs/run.sh" <<<"$a"
	grep -qx "dir 0755 0 - frameworks/sub" <<<"$a"
	run --separate-stderr -2 cp-tar -t -f missing.tgz
	[ "$stderr" = "cp-tar: missing.tgz: No such file or directory" ]
}

@test "-t --json agrees with Python's tarfile on every entry, and with sha256 on every file" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	run -0 python3 - <<'EOF'
import hashlib, json, subprocess, tarfile
ours = [json.loads(l) for l in subprocess.run(["cp-tar", "-t", "--json", "-f", "a.tgz"],
        capture_output=True, check=True).stdout.splitlines()]
with tarfile.open("a.tgz", "r:gz") as t:
    members = t.getmembers()
    assert len(ours) == len(members), (len(ours), len(members))
    for o, m in zip(ours, members):
        assert o["path"] == m.name, (o, m.name)
        assert o["type"] == {"0": "file", "5": "dir"}[m.type.decode()], o
        assert o["size"] == m.size and int(o["mode"], 8) == m.mode, o
        if m.isfile():
            assert o["sha256"] == hashlib.sha256(t.extractfile(m).read()).hexdigest(), o
        else:
            assert o["sha256"] is None, o
EOF
}

@test "-t lists what -x refuses; --check refuses it as -x would" {
	run -0 cp-tar -t < "$CORPUS/chardev.tgz"
	[ "${lines[1]}" = "chardev 0644 0 - dev/zero" ]
	run -0 cp-tar -t --json < "$CORPUS/symlink-then-file.tgz"
	[ "$(jq -r .type <<<"${lines[0]}")" = symlink ]
	[ "$(jq -r .target <<<"${lines[0]}")" = "$OUTSIDE" ]
	run --separate-stderr -2 cp-tar -t --check < "$CORPUS/chardev.tgz"
	[ "$stderr" = "cp-tar: entry 2 'dev/zero': character device" ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	run -0 cp-tar -t --check < "$CORPUS/good.tgz"
	run --separate-stderr -2 cp-tar -t < "$CORPUS/bad-checksum.tgz"
	[[ "$stderr" == "cp-tar: entry 2 'c.txt': bad header checksum" ]]
	run --separate-stderr -2 cp-tar -t < "$CORPUS/trailing-garbage.tgz"
	[ "$stderr" = "cp-tar: trailing garbage after the gzip data" ]
}

@test "-t gives a hard link its target's digest and size" {
	mkdir s && echo content > s/a && ln s/a s/b
	tar --sort=name -C s -czf h.tgz a b
	run -0 cp-tar -t --json -f h.tgz
	[ "$(jq -r .sha256 <<<"${lines[1]}")" = "$(sha256sum < s/a | cut -c1-64)" ]
	[ "$(jq -r '.type, .size, .target' <<<"${lines[1]}" | tr '\n' ' ')" = "hardlink 8 a " ]
}

# --- extraction ------------------------------------------------------------------

@test "round trip: pack, list, extract; cp-hash of the result equals the source, modes normalised" {
	make_tree src
	chmod 700 src/specs/run.sh
	echo . | cp-tar -c -C src > a.tgz
	cp-tar -t --check < a.tgz > /dev/null
	umask 077
	run --separate-stderr -0 cp-tar -x "$DEST" < a.tgz
	[ -z "$stderr" ]
	[ "$(cd src && find . -type f | LC_ALL=C sort | cp-hash -T -)" = \
	  "$(cd "$DEST" && find . -type f ! -name existing.md | LC_ALL=C sort | cp-hash -T -)" ]
	[ "$(stat -c %a "$DEST/specs/run.sh")" = 755 ]
	[ "$(stat -c %a "$DEST/specs/blob.bin")" = 644 ]
	[ "$(stat -c %a "$DEST/specs")" = 755 ]
	[ -d "$DEST/emptydir" ]
	[ -z "$(ls -A "$DEST" | grep cp-tar)" ]
}

@test "the receipt is sha256sum's output for the files written, and sha256sum -c accepts it" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	run --separate-stderr -0 cp-tar -x "$DEST" < a.tgz
	[ "$output" = "$(sums_of src)" ]
	(cd "$DEST" && sha256sum -c --quiet <<<"$output")
}

@test "--json receipt: files, links and directories with their digests and what existed" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	run -0 cp-tar -x "$DEST" --json < a.tgz
	jq -e -s 'length > 0' <<<"$output"
	[ "$(jq -r 'select(.path == "frameworks") | .existed' <<<"$output")" = true ]
	[ "$(jq -r 'select(.path == "specs") | "\(.type) \(.existed) \(.mode)"' <<<"$output")" = "dir false 0755" ]
	[ "$(jq -r 'select(.path == "specs/run.sh") | "\(.sha256) \(.size) \(.mode)"' <<<"$output")" = \
	  "$(sha256sum < src/specs/run.sh | cut -c1-64) 18 0755" ]
	[ "$(jq -r 'select(.type == "file") | "\(.sha256)  \(.path)"' <<<"$output")" = "$(sums_of src)" ]
}

@test "the directories an archive implies but does not name are created, listed, and removed on failure" {
	printf 'x' > f
	cp-tar -c frameworks/existing.md -C "$DEST" > /dev/null
	mkdir -p t/a/b/c && echo deep > t/a/b/c/deep.md
	tar -C t -czf implicit.tgz a/b/c/deep.md
	run -0 cp-tar -x "$DEST" --json -f implicit.tgz
	[ "$(jq -r 'select(.type == "dir") | .path' <<<"$output" | tr '\n' ' ')" = "a a/b a/b/c " ]
	[ "$(cat "$DEST/a/b/c/deep.md")" = deep ]
}

@test "an existing file is refused without --force, and nothing changes" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	mkdir -p "$DEST/specs" && echo mine > "$DEST/specs/run.sh"
	before=$(tree_state "$DEST")
	run --separate-stderr -2 cp-tar -x "$DEST" < a.tgz
	[ "$stderr" = "cp-tar: entry 10 'specs/run.sh': already exists in the destination (--force replaces it)" ]
	[ -z "$output" ]
	[ "$(tree_state "$DEST")" = "$before" ]
}

@test "--force replaces existing files by rename, never writing through a hard link" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	mkdir -p "$DEST/specs"
	ln "$OUTSIDE/victim" "$DEST/specs/run.sh" 2>/dev/null || cp "$OUTSIDE/victim" "$DEST/specs/run.sh"
	chmod 600 "$DEST/specs/run.sh"
	run -0 cp-tar -x --force "$DEST" --json < a.tgz
	[ "$(jq -r 'select(.path == "specs/run.sh") | .existed' <<<"$output")" = true ]
	cmp src/specs/run.sh "$DEST/specs/run.sh"
	[ "$(stat -c %a "$DEST/specs/run.sh")" = 755 ]
	[ "$(cat "$OUTSIDE/victim")" = "do not touch" ]
	[ "$(cat "$DEST/frameworks/existing.md")" = "installed earlier" ]
}

@test "--force does not replace a directory with a file, nor a file with a directory" {
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	mkdir -p "$DEST/specs/run.sh"
	before=$(tree_state "$DEST")
	run --separate-stderr -2 cp-tar -x --force "$DEST" < a.tgz
	[ "$stderr" = "cp-tar: entry 10 'specs/run.sh': exists in the destination as a directory" ]
	[ "$(tree_state "$DEST")" = "$before" ]
	rm -r "$DEST/specs" && echo file > "$DEST/specs"
	before=$(tree_state "$DEST")
	run --separate-stderr -2 cp-tar -x --force "$DEST" < a.tgz
	[ "$stderr" = "cp-tar: entry 7 'specs': exists in the destination and is not a directory" ]
	[ "$(tree_state "$DEST")" = "$before" ]
}

@test "a missing destination is an error; DIR itself may be a symlink (the caller's choice)" {
	run --separate-stderr -2 cp-tar -x nowhere < "$CORPUS/good.tgz"
	[ "$stderr" = "cp-tar: 'nowhere': No such file or directory" ]
	mkdir real && ln -s real alias
	run -0 cp-tar -x alias < "$CORPUS/good.tgz"
	[ "$(cat real/frameworks/pwned.txt)" = written ]
}

@test "a signal during extraction leaves the destination as it was" {
	before=$(tree_state "$DEST")
	mkfifo feed
	cp-tar -x "$DEST" < feed 2> err &
	pid=$!
	# Not fd 3: bats writes its report there.
	exec 7> feed
	cat "$CORPUS/two-mib.tgz" >&7
	# Wait until both files are staged; cp-tar then waits for the end of the stream.
	for i in $(seq 100); do
		[ -n "$(find "$DEST" -path '*/.cp-tar-*/b.bin' -size 1024k)" ] && break
		sleep 0.1
	done
	[ -n "$(find "$DEST" -path '*/.cp-tar-*/b.bin')" ]
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	exec 7>&-
	# rolled back, said where, then killed by the signal it was sent (128 + 15)
	[ "$status" -eq 143 ]
	[ "$(cat err)" = "cp-tar: entry 2 'b.bin': interrupted" ]
	[ "$(tree_state "$DEST")" = "$before" ]
}

@test "--allow-symlinks extracts relative symlinks that stay inside" {
	mkdir s && mkdir s/d && echo t > s/d/t.md && ln -s d/t.md s/l.md && ln -s ../d s/d/self
	cp-tar -c -C s --allow-symlinks . > l.tgz
	run -2 cp-tar -x "$DEST" < l.tgz
	run -0 cp-tar -x "$DEST" --allow-symlinks --json < l.tgz
	[ "$(readlink "$DEST/l.md")" = d/t.md ]
	[ "$(cat "$DEST/l.md")" = t ]
	[ "$(jq -r 'select(.path == "l.md") | "\(.type) \(.target)"' <<<"$output")" = "symlink d/t.md" ]
}

@test "caps can be raised: --max-entries 100000 passes the 100,000 entries; a cap is inclusive" {
	# The check -x makes, without writing 100,000 files (the suite must stay fast).
	run -0 cp-tar -t --check --max-entries 100000 < "$CORPUS/many-entries.tgz"
	[ "${#lines[@]}" -eq 100000 ]
	run -2 cp-tar -t --check < "$CORPUS/many-entries.tgz"
	run -0 cp-tar -x "$DEST" --max-entries 3 < "$CORPUS/good.tgz"
	[ "$(cat "$DEST/frameworks/pwned.txt")" = written ]
	rm "$DEST/frameworks/pwned.txt" "$DEST/frameworks/FMWK-100_good.md"
	run -2 cp-tar -x "$DEST" --max-entries 2 < "$CORPUS/good.tgz"
	[ ! -e "$DEST/frameworks/FMWK-100_good.md" ]
}

# --- the hostile corpus: each refused, naming the entry, nothing changed --------

@test "hostile: absolute path" {
	refused abs-path.tgz "entry 1 '$OUTSIDE/abs.txt': absolute path"
}

@test "hostile: '..' component" {
	refused dotdot.tgz "entry 1 '../escape.txt': '..' in the path"
	refused dotdot-inner.tgz "entry 2 'frameworks/../../escape.txt': '..' in the path"
}

@test "hostile: empty name, and a name that is the destination itself" {
	refused empty-name.tgz "entry 2 '': empty name"
	refused dot-as-file.tgz "entry 1 '.': names the destination directory itself"
}

@test "hostile: NUL in a pax path and in a GNU long name" {
	refused nul-pax-path.tgz "entry 1 'frameworks/a.md\\000../../escape.txt': NUL byte in the pax path"
	refused nul-gnu-longname.tgz "entry 1 '$(printf 'd%.0s' $(seq 120))': NUL byte in a GNU long name"
}

@test "hostile: name over PATH_MAX, path deeper than the cap" {
	refused name-too-long.tgz "entry 1 'n/n/n/"
	[[ "$stderr" == *"': name too long" ]]
	refused too-deep.tgz "entry 1 'd/d/d/"
	[[ "$stderr" == *"': path too deep" ]]
}

@test "hostile: link targets over PATH_MAX; the reason is never cut off by the long name" {
	refused symlink-long-target.tgz "entry 1 'l': symlink target too long" --allow-symlinks
	refused symlink-long-target.tgz "entry 1 'l': symbolic link to 'a/a/a/"
	[[ "$stderr" == *"...' (refused without --allow-symlinks)" ]]
	refused hardlink-long-target.tgz "entry 2 'h': hard link to '././"
	[[ "$stderr" == *"...': name too long" ]]
}

@test "hostile: symlink then a file through it (the Python tool's escape)" {
	refused symlink-then-file.tgz "entry 1 'frameworks/evil': symbolic link to '$OUTSIDE' (refused without --allow-symlinks)"
	refused symlink-then-file.tgz "entry 1 'frameworks/evil': symlink to an absolute path '$OUTSIDE'" --allow-symlinks
	refused symlink-then-file-inside.tgz "entry 3 'lnk/pwned.txt': 'lnk' is not a directory in this archive" --allow-symlinks
}

@test "hostile: symlinks leaving the destination, directly or by a chain" {
	refused symlink-relative-escape.tgz "entry 1 'up': symlink target '../..' leaves the destination" --allow-symlinks
	refused symlink-chain.tgz "entry 2 'c2': symlink target 'c1/../..' has '..' after a name" --allow-symlinks
	refused symlink-absolute.tgz "entry 1 'abs': symlink to an absolute path '/etc'" --allow-symlinks
}

@test "hostile: hard links to a symlink, outside, absolute, forward, to a directory" {
	refused hardlink-to-symlink.tgz "entry 3 'h': hard link to 's', which is not an earlier regular file" --allow-symlinks
	refused hardlink-escape.tgz "entry 1 'h': hard link to '../../etc/passwd': '..' in the path"
	refused hardlink-absolute.tgz "entry 1 'h': hard link to '/etc/passwd': absolute path"
	refused hardlink-forward.tgz "entry 1 'h': hard link to 'later.txt', which is not an earlier regular file"
	refused hardlink-to-dir.tgz "entry 2 'h': hard link to 'd', which is not an earlier regular file"
}

@test "hostile: character device, block device, FIFO, unknown type" {
	refused chardev.tgz "entry 2 'dev/zero': character device"
	refused blockdev.tgz "entry 1 'dev/sda': block device"
	refused fifo.tgz "entry 1 'pipe': FIFO"
	refused unknown-type.tgz "entry 1 'weird': unknown entry type 'Z'"
}

@test "hostile: setuid, setgid and sticky bits" {
	refused setuid.tgz "entry 1 'bin/su': setuid bit"
	refused setgid.tgz "entry 1 'bin/sg': setgid bit"
	refused sticky.tgz "entry 1 'tmp/': sticky bit"
}

@test "hostile: the same path twice; a file that is also a directory's parent" {
	refused duplicate.tgz "entry 2 'frameworks/FMWK-100_good.md': appears twice in the archive"
	refused file-then-child.tgz "entry 2 'x/y': 'x' is not a directory in this archive"
	refused child-then-file.tgz "entry 2 'x': also a directory's parent in this archive"
}

@test "hostile: bad checksum, negative and absurd sizes, broken pax record" {
	refused bad-checksum.tgz "entry 2 'c.txt': bad header checksum"
	refused negative-size.tgz "entry 2 'b.txt': negative size in the header"
	refused absurd-size.tgz "entry 2 'b.txt': absurd size in the header"
	refused broken-pax.tgz "entry 1 'PaxHeader/x': malformed pax header (record length)"
}

@test "hostile: truncated data, truncated gzip, no end marker, data after the end marker" {
	refused truncated-data.tgz "entry 1 'frameworks/big.bin': the archive is truncated (inside the data)"
	refused truncated-gzip.tgz "gzip data is truncated"
	refused no-end-marker.tgz "the archive ends without an end-of-archive marker (truncated?)"
	refused data-after-end.tgz "data after the end-of-archive marker"
}

@test "hostile: trailing garbage after gzip, a stream that is not gzip, empty input" {
	refused trailing-garbage.tgz "trailing garbage after the gzip data"
	refused not-gzip.tgz "not gzip data"
	refused empty-input.tgz "empty input, not gzip data"
}

@test "hostile: a 1000:1 gzip bomb" {
	[ "$(stat -c %s "$CORPUS/bomb.tgz")" -lt $((64 * 1024 * 1024 / 900)) ]
	refused bomb.tgz "entry 1 'bomb.bin': compression ratio over 200:1 (a decompression bomb?)"
}

@test "hostile: 100,000 tiny entries, over the entry cap" {
	refused many-entries.tgz "entry 50001 'tiny/050000': more than 50000 entries in the archive"
}

@test "hostile: over the caps set by flags" {
	refused two-mib.tgz "entry 2 'b.bin': the archive unpacks to more than 1572864 bytes" --max-bytes 1536K
	refused two-mib.tgz "entry 1 'a.bin': 1048576 bytes, over the single-entry cap of 1048575" --max-entry-size 1048575
	refused good-deep.tgz "entry 1 'frameworks/sub/deeper/pwned.txt': path too deep" --max-depth 3
	refused good.tgz "entry 2 'frameworks/FMWK-100_good.md': name too long" --max-path 20
	refused many-entries.tgz "entry 11 'tiny/000010': more than 10 entries in the archive" --max-entries 10
	make_tree src
	head -c 3000000 /dev/zero > src/zeros
	echo zeros | cp-tar -c -C src > "$CORPUS/zeros.tgz"
	refused zeros.tgz "entry 1 'zeros': compression ratio over 50:1" --max-ratio 50
}

@test "hostile: a symlink left in the destination by an earlier archive is never followed" {
	rm -r "$DEST/frameworks"
	ln -s "$OUTSIDE" "$DEST/frameworks"
	refused good.tgz "entry 1 'frameworks': a symlink in the destination (never followed)"
	refused good-nodir.tgz "entry 1 'frameworks/pwned.txt': 'frameworks' in the destination is a symlink (never followed)"
	refused good-nodir.tgz "entry 1 'frameworks/pwned.txt': 'frameworks' in the destination is a symlink (never followed)" --force
	[ ! -e "$OUTSIDE/pwned.txt" ]
}

@test "hostile: a symlink deeper in the destination, or at the target itself, even with --force" {
	mkdir -p "$DEST/frameworks"
	ln -s "$OUTSIDE" "$DEST/frameworks/sub"
	refused good-deep.tgz "entry 1 'frameworks/sub/deeper/pwned.txt': 'frameworks/sub' in the destination is a symlink (never followed)" --force
	ln -s "$OUTSIDE/victim" "$DEST/frameworks/pwned.txt"
	refused good-nodir.tgz "entry 1 'frameworks/pwned.txt': a symlink in the destination (never replaced or followed)" --force
	[ "$(cat "$OUTSIDE/victim")" = "do not touch" ]
}

@test "hostile: a collision late in the archive leaves no early entry behind" {
	echo mine > "$DEST/frameworks/pwned.txt"
	refused good.tgz "entry 3 'frameworks/pwned.txt': already exists in the destination (--force replaces it)"
	[ ! -e "$DEST/frameworks/FMWK-100_good.md" ]
}

@test "the corpus has an archive for every rule, and a good one that extracts" {
	[ "$(ls "$CORPUS"/*.tgz | wc -l)" -ge 40 ]
	run -0 cp-tar -x "$DEST" < "$CORPUS/good.tgz"
	[ "$(cat "$DEST/frameworks/pwned.txt")" = written ]
}

# "${default_sigint[@]}" CMD...: run CMD with SIGINT at its default action (a
# shell starts background jobs with it ignored; a terminal's Ctrl-C finds it
# default).  A command, not a function: $! must be CMD's own process.
default_sigint=(/usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

@test "tar's habits: -xf A -C D extracts into D, -z is ignored, -v names what -c packs" {
	make_tree src
	(cd src && find . -mindepth 1 | LC_ALL=C sort) > list
	cp-tar -c -C src < list > a.tgz
	mkdir d1 d2
	cp-tar -x d1 < a.tgz > want
	run --separate-stderr -0 cp-tar -xzf a.tgz -C d2
	[ "$output" = "$(cat want)" ]
	[ -z "$stderr" ]
	[ "$(sums_of d2)" = "$(sums_of src)" ]
	run -0 cp-tar -tz -f a.tgz
	[ "$output" = "$(cp-tar -t < a.tgz)" ]
	# -z changes no byte; -v names each entry on stderr, in the archive's order (GNU tar's names)
	cp-tar -czv -C src < list > b.tgz 2> names
	cmp a.tgz b.tgz
	python3 -c 'import sys, tarfile
for m in tarfile.open(sys.argv[1]).getmembers(): print(m.name)' a.tgz | cmp - names
	# -v with -x or -t changes nothing: they list every entry already
	run -0 cp-tar -tv -f a.tgz
	[ "$output" = "$(cp-tar -t < a.tgz)" ]
}

@test "an archive is never read from a terminal: -t and -x with standard input left there are status 2 with a hint" {
	command -v script > /dev/null || skip "script(1) is not installed"
	run -0 script -qec "cp-tar -t; echo status=\$?" /dev/null < /dev/null
	[[ $output == *'cp-tar: refusing to read an archive from a terminal: give one with -f ARCHIVE or "< ARCHIVE"'* ]]
	[[ $output == *status=2* ]]
	run -0 script -qec "cp-tar -x '$DEST'; echo status=\$?" /dev/null < /dev/null
	[[ $output == *"refusing to read an archive from a terminal"* && $output == *status=2* ]]
	[ -z "$(ls -A "$DEST" | grep '^\.cp-tar')" ]
	# -f reads no terminal
	make_tree src
	echo . | cp-tar -c -C src > a.tgz
	run -0 script -qec "cp-tar -t -q -f a.tgz > /dev/null; echo status=\$?" /dev/null < /dev/null
	[[ $output == *status=0* ]]
}

@test "progress: a meter on a terminal (script -qc), none in a pipe or with -q; --progress forces it" {
	command -v script > /dev/null || skip "script(1) is not installed"
	mkdir src
	head -c 3000000 /dev/urandom > src/a.bin
	echo a.bin | cp-tar -c -C src > a.tgz
	size=$(stat -c %s a.tgz)
	# standard error a terminal: bytes, rate, 100% of the known total, the time; the listing intact
	run -0 script -qec "cp-tar -t -f a.tgz > list" /dev/null < /dev/null
	[[ $output =~ cp-tar:\ [0-9.]+\ (B|KiB|MiB)\ +[0-9.]+\ (B|KiB|MiB|GiB)/s\ +100%\ +[0-9.]+\ s ]]
	[ "$(cat list)" = "$(cp-tar -t < a.tgz)" ]
	# the total the percentage is of: the archive's size, in the binary units of the line
	[[ $output == *"$(awk -v n="$size" 'BEGIN { printf "%.1f MiB", n / 1048576 }')"* ]]
	run -0 script -qec "echo a.bin | cp-tar -c -C src -f b.tgz" /dev/null < /dev/null
	[[ $output == *"2.9 MiB"*"100%"* ]]
	cmp a.tgz b.tgz
	mkdir d
	run -0 script -qec "cp-tar -x d -f a.tgz > /dev/null" /dev/null < /dev/null
	[[ $output == *"100%"* ]]
	# -q: nothing, even on a terminal
	run -0 script -qec "cp-tar -q -t -f a.tgz > /dev/null" /dev/null < /dev/null
	[ -z "$output" ]
	# a pipe: nothing on stderr; --progress forces the meter there
	run --separate-stderr -0 cp-tar -t -f a.tgz
	[ -z "$stderr" ]
	run --separate-stderr -0 bash -c 'cat a.tgz | cp-tar -t --progress'
	[[ $stderr == *"cp-tar: "*"/s"* ]]
	[[ $stderr != *%* ]]	# standard input a pipe: the total is not known
	[ "$output" = "$(cat list)" ]
}

@test "progress: redrawn at most ten times a second, in place" {
	mkdir src
	head -c 64000000 /dev/zero > src/z
	start=$(date +%s%N)
	echo z | cp-tar -c -l 1 --progress -C src 2> meter > a.tgz
	end=$(date +%s%N)
	lines=$(tr -cd '\r' < meter | wc -c)
	# every redraw starts with a carriage return; the final line ends with a newline
	[ "$(tr -cd '\n' < meter | wc -c)" -eq 1 ]
	[ "$lines" -ge 1 ]
	[ "$lines" -le $(( (end - start) / 100000000 + 2 )) ]
}

@test "SIGINT: cp-tar -x, -c -f and -t stop, clean up, and exit 130" {
	before=$(tree_state "$DEST")
	mkfifo feed
	"${default_sigint[@]}" cp-tar -x "$DEST" < feed > receipt 2> err & pid=$!
	exec 7> feed
	cat "$CORPUS/two-mib.tgz" >&7
	for i in $(seq 100); do
		[ -n "$(find "$DEST" -path '*/.cp-tar-*/b.bin' -size 1024k)" ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 130 ]
	[ "$(tree_state "$DEST")" = "$before" ]	# no staging directory, no file
	[ "$(cat err)" = "cp-tar: entry 2 'b.bin': interrupted" ]
	# -c -f: interrupted while it compresses; no archive, no temporary file
	mkdir src out
	head -c 64000000 /dev/urandom > src/big
	"${default_sigint[@]}" cp-tar -c -l 9 -j 1 -C src -f out/a.tgz big 2> err & pid=$!
	for i in $(seq 100); do
		[ -n "$(ls -A out)" ] && break
		sleep 0.05
	done
	sleep 0.2
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	[ -z "$(ls -A out)" ]
	[ "$(cat err)" = "cp-tar: interrupted" ]
	# -t: reading a stream that stalls
	mkfifo feed2
	"${default_sigint[@]}" cp-tar -t < feed2 > /dev/null & pid=$!
	exec 7> feed2
	head -c 100000 "$CORPUS/two-mib.tgz" >&7
	sleep 0.3
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 130 ]
}

@test "--sha256: extracts only the archive whose SHA-256 (sha256sum's) it names, hashed in the same read" {
	sum=$(sha256sum < "$CORPUS/good.tgz" | cut -c1-64)
	mkdir -p "$ROOT/plain" "$ROOT/checked"
	run -0 cp-tar -x --no-sync "$ROOT/plain" < "$CORPUS/good.tgz"
	want=$output
	# through a pipe, the digest in capitals as some tools print it
	run -0 bash -c 'cat "$1" | cp-tar -x --no-sync --sha256 "$2" "$3"' _ "$CORPUS/good.tgz" "${sum^^}" "$ROOT/checked"
	[ "$output" = "$want" ]
	[ "$(tree_state "$ROOT/checked")" = "$(tree_state "$ROOT/plain")" ]
	# another archive's digest: nothing extracted, the digest read is said
	before=$(tree_state "$ROOT")
	other=$(sha256sum < "$CORPUS/two-mib.tgz" | cut -c1-64)
	for threads in 1 2; do
		CP_TAR_THREADS=$threads run --separate-stderr -2 cp-tar -x --sha256 "$other" "$DEST" < "$CORPUS/good.tgz"
		[ -z "$output" ]
		[ "$stderr" = "cp-tar: archive digest mismatch: expected $other, got $sum (nothing extracted)" ]
		[ "$(tree_state "$ROOT")" = "$before" ]
	done
	run --separate-stderr -2 cp-tar -x --sha256 "${sum:1}" "$DEST" < "$CORPUS/good.tgz"
	[ "$stderr" = "cp-tar: --sha256: not a SHA-256 digest (64 hex digits): ${sum:1}" ]
	run --separate-stderr -2 cp-tar -x --sha256 "${sum:1}g" "$DEST" < "$CORPUS/good.tgz"
	run --separate-stderr -2 cp-tar -t --sha256 "$sum" < "$CORPUS/good.tgz"
	[ "$stderr" = "cp-tar: --force, --no-sync and --sha256 need -x" ]
	[ "$(tree_state "$ROOT")" = "$before" ]
}
