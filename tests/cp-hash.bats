#!/usr/bin/env bats
# cp-hash: known answers, sha256sum compatibility, -c, the cache, parallelism, errors.
# SPDX-License-Identifier: ISC

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

vector() { # description -> expected digest from the NIST vector file
	awk -F'\t' -v d="$1" '$1 == d { print $2 }' "$DATA/sha256-nist.txt"
}

@test "known answers from the NIST vectors" {
	run -0 cp-hash < /dev/null
	[ "$output" = "$(vector empty)  -" ]
	run -0 bash -c 'printf abc | cp-hash'
	[ "$output" = "$(vector abc)  -" ]
	run -0 bash -c 'printf abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq | cp-hash'
	[ "$output" = "$(vector '448-bit abcdbcde...nopq')  -" ]
	run -0 bash -c "head -c 1000000 /dev/zero | tr '\\0' a | cp-hash"
	[ "$output" = "$(vector '1000000 x a')  -" ]
	run -0 bash -c 'printf %s abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu | cp-hash'
	[ "$output" = "$(vector '896-bit abcdefghbcdefghi...')  -" ]
}

@test "the vector file has the five expected answers" {
	[ "$(grep -vc '^#' "$DATA/sha256-nist.txt")" -eq 5 ]
}

@test "same output as sha256sum at block boundaries and for odd names" {
	for n in 0 1 55 56 63 64 65 1048577; do
		head -c "$n" /dev/urandom > "size$n"
	done
	printf 'x' > 'with space'
	printf 'y' > $'new\nline'
	printf 'z' > 'back\slash'
	printf 'w' > $'carriage\rreturn'
	printf 'u' > 'ünïcødé-€'
	run -0 cp-hash -- *
	[ "$output" = "$(sha256sum -- *)" ]
	run -0 cp-hash -j1 -- *
	[ "$output" = "$(sha256sum -- *)" ]
}

@test "standard input, - and operands agree" {
	printf 'hello\n' > f
	a=$(cp-hash < f)
	b=$(cp-hash - < f)
	c=$(cp-hash f)
	[ "$a" = "${c%  f}  -" ]
	[ "$a" = "$b" ]
	[ "$c" = "$(sha256sum f)" ]
}

@test "empty input and an empty list" {
	run -0 cp-hash < /dev/null
	[ "$output" = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -" ]
	run -0 cp-hash -T /dev/null
	[ -z "$output" ]
	: > empty
	run -0 cp-hash empty
	[ "$output" = "$(sha256sum empty)" ]
}

@test "a missing file: warned, the others still hashed, status 2" {
	echo a > a
	echo c > c
	run --separate-stderr -2 cp-hash a missing c
	[ "$output" = "$(sha256sum a c)" ]
	[ "$stderr" = "cp-hash: missing: No such file or directory" ]
}

@test "a directory operand is an error, not a crash" {
	mkdir d
	run --separate-stderr -2 cp-hash d
	[ -z "$output" ]
	[ "$stderr" = "cp-hash: d: Is a directory" ]
}

@test "bad usage exits 2 with a usage message on stderr" {
	run --separate-stderr -2 cp-hash --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: cp-hash"* ]]
	run -2 cp-hash -j 0 /dev/null
	run -2 cp-hash -j many /dev/null
	run -2 cp-hash --quiet /dev/null
	run -2 cp-hash --full /dev/null
	run -2 cp-hash -c --cache x /dev/null
}

@test "--help and --version go to stdout and exit 0" {
	run --separate-stderr -0 cp-hash --help
	[[ "$output" == "usage: cp-hash"* ]]
	[ -z "$stderr" ]
	run -0 cp-hash --version
	[[ "$output" == "cp-hash (Control Plane v2 in C) "* ]]
}

@test "a write error on stdout is reported and exits 2" {
	echo data > f
	run --separate-stderr -2 bash -c 'cp-hash f > /dev/full'
	[[ "$stderr" == *"cp-hash: write error: No space left on device"* ]]
	run -2 bash -c 'cp-hash -c /dev/null > /dev/full'
}

@test "lists of names: newline-separated, NUL-separated with -0, operands first" {
	echo 1 > one
	echo 2 > 'two words'
	printf 'n' > $'line\nbreak'
	printf 'one\ntwo words\n\n' > list
	run -0 cp-hash -T list
	[ "$output" = "$(sha256sum one 'two words')" ]
	run -0 bash -c "printf 'one\0line\nbreak\0' | cp-hash -0 -T - 'two words'"
	[ "$output" = "$(sha256sum 'two words' one $'line\nbreak')" ]
	run -2 bash -c "printf 'a\0b\n' | cp-hash -T -"
	[[ "$output" == *"holds a NUL byte"* ]]
}

@test "standard input cannot be used twice" {
	run -2 bash -c 'echo x | cp-hash - -'
	run -2 bash -c 'printf -- "-\n" | cp-hash -T -'
}

@test "--json lines parse with jq and agree with sha256sum and stat" {
	head -c 1000 /dev/urandom > f1
	printf 'q' > $'we\x01ird "name"'
	run -0 cp-hash --json f1 $'we\x01ird "name"'
	[ "$(jq -r .sha256 <<<"${lines[0]}")" = "$(sha256sum f1 | cut -c1-64)" ]
	[ "$(jq -r .size <<<"${lines[0]}")" -eq 1000 ]
	[ "$(jq -r .path <<<"${lines[1]}")" = $'we\x01ird "name"' ]
	[ "$(jq -r .cached <<<"${lines[1]}")" = false ]
	[ "$(jq -s length <<<"$output")" -eq 2 ]
}

@test "--json keeps a non-UTF-8 name parseable" {
	printf 'x' > $'bad\xffname'
	run -0 cp-hash --json $'bad\xffname'
	jq -e '.path == "bad\ufffdname"' <<<"$output"
}

@test "-c: every file matches, as sha256sum -c agrees" {
	for f in a b 'c d'; do echo "$f" > "$f"; done
	sha256sum a b 'c d' > SUMS
	run -0 cp-hash -c SUMS
	[ "$output" = "$(sha256sum -c SUMS)" ]
	cp-hash a b 'c d' > OURS
	run -0 sha256sum -c OURS
	run -0 cp-hash -c < SUMS
	run -0 cp-hash -c --quiet SUMS
	[ -z "$output" ]
}

@test "-c: one changed byte is a mismatch that names the file, status 1" {
	for f in a b c; do echo "$f" > "$f"; done
	sha256sum a b c > SUMS
	printf 'B\n' > b
	run --separate-stderr -1 cp-hash -c SUMS
	[ "${lines[1]}" = "b: FAILED" ]
	[ "${lines[0]}" = "a: OK" ]
	[[ "$stderr" == *"1 computed checksum did NOT match"* ]]
	run -1 cp-hash -c --status SUMS
	[ -z "$output" ]
	run --separate-stderr -1 cp-hash -c --json SUMS
	jq -se 'map(select(.path == "b"))[0] | .status == "mismatch" and .actual != .expected' <<<"$output"
}

@test "-c: a missing file is status 1" {
	echo a > a
	sha256sum a > SUMS
	rm a
	run --separate-stderr -1 cp-hash -c SUMS
	[ "$output" = "a: FAILED open or read" ]
	[[ "$stderr" == *"a: No such file or directory"* ]]
	run --separate-stderr -1 cp-hash -c --json SUMS
	jq -e '.status == "missing" and .actual == null' <<<"$output"
}

@test "-c: a garbage line is status 2 and names the line; the rest is still checked" {
	echo a > a
	{ sha256sum a; echo 'this is not a checksum line'; } > SUMS
	run --separate-stderr -2 cp-hash -c SUMS
	[ "$output" = "a: OK" ]
	[[ "$stderr" == *"SUMS:2: malformed checksum line"* ]]
	printf '' > EMPTY
	run -2 cp-hash -c EMPTY
	run -2 cp-hash -c no-such-sums-file
}

@test "-c: escaped names and the BSD tag format" {
	printf '1' > $'new\nline'
	printf '2' > 'back\slash'
	printf '3' > $'cr\rlf\nboth'
	printf '4' > $'only\rcr'
	sha256sum $'new\nline' 'back\slash' $'cr\rlf\nboth' $'only\rcr' > SUMS
	run -0 cp-hash -c SUMS
	[ "$output" = "$(sha256sum -c SUMS)" ]
	printf 'SHA256 (%s) = %s\n' 'back\slash' "$(sha256sum < 'back\slash' | cut -c1-64)" > TAGS
	run -0 cp-hash -c TAGS
}

@test "-c: the Python tools' bare sidecar (64 hex, no newline, no name)" {
	head -c 5000 /dev/urandom > pkg.tar.gz
	sha256sum pkg.tar.gz | cut -c1-64 | tr -d '\n' > pkg.tar.gz.sha256
	[ "$(wc -c < pkg.tar.gz.sha256)" -eq 64 ]
	run -0 cp-hash -c pkg.tar.gz.sha256
	[ "$output" = "pkg.tar.gz: OK" ]
	printf 'x' >> pkg.tar.gz
	run --separate-stderr -1 cp-hash -c pkg.tar.gz.sha256
	[ "$output" = "pkg.tar.gz: FAILED" ]
	# from standard input it names no file
	run -2 cp-hash -c < pkg.tar.gz.sha256
	# and a digest followed by more lines is just a malformed line
	{ cat pkg.tar.gz.sha256; echo; sha256sum pkg.tar.gz; } > mixed.sha256
	run -2 cp-hash -c mixed.sha256
}

@test "parallel hashing keeps input order and equals -j1" {
	for i in $(seq 1 300); do head -c $((i * 37)) /dev/urandom > "f$i"; done
	ls f* | sort -R > list
	run -0 cp-hash -j4 -T list
	[ "$output" = "$(cp-hash -j1 -T list)" ]
	[ "$output" = "$(xargs sha256sum < list)" ]
}

# The cache rules: a hit needs device, inode, size, mtime and ctime equal, and
# the entry must be older than the second in which the cache was written.
cache_stats() {
	cp-hash --cache cache --stats "$@" 2>&1 >/dev/null | tail -n 1
}

@test "cache: unchanged files are not read again" {
	for i in 1 2 3; do echo "file $i" > "f$i"; done
	sleep 1.1    # the files' times now lie in an earlier second than the cache write
	[ "$(cache_stats f1 f2 f3)" = "cp-hash: 3 files, 3 hashed, 0 cached" ]
	[ "$(cache_stats f1 f2 f3)" = "cp-hash: 3 files, 0 hashed, 3 cached" ]
	run -0 cp-hash --cache cache --json f1 f2 f3
	[ "$(jq -s 'map(select(.cached)) | length' <<<"$output")" -eq 3 ]
	[ "$(cp-hash --cache cache f1 f2 f3)" = "$(sha256sum f1 f2 f3)" ]
}

@test "cache: a change of content is seen, even with size and mtime restored" {
	echo "aaaa" > f
	touch -d '2020-01-01 00:00:00.123456789' f
	sleep 1.1
	cache_stats f >/dev/null
	[ "$(cache_stats f)" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
	echo "bbbb" > f     # same size
	touch -d '2020-01-01 00:00:00.123456789' f
	[ "$(cache_stats f)" = "cp-hash: 1 file, 1 hashed, 0 cached" ]
	[ "$(cp-hash --cache cache f)" = "$(sha256sum f)" ]
}

@test "cache: racy entries (changed in the second the cache was written) are rehashed" {
	echo one > f
	# The cache is written in the same second as f's last change: racy.
	cache_stats f >/dev/null
	if [ "$(stat -c %Z f)" = "$(stat -c %Y cache)" ]; then
		[ "$(cache_stats f)" = "cp-hash: 1 file, 1 hashed, 0 cached" ]
	fi
	sleep 1.1
	cache_stats f >/dev/null   # rewritten in a later second: no longer racy
	[ "$(cache_stats f)" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
}

@test "cache: --full rehashes everything" {
	echo x > f; echo y > g
	sleep 1.1
	cache_stats f g >/dev/null
	[ "$(cp-hash --cache cache --full --stats f g 2>&1 >/dev/null)" = "cp-hash: 2 files, 2 hashed, 0 cached" ]
}

@test "cache: a corrupt cache is ignored with a warning and rewritten" {
	echo x > f
	sleep 1.1
	cache_stats f >/dev/null
	sed -i '2s/^./9/' cache
	run --separate-stderr -0 cp-hash --cache cache f
	[ "$output" = "$(sha256sum f)" ]
	# a changed record fails the cache's MAC (issue 21: it was "is corrupt", a plain checksum)
	[[ "$stderr" == *"cache cache fails its MAC check (forged, corrupt, or written under another user's key); hashing without it"* ]]
	[ "$(cache_stats f)" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
	# a truncated cache too
	head -n 1 cache > c2 && mv c2 cache
	run --separate-stderr -0 cp-hash --cache cache f
	[[ "$stderr" == *"is corrupt"* ]]
}

@test "cache: a foreign file is never trusted nor overwritten" {
	echo x > f
	echo 'precious notes' > notes.txt
	run --separate-stderr -0 cp-hash --cache notes.txt f
	[ "$output" = "$(sha256sum f)" ]
	[[ "$stderr" == *"is not a cp-hash cache"* ]]
	[ "$(cat notes.txt)" = "precious notes" ]
}

# --- the cache's MAC: the per-user state key ($XDG_STATE_HOME/cp/state.key) ---

key() { printf '%s\n' "$XDG_STATE_HOME/cp/state.key"; }

# The forgery of issue 21, as whoever can write the cache but not read the
# key would make it: f's record given f's new stat but its old digest, the
# trailer's plain SHA-256 recomputed over every byte before it.  $1: the
# magic line to write (the cache's own, or version 1's).
forge_cache() {
	python3 -c '
import hashlib, os, sys
magic, name, cache = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(cache).read().splitlines()
st = os.stat(name)
recs = []
for l in lines[1:-1]:
    dev, ino, size, mt, ct, digest = l.split()
    if int(ino) == st.st_ino:
        l = "%d %d %d %d %d %s" % (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest)
    recs.append(l)
body = magic + "\n" + "".join(r + "\n" for r in recs)
body += "end %d %s\n" % (len(recs), hashlib.sha256(body.encode()).hexdigest())
open(cache, "w").write(body)' "$1" "$2" cache
}

@test "cache: the state key is made on first use, 0600 in a 0700 directory, and kept" {
	echo x > f
	[ ! -e "$(key)" ]
	run --separate-stderr -0 cp-hash --cache cache f
	[ "$stderr" = "" ]
	[ "$(stat -c '%a %u %F' "$(key)")" = "600 $(id -u) regular file" ]
	[ "$(stat -c %a "$XDG_STATE_HOME/cp")" = 700 ]
	grep -Eqx '[0-9a-f]{64}' "$(key)"
	[ "$(wc -c < "$(key)")" -eq 65 ]
	cp "$(key)" key.before
	sleep 1.1
	cp-hash --cache cache f > /dev/null
	cmp "$(key)" key.before
	[ "$(cache_stats f)" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
	# the trailer is the HMAC-SHA256 of the bytes before it under that key (Python's hmac)
	/usr/bin/python3 -c '
import hmac, sys
b = open("cache", "rb").read()
body, last = b[:b.rindex(b"end ")], b[b.rindex(b"end "):].split()
key = bytes.fromhex(open(sys.argv[1]).read())
assert body.startswith(b"cp-hash-cache 2\n"), body[:20]
assert last[2].decode() == hmac.new(key, body, "sha256").hexdigest()' "$(key)"
	# without XDG_STATE_HOME: under $HOME/.local/state
	XDG_STATE_HOME= HOME=$BATS_TEST_TMPDIR/home cp-hash --cache cache f > /dev/null
	[ "$(stat -c %a home/.local/state/cp/state.key)" = 600 ]
}

@test "cache: a forged record (old digest, new stat, plain trailer recomputed) is detected" {
	echo original > f
	sleep 1.1
	cp-hash --cache cache f > /dev/null
	want_old=$(sha256sum f)
	echo modified > f
	sleep 1.1	# not racy: the forged cache is written in a later second than f's change
	forge_cache "cp-hash-cache 2" f
	run --separate-stderr -0 cp-hash --cache cache f
	[ "$output" = "$(sha256sum f)" ]
	[ "$output" != "$want_old" ]
	[[ "$stderr" == *"cache cache fails its MAC check (forged, corrupt, or written under another user's key); hashing without it"* ]]
	# rewritten under the key: trusted again, without a warning
	sleep 1.1
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[ "$stderr" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
	# the same forgery in the unkeyed format of before: as if there were no cache, no warning
	echo modified again > f
	sleep 1.1
	forge_cache "cp-hash-cache 1" f
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[ "$output" = "$(sha256sum f)" ]
	[ "$stderr" = "cp-hash: 1 file, 1 hashed, 0 cached" ]
	head -n 1 cache | grep -qx 'cp-hash-cache 2'
}

@test "cache: a state key that is a symlink, not 0600, a FIFO or not a key is refused: no cache" {
	echo x > f
	sleep 1.1
	cp-hash --cache cache f > /dev/null
	cp "$(key)" real.key
	chmod 600 real.key
	ln -sf "$BATS_TEST_TMPDIR/real.key" "$(key)"
	cp cache cache.before
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[ "$output" = "$(sha256sum f)" ]
	[[ "$stderr" == *"cache cache not used: $(key): refused: the state key is a symbolic link"* ]]
	[[ "$stderr" == *"1 file, 1 hashed, 0 cached"* ]]
	cmp cache cache.before	# neither read nor written
	[ -L "$(key)" ]
	rm "$(key)"; cp real.key "$(key)"; chmod 644 "$(key)"
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[[ "$stderr" == *"refused: the state key's mode is 0644, not 0600"* ]]
	[[ "$stderr" == *"1 file, 1 hashed, 0 cached"* ]]
	rm "$(key)"; mkfifo -m 600 "$(key)"
	run --separate-stderr -0 timeout 10 cp-hash --cache cache --stats f
	[[ "$stderr" == *"refused: the state key is not a regular file"* ]]
	rm "$(key)"; printf 'short\n' > "$(key)"; chmod 600 "$(key)"
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[[ "$stderr" == *"refused: not a state key"* ]]
	# the key's directory writable by others: whoever can write it can swap the key
	rm "$(key)"; cp real.key "$(key)"; chmod 600 "$(key)"; chmod 777 "$XDG_STATE_HOME/cp"
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[[ "$stderr" == *"must be yours and writable by you alone"* ]]
	chmod 700 "$XDG_STATE_HOME/cp"
	run --separate-stderr -0 cp-hash --cache cache --stats f
	[ "$stderr" = "cp-hash: 1 file, 0 hashed, 1 cached" ]
}

@test "cache: a state home that cannot be made (read-only) means no cache and a warning" {
	echo x > f
	: > afile
	run --separate-stderr -0 env XDG_STATE_HOME="$BATS_TEST_TMPDIR/afile/state" cp-hash --cache cache --stats f
	[ "$output" = "$(sha256sum f)" ]
	[[ "$stderr" == *"cache cache not used: cannot make $BATS_TEST_TMPDIR/afile/state for the state key: Not a directory"* ]]
	[[ "$stderr" == *"1 file, 1 hashed, 0 cached"* ]]
	[ ! -e cache ]
	mkdir ro && chmod 555 ro
	[ -w ro ] && skip "running as root: a 0555 directory is writable"
	run --separate-stderr -0 env XDG_STATE_HOME="$BATS_TEST_TMPDIR/ro/state" cp-hash --cache cache --stats f
	[[ "$stderr" == *"cache cache not used: cannot make $BATS_TEST_TMPDIR/ro/state for the state key: Permission denied"* ]]
	[ ! -e cache ]
}

@test "cache: runs that make the state key at once agree on one key" {
	for i in 1 2 3 4 5 6; do echo "$i" > "f$i"; done
	for i in 1 2 3 4 5 6; do cp-hash --cache "c$i" "f$i" > "o$i" 2> "e$i" & done
	wait
	for i in 1 2 3 4 5 6; do [ ! -s "e$i" ] && [ "$(cat "o$i")" = "$(sha256sum "f$i")" ]; done
	[ "$(ls -A "$XDG_STATE_HOME/cp")" = state.key ]	# no temporary file left
	[ "$(stat -c %a "$XDG_STATE_HOME/cp/state.key")" = 600 ]
	# every cache carries the MAC of that one key
	for i in 1 2 3 4 5 6; do
		/usr/bin/python3 -c '
import hmac, sys
b = open(sys.argv[1], "rb").read()
at = b.rindex(b"end ")
key = bytes.fromhex(open(sys.argv[2]).read())
assert b[at:].split()[2].decode() == hmac.new(key, b[:at], "sha256").hexdigest()' "c$i" "$XDG_STATE_HOME/cp/state.key"
	done
}

@test "progress: a meter on a terminal (script -qc), none in a pipe or with -q; --progress forces it" {
	command -v script > /dev/null || skip "script(1) is not installed"
	head -c 3000000 /dev/urandom > a
	head -c 1000000 /dev/urandom > b
	want=$(sha256sum a b)
	# the meter on stderr, a terminal; the sums on stdout, a file, intact
	run -0 script -qec "cp-hash a b > sums" /dev/null < /dev/null
	[[ $output =~ cp-hash:\ 3\.8\ MiB\ +[0-9.]+\ (B|KiB|MiB|GiB)/s\ +100%\ +[0-9.]+\ s ]]
	[ "$(cat sums)" = "$want" ]
	# stdout the same terminal: the meter makes way, every line whole
	run -0 script -qec "cp-hash a b" /dev/null < /dev/null
	[[ $output == *"$(sha256sum a)"* && $output == *"$(sha256sum b)"* ]]
	run -0 script -qec "cp-hash -c sums" /dev/null < /dev/null
	[[ $output == *"a: OK"* && $output == *"3.8 MiB"*" s"* ]]	# -c: no total known ahead
	# -q: no meter (and with -c, no OK lines)
	run -0 script -qec "cp-hash -q a b > /dev/null" /dev/null < /dev/null
	[ -z "$output" ]
	run -0 script -qec "cp-hash -c -q sums" /dev/null < /dev/null
	[ -z "$output" ]
	# a pipe: silence; --progress forces the meter (no total for standard input)
	run --separate-stderr -0 cp-hash a b
	[ -z "$stderr" ]
	[ "$output" = "$want" ]
	run --separate-stderr -0 cp-hash --progress - < a
	[[ $stderr == *"cp-hash: 2.9 MiB"*/s* && $stderr != *%* ]]	# slower builds draw earlier lines first
	run --separate-stderr -2 cp-hash --progress -q a
	[ "$stderr" = "cp-hash: --progress and -q exclude each other" ]
	# cached files count as done
	cp-hash --cache c a b > /dev/null
	run --separate-stderr -0 cp-hash --progress --cache c a b
	[[ $stderr == *"3.8 MiB"*"100%"* ]]
}

@test "SIGINT: cp-hash stops at once with status 130, and its cache is never left half-written" {
	mkfifo feed
	/usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' cp-hash --cache c feed > out & pid=$!
	exec 7> feed
	head -c 5000000 /dev/zero >&7
	sleep 0.3
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	exec 7>&-
	[ "$st" -eq 130 ]
	[ ! -s out ]
	[ -z "$(ls -A | grep -v '^feed$\|^out$\|^xdg-state$')" ]	# no cache, no temporary file (xdg-state: the state key's home)
}
