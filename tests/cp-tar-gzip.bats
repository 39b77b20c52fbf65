#!/usr/bin/env bats
# cp-tar's gzip reader (lib/tar/gzin, ISA-L's inflate or zlib's): every
# shape of gzip that gzip(1) accepts is read to the same files as GNU tar
# extracts, by -t --json and by -x; what gzip refuses, cp-tar refuses.
# Members are written by Python's zlib, headers and trailers by hand.
# SPDX-License-Identifier: ISC

load helper

setup_file() {
	local src=$BATS_FILE_TMPDIR/src
	mkdir -p "$src/docs/sub"
	printf 'alpha\n' > "$src/docs/a.md"
	seq 1 20000 > "$src/docs/sub/numbers.txt"
	head -c 200000 /dev/urandom > "$src/noise.bin"
	: > "$src/docs/empty"
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=ustar \
		-C "$src" -cf "$BATS_FILE_TMPDIR/a.tar" docs noise.bin
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=ustar \
		-C "$src" -cf "$BATS_FILE_TMPDIR/small.tar" docs/a.md
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	TAR=$BATS_FILE_TMPDIR/a.tar
}

# gzipped IN OUT [WORD...]: IN as gzip, its members and headers as the words say:
# members=N (N members, cut at even offsets), extra name comment hcrc reserved,
# badhcrc badcrc badisize (in the first member), garbage (a byte after the end).
gzipped() {
	python3 - "$@" <<'EOF'
import struct, sys, zlib
src, out, words = sys.argv[1], sys.argv[2], sys.argv[3:]
opts = dict(w.split("=") if "=" in w else (w, "1") for w in words)
data = open(src, "rb").read()
n = int(opts.get("members", "1"))
cuts = [len(data) * i // n for i in range(n + 1)]
def member(body, first):
    flg = 0
    fields = b""
    if "extra" in opts:
        flg |= 4
        fields += struct.pack("<H", 6) + b"cp\x02\x00hi"
    if "name" in opts:
        flg |= 8
        fields += b"a.tar\x00"
    if "comment" in opts:
        flg |= 16
        fields += b"packed by hand\x00"
    if "reserved" in opts:
        flg |= 0x20
    hdcrc = "hcrc" in opts or "badhcrc" in opts
    if hdcrc:
        flg |= 2
    head = b"\x1f\x8b\x08" + bytes([flg]) + b"\x00\x00\x00\x00\x00\x03" + fields
    if hdcrc:
        crc16 = zlib.crc32(head) & 0xffff
        if first and "badhcrc" in opts:
            crc16 ^= 1
        head += struct.pack("<H", crc16)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = c.compress(body) + c.flush()
    crc, size = zlib.crc32(body), len(body) & 0xffffffff
    if first and "badcrc" in opts:
        crc ^= 0x100
    if first and "badisize" in opts:
        size ^= 1
    return head + raw + struct.pack("<II", crc, size)
blob = b"".join(member(data[cuts[i]:cuts[i + 1]], i == 0) for i in range(n))
if "garbage" in opts:
    blob += b"\x00"
open(out, "wb").write(blob)
EOF
}

# sha256sum lines of every file under a directory, in bytewise path order.
sums_of() {
	(cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs -r sha256sum)
}

# as_gnu ARCHIVE: cp-tar -t --json and -x find the files GNU tar extracts, byte for byte.
as_gnu() {
	rm -rf gnu ours && mkdir gnu ours
	tar -xzf "$1" -C gnu
	run -0 cp-tar -x ours < "$1"
	[ "$(sums_of ours)" = "$(sums_of gnu)" ]
	run -0 cp-tar -t --json < "$1"
	[ "$(jq -r 'select(.type == "file") | "\(.sha256)  \(.path)"' <<<"$output" | LC_ALL=C sort -k2)" = \
		"$(sums_of gnu)" ]
	[ "$(sums_of gnu | wc -l)" -eq 4 ]
}

# refused_as ARCHIVE MESSAGE [gzip-passes]: gzip -t refuses it too (unless
# told: it ignores trailing garbage); cp-tar -t and -x say MESSAGE (a prefix,
# after the entry being read, if any) and extract nothing.
refused_as() {
	[ "${3-}" = gzip-passes ] || run ! gzip -t < "$1"
	run --separate-stderr -2 cp-tar -t --json < "$1"
	[[ "$stderr" =~ ^cp-tar:\ (entry\ [0-9]+\ \'[^\']*\':\ )?"$2" ]] || { echo "got: $stderr"; return 1; }
	rm -rf dest && mkdir dest
	run --separate-stderr -2 cp-tar -x dest < "$1"
	[[ "$stderr" =~ ^cp-tar:\ (entry\ [0-9]+\ \'[^\']*\':\ )?"$2" ]] || { echo "got: $stderr"; return 1; }
	[ -z "$(ls -A dest)" ]
}

@test "one member, as gzip(1) writes it, and as Python's zlib does" {
	gzip -c < "$TAR" > a.tgz
	as_gnu a.tgz
	gzipped "$TAR" b.tgz
	as_gnu b.tgz
}

@test "concatenated members are one stream, cut anywhere (inside a header, inside a file)" {
	for n in 2 3 7 40; do
		gzipped "$TAR" m.tgz members=$n
		as_gnu m.tgz
	done
	# gzip(1)'s own members, one of them empty
	{ head -c 5000 "$TAR" | gzip -c; gzip -c < /dev/null; tail -c +5001 "$TAR" | gzip -9c; } > g.tgz
	as_gnu g.tgz
}

@test "every gzip header flag: FEXTRA, FNAME, FCOMMENT, FHCRC, alone and together, in every member" {
	for flags in extra name comment hcrc "extra name comment hcrc"; do
		# shellcheck disable=SC2086
		gzipped "$TAR" f.tgz members=3 $flags
		as_gnu f.tgz
	done
}

@test "a header that arrives in pieces through a pipe (ISA-L 2.30's own header reader refuses its FHCRC)" {
	gzipped "$TAR" f.tgz members=2 extra name comment hcrc
	run -0 bash -c '{ head -c 7; sleep 0.2; head -c 9; sleep 0.2; cat; } < f.tgz | cp-tar -t --json'
	[ "${#lines[@]}" -eq 6 ]
}

@test "a wrong header CRC, data CRC or length, a reserved flag: refused, as gzip refuses them" {
	gzipped "$TAR" x.tgz hcrc badhcrc
	refused_as x.tgz "gzip data is corrupt (header crc mismatch)"
	gzipped "$TAR" x.tgz badcrc
	refused_as x.tgz "gzip data is corrupt ("
	gzipped "$TAR" x.tgz badisize
	refused_as x.tgz "gzip data is corrupt ("
	# in the first of three members: checked per member, not only at the end
	gzipped "$TAR" x.tgz members=3 badcrc
	refused_as x.tgz "gzip data is corrupt ("
	gzipped "$TAR" x.tgz members=3 badisize
	refused_as x.tgz "gzip data is corrupt ("
	gzipped "$TAR" x.tgz reserved
	refused_as x.tgz "gzip data is corrupt (unknown header flags set)"
}

@test "a small member cut at every offset: refused by -t and -x (status 2, never a crash), as gzip refuses it" {
	gzip -nc < "$BATS_FILE_TMPDIR/small.tar" > s.tgz
	size=$(stat -c %s s.tgz)
	[ "$size" -lt 400 ]
	for ((cut = 0; cut < size; cut++)); do
		head -c "$cut" s.tgz > cut.tgz
		run ! gzip -t < cut.tgz
		run --separate-stderr cp-tar -t --json < cut.tgz
		[ "$status" -eq 2 ] || { echo "-t, cut at $cut: status $status: $stderr"; return 1; }
		rm -rf dest && mkdir dest
		run --separate-stderr cp-tar -x dest < cut.tgz
		[ "$status" -eq 2 ] || { echo "-x, cut at $cut: status $status: $stderr"; return 1; }
		[ -z "$(ls -A dest)" ]
		case $cut in
		0) [ "$stderr" = "cp-tar: empty input, not gzip data" ] ;;
		1) [ "$stderr" = "cp-tar: not gzip data" ] ;;
		*) [[ "$stderr" == *"gzip data is truncated" ]] || { echo "cut at $cut: $stderr"; return 1; } ;;
		esac
	done
}

@test "anything after the last member is trailing garbage, even zeros" {
	gzipped "$TAR" t.tgz members=2 garbage
	refused_as t.tgz "trailing garbage after the gzip data" gzip-passes
	gzip -c < "$TAR" > t.tgz
	head -c 1024 /dev/zero >> t.tgz
	refused_as t.tgz "trailing garbage after the gzip data" gzip-passes
}

@test "a bomb in many members is stopped by the ratio cap; --max-ratio 0 lets it through" {
	head -c 30000000 /dev/zero > zeros
	tar -cf z.tar zeros
	gzipped z.tar z.tgz members=5
	run --separate-stderr -2 cp-tar -t < z.tgz
	[ "$stderr" = "cp-tar: entry 1 'zeros': compression ratio over 200:1 (a decompression bomb?)" ]
	mkdir dest
	run --separate-stderr -2 cp-tar -x dest < z.tgz
	[ "$stderr" = "cp-tar: entry 1 'zeros': compression ratio over 200:1 (a decompression bomb?)" ]
	run -0 cp-tar -t --json --max-ratio 0 < z.tgz
	[ "$(jq -r .sha256 <<<"$output")" = "$(sha256sum < zeros | cut -c1-64)" ]
}

# same_both_ways ARCHIVE: cp-tar -t --json and -x say the same (status, stdout,
# stderr) inflating on a thread ahead of the reader (the default) and in the
# reader (CP_TAR_THREADS=1): the pieces are the same, so is every message.
same_both_ways() {
	local mode out1 out2
	for mode in t x; do
		rm -rf d1 d2 && mkdir d1 d2
		if [ $mode = t ]; then
			run --separate-stderr cp-tar -t --json < "$1"
		else
			run --separate-stderr cp-tar -x d1 < "$1"
		fi
		out1="$status|$output|$stderr"
		if [ $mode = t ]; then
			CP_TAR_THREADS=1 run --separate-stderr cp-tar -t --json < "$1"
		else
			CP_TAR_THREADS=1 run --separate-stderr cp-tar -x d2 < "$1"
		fi
		out2="$status|$output|$stderr"
		[ "$out1" = "$out2" ] || { printf 'ahead:  %s\ninline: %s\n' "$out1" "$out2"; return 1; }
		[ "$(sums_of d1)" = "$(sums_of d2)" ]
	done
}

@test "inflating on a thread ahead and in the reader (CP_TAR_THREADS=1): the same files, output and messages" {
	# Big enough for the ring to fill: 16 pieces of 128 KiB.
	head -c 3000000 /dev/urandom > big.bin
	seq 1 400000 > big.txt
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf big.tar big.bin big.txt
	gzipped big.tar ok.tgz members=5
	same_both_ways ok.tgz
	run -0 cp-tar -t --json < ok.tgz
	[ "${#lines[@]}" -eq 2 ]
	size=$(stat -c %s ok.tgz)
	for cut in 30 70000 1500000 $((size / 2)) $((size - 9)); do
		head -c "$cut" ok.tgz > cut.tgz
		same_both_ways cut.tgz
	done
	for word in badcrc badisize garbage; do
		gzipped big.tar bad.tgz members=3 $word
		same_both_ways bad.tgz
	done
	# a flipped byte in the middle of the deflate data
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0x40; open(sys.argv[2], "wb").write(b)' ok.tgz flip.tgz
	same_both_ways flip.tgz
	head -c 30000000 /dev/zero > zeros
	tar -cf z.tar zeros
	gzipped z.tar z.tgz members=5
	same_both_ways z.tgz
}
