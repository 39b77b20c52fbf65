#!/usr/bin/env bats
# cp-tar (issue 21): staging directories left by killed extractions are
# removed by the next one, never a live one's; names come back byte for
# byte (an NFD name stays NFD, as GNU tar reads it); a pax global header
# that names a path is refused; a directory that only looks like a staging
# directory (no marker) is never removed, and an archive may not use the
# staging names.  Independent answers: GNU tar, Python's
# tarfile, od.
# SPDX-License-Identifier: ISC

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	DEST="$BATS_TEST_TMPDIR/dest"
	mkdir -p "$DEST" src/a src/b
	head -c 2097152 /dev/urandom > src/a/big.bin	# incompressible: the stream stays 2 MiB
	printf 'small\n' > src/b/small.md
	cp-tar -c -C src/a -f big.tgz big.bin
	cp-tar -c -C src/b -f small.tgz small.md
}

stages() { find "$DEST" -maxdepth 1 -name '.cp-tar-*' | LC_ALL=C sort; }

# Start an extraction of big.tgz into DEST fed by a FIFO, give it the first
# MiB and wait until its staging directory holds part of big.bin.  Sets PID;
# the FIFO stays open on fd 7 (not 3: bats reports there).
start_blocked() {
	mkfifo feed
	cp-tar -x "$DEST" < feed > blocked.out 2> blocked.err &
	PID=$!
	exec 7> feed
	head -c 1048576 big.tgz >&7
	for i in $(seq 100); do
		[ -n "$(find "$DEST" -path '*/.cp-tar-*/big.bin' -size +100k)" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "a staging directory left by a SIGKILLed extraction is removed by the next extraction" {
	start_blocked
	kill -KILL "$PID"
	wait "$PID" || :
	exec 7>&-
	left=$(stages)
	[ -n "$left" ]
	[ -n "$(find "$left" -name big.bin)" ]
	run --separate-stderr -0 cp-tar -x "$DEST" -f small.tgz
	[ "$output" = "$(cd src/b && sha256sum small.md)" ]
	[ "$(stages)" = "" ]
	[ "$(ls -A "$DEST")" = small.md ]
	# one left by an old run that is not a directory, or a name that is not quite ours: left alone
	mkdir "$DEST/.cp-tar-0123456789ab-not" && : > "$DEST/.cp-tar-notours"
	run -0 cp-tar -x "$DEST" --force -f small.tgz
	[ -d "$DEST/.cp-tar-0123456789ab-not" ] && [ -f "$DEST/.cp-tar-notours" ]
}

@test "a running extraction's staging directory survives another extraction into the same directory" {
	start_blocked
	live=$(stages)
	[ -n "$live" ]
	run --separate-stderr -0 cp-tar -x "$DEST" -f small.tgz
	[ "$(stages)" = "$live" ]	# locked: not stale, left alone
	[ -n "$(find "$live" -name big.bin)" ]
	# and the running one finishes as if nothing happened
	tail -c +1048577 big.tgz >&7
	exec 7>&-
	wait "$PID"
	[ "$(cat blocked.out)" = "$(cd src/a && sha256sum big.bin)" ]
	cmp "$DEST/big.bin" src/a/big.bin
	[ "$(stages)" = "" ]
}

@test "an NFD name packed and extracted comes back NFD, byte for byte, as GNU tar reads it" {
	nfd=$(printf 'e\314\201t\303\251')	# e + COMBINING ACUTE, then a precomposed é: mixed
	mkdir -p "n/$nfd"
	printf 'x\n' > "n/$nfd/$nfd.md"
	ln -s "$nfd.md" "n/$nfd/link"
	cp-tar -c -C n --allow-symlinks -f n.tgz "$nfd"
	# GNU tar, the independent reader, sees the bytes packed
	[ "$(tar --quoting-style=literal -tzf n.tgz | od -An -c)" = "$(printf '%s/\n%s/%s.md\n%s/link\n' "$nfd" "$nfd" "$nfd" "$nfd" | od -An -c)" ]
	# cp-tar -t lists them as they are
	run -0 cp-tar -t -f n.tgz
	[[ "$output" == *" $nfd/$nfd.md"$'\n'* ]]
	[[ "$output" == *" $nfd/link -> $nfd.md" ]]
	run -0 cp-tar -x "$DEST" --allow-symlinks -f n.tgz
	[ -f "$DEST/$nfd/$nfd.md" ]
	[ "$(cd "$DEST" && find . -mindepth 1 | LC_ALL=C sort | od -An -c)" = "$(cd n && find . -mindepth 1 | LC_ALL=C sort | od -An -c)" ]
	[ "$(readlink "$DEST/$nfd/link" | od -An -c)" = "$(printf '%s.md\n' "$nfd" | od -An -c)" ]
	# an archive GNU tar wrote (pax) comes back as GNU tar wrote it too
	rm -rf "$DEST" && mkdir "$DEST"
	tar -C n --format=pax -czf gnu.tgz "$nfd/$nfd.md"
	run -0 cp-tar -x "$DEST" -f gnu.tgz
	[ "$(cd "$DEST" && find . -type f | od -An -c)" = "$(printf './%s/%s.md\n' "$nfd" "$nfd" | od -An -c)" ]
}

# A pax archive whose global header ('g') carries the keys in $2 (JSON), then good.txt.
global_archive() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import io, json, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT, pax_headers=json.loads(sys.argv[2])) as t:
    data = b"hello\n"
    ti = tarfile.TarInfo("good.txt")
    ti.size = len(data)
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))
PY
}

@test "a pax global header with a path or linkpath is refused by -t --check and -x" {
	global_archive path.tgz '{"path": "evil.txt"}'
	# The differential: GNU tar 1.34 and Python apply a global path to the entries
	# after it (they read evil.txt), libarchive ignores it (good.txt).
	[ "$(/usr/bin/python3 -c 'import sys, tarfile; print(tarfile.open(sys.argv[1]).getnames())' path.tgz)" = "['evil.txt']" ]
	[ "$(tar -tzf path.tgz)" = evil.txt ]
	run --separate-stderr -2 cp-tar -t --check -f path.tgz
	[[ "$stderr" == "cp-tar: entry 1 "*": pax global header with a path (not supported)" ]]
	run --separate-stderr -2 cp-tar -x "$DEST" -f path.tgz
	[[ "$stderr" == *"pax global header with a path (not supported)" ]]
	[ "$(ls -A "$DEST")" = "" ]
	global_archive link.tgz '{"linkpath": "/etc/passwd"}'
	run --separate-stderr -2 cp-tar -t --check -f link.tgz
	[[ "$stderr" == *"pax global header with a linkpath (not supported)" ]]
	run -2 cp-tar -x "$DEST" -f link.tgz
	[ "$(ls -A "$DEST")" = "" ]
	# a global header without a name means the same to every reader: accepted
	global_archive comment.tgz '{"comment": "made by a test"}'
	run -0 cp-tar -t --check -f comment.tgz
	run -0 cp-tar -x "$DEST" -f comment.tgz
	[ "$(cat "$DEST/good.txt")" = hello ]
}

@test "an entry named by both a GNU long name and a pax path is refused" {
	/usr/bin/python3 - <<'PY'
import gzip, io, tarfile
def blocks(fmt, name):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        ti = tarfile.TarInfo(name)
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"hi\n"))
    return b.getvalue()
gnu = blocks(tarfile.GNU_FORMAT, "g" * 120)       # 'L' header, its data, the entry
pax = blocks(tarfile.PAX_FORMAT, "p\u00e9" * 70)  # 'x' header, its data, the entry
assert gnu[156:157] == b"L" and pax[156:157] == b"x"
# the GNU long name's header and data, then the pax header, its data, its entry and the end
open("both.tgz", "wb").write(gzip.compress(gnu[:1024] + pax))
PY
	# GNU tar takes one of the two names; libarchive may take the other
	run -0 tar -tzf both.tgz
	run --separate-stderr -2 cp-tar -t --check -f both.tgz
	[[ "$stderr" == *"both a GNU long name and a pax path" ]]
	run -2 cp-tar -x "$DEST" -f both.tgz
	[ "$(ls -A "$DEST")" = "" ]
}

# An archive of one file at the path $2 (Python's tarfile), written to $1.
one_entry() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    ti = tarfile.TarInfo(sys.argv[2])
    ti.size = 3
    t.addfile(ti, io.BytesIO(b"hi\n"))
PY
}

@test "a user's directory that merely looks like a staging directory is never removed" {
	mkdir "$DEST/.cp-tar-0123456789ab" "$DEST/.cp-tar-ba9876543210"
	echo mine > "$DEST/.cp-tar-0123456789ab/notes"
	# even with a file of the marker's name but not its content
	echo mine too > "$DEST/.cp-tar-ba9876543210/.cp-tar-stage"
	run --separate-stderr -0 cp-tar -x "$DEST" -f small.tgz
	[ "$(cat "$DEST/.cp-tar-0123456789ab/notes")" = mine ]
	[ "$(cat "$DEST/.cp-tar-ba9876543210/.cp-tar-stage")" = "mine too" ]
	run --separate-stderr -0 cp-tar -x "$DEST" --force -f small.tgz
	[ "$(cat "$DEST/.cp-tar-0123456789ab/notes")" = mine ]
	# one killed before its mark was whole (empty, or only an empty marker): nothing to lose, removed
	mkdir "$DEST/.cp-tar-aaaaaaaaaaaa" "$DEST/.cp-tar-bbbbbbbbbbbb"
	: > "$DEST/.cp-tar-bbbbbbbbbbbb/.cp-tar-stage"
	run --separate-stderr -0 cp-tar -x "$DEST" --force -f small.tgz
	[ ! -e "$DEST/.cp-tar-aaaaaaaaaaaa" ] && [ ! -e "$DEST/.cp-tar-bbbbbbbbbbbb" ]
	[ "$(cat "$DEST/.cp-tar-0123456789ab/notes")" = mine ]
	[ "$(cat "$DEST/.cp-tar-ba9876543210/.cp-tar-stage")" = "mine too" ]
}

@test "an archive entry named like a staging directory (or its marker) is refused by -t --check and -x" {
	for p in .cp-tar-000000000000/x .cp-tar-0123456789ab a/.cp-tar-0123456789ab/x .cp-tar-stage; do
		one_entry bad.tgz "$p"
		[ "$(tar -tzf bad.tgz)" = "$p" ]	# GNU tar reads it as that name
		run --separate-stderr -2 cp-tar -t --check -f bad.tgz
		[[ "$stderr" == "cp-tar: entry 1 '$p': "*"reserved for cp-tar's staging directories" ]]
		run --separate-stderr -2 cp-tar -x "$DEST" -f bad.tgz
		[[ "$stderr" == *"reserved for cp-tar's staging directories" ]]
		[ "$(ls -A "$DEST")" = "" ]
	done
	# a name that is not quite one is an ordinary name
	one_entry ok.tgz .cp-tar-0123456789AB/x
	run -0 cp-tar -x "$DEST" -f ok.tgz
	[ "$(cat "$DEST/.cp-tar-0123456789AB/x")" = hi ]
}
