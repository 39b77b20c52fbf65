#!/usr/bin/env bats
# cp-sign: known answers from signify, interop both ways, verdicts, hostile files, key safety.
# SPDX-License-Identifier: ISC

load helper

setup() {
	# A directory of its own: bats keeps its --separate-stderr file in BATS_TEST_TMPDIR.
	mkdir "$BATS_TEST_TMPDIR/w"
	cd "$BATS_TEST_TMPDIR/w"
	command -v signify-openbsd > /dev/null || skip "signify-openbsd is not installed (ci/deps.sh)"
	cp "$DATA"/cp-sign/* .
	chmod 600 ./*.sec
}

# rewrite FILE OFFSET HEX [COMMENT]: FILE's record with the bytes at OFFSET
# replaced by HEX (and its comment by COMMENT), written to standard output.
rewrite() {
	python3 - "$@" <<'EOF'
import base64, sys
path, off, new = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
lines = open(path, 'rb').read().split(b'\n')
comment = sys.argv[4].encode() if len(sys.argv) > 4 else lines[0][len(b'untrusted comment: '):]
rec = bytearray(base64.b64decode(lines[1], validate=True))
rec[off:off + len(new)] = new
sys.stdout.buffer.write(b'untrusted comment: ' + comment + b'\n' + base64.b64encode(bytes(rec)) + b'\n')
EOF
}

# A string of n x's.
xs() { printf "%${1}s" '' | tr ' ' x; }

@test "known answers: signify's signatures verify, and cp-sign writes them byte for byte" {
	run -0 cp-sign -V -p kat.pub -m msg
	[ "$output" = "Signature Verified" ]
	run -0 cp-sign -V -p kat.pub -m empty -x empty.sig
	run -0 cp-sign -V -p enc.pub -m msg -x msg.enc.sig
	run -0 cp-sign -S -s kat.sec -m msg -x mine.sig
	[ -z "$output" ]
	cmp mine.sig msg.sig
	run -0 cp-sign -S -s kat.sec -m empty -x mine-empty.sig
	cmp mine-empty.sig empty.sig
	# The default signature file is MESSAGE.sig.
	rm msg.sig
	run -0 cp-sign -S -s kat.sec -m msg
	cmp msg.sig "$DATA/cp-sign/msg.sig"
}

@test "interop: keys made by cp-sign, signatures made by each side, verified by the other" {
	run -0 cp-sign -G -n -p c.pub -s c.sec
	head -c 100000 /dev/urandom > data
	run -0 cp-sign -S -s c.sec -m data
	run -0 signify-openbsd -V -p c.pub -m data
	[ "$output" = "Signature Verified" ]
	run -0 signify-openbsd -S -s c.sec -m data -x data.signify.sig
	cmp data.sig data.signify.sig
	run -0 cp-sign -V -p c.pub -m data -x data.signify.sig
}

@test "interop: keys made by signify, signatures made by each side, verified by the other" {
	run -0 signify-openbsd -G -n -p s.pub -s s.sec
	printf 'x%.0s' {1..5000} > data
	run -0 cp-sign -S -s s.sec -m data -x mine.sig
	run -0 signify-openbsd -V -p s.pub -m data -x mine.sig
	run -0 signify-openbsd -S -s s.sec -m data -x theirs.sig
	run -0 cp-sign -V -p s.pub -m data -x theirs.sig
	cmp mine.sig theirs.sig
}

@test "key files have signify's shape and comments; -c sets the comment" {
	run -0 cp-sign -G -n -p k.pub -s k.sec
	[ "$(sed -n 1p k.pub)" = "untrusted comment: signify public key" ]
	[ "$(sed -n 1p k.sec)" = "untrusted comment: signify secret key" ]
	[ "$(sed -n 2p k.pub | tr -d '\n' | wc -c)" -eq 56 ]
	[ "$(sed -n 2p k.sec | tr -d '\n' | wc -c)" -eq 140 ]
	[ "$(wc -l < k.pub)" -eq 2 ]
	[ "$(wc -l < k.sec)" -eq 2 ]
	# "Ed", "BK", 0 rounds; the key numbers agree; checksum = SHA-512 of the secret key.
	python3 - <<'EOF'
import base64, hashlib
pub = base64.b64decode(open('k.pub').read().split('\n')[1], validate=True)
sec = base64.b64decode(open('k.sec').read().split('\n')[1], validate=True)
assert len(pub) == 42 and len(sec) == 104
assert pub[:2] == b'Ed' and sec[:4] == b'EdBK' and sec[4:8] == bytes(4)
assert sec[32:40] == pub[2:10]
assert sec[24:32] == hashlib.sha512(sec[40:104]).digest()[:8]
assert sec[72:104] == pub[10:42]
EOF
	run -0 cp-sign -G -n -c 'build key 2026' -p b.pub -s b.sec --json
	[ "$(sed -n 1p b.pub)" = "untrusted comment: build key 2026 public key" ]
	[ "$(jq -r .public_key <<< "$output")" = b.pub ]
	[ "$(jq -r .encrypted <<< "$output")" = false ]
	# The secret key never appears in the output: these four members, nothing else.
	[ "$(jq -c 'keys' <<< "$output")" = '["encrypted","keynum","public_key","secret_key"]' ]
	[[ "$output" != *"$(sed -n 2p b.sec | cut -c 60-100)"* ]]
	[ "$(jq -r .keynum <<< "$output")" = "$(sed -n 2p b.pub | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')" ]
}

@test "signify's naming scheme: NAME.pub and NAME.sec; a signature names NAME.pub" {
	mkdir pub sec
	run -0 cp-sign -G -n -p pub/k.pub -s sec/k.sec
	run -0 cp-sign -S -s "$PWD/sec/k.sec" -m msg -x mine.sig
	run -0 signify-openbsd -S -s "$PWD/sec/k.sec" -m msg -x theirs.sig
	[ "$(sed -n 1p mine.sig)" = "untrusted comment: verify with k.pub" ]
	cmp mine.sig theirs.sig
	cp sec/k.sec x.sec.sec
	run -0 cp-sign -S -s x.sec.sec -m msg -x mine.sig
	run -0 signify-openbsd -S -s x.sec.sec -m msg -x theirs.sig
	cmp mine.sig theirs.sig
	for keys in "-p j.pub -s k.sec" "-p k.pub -s k.key" "-p .pub -s .sec" "-p k.sec -s k.pub"; do
		run --separate-stderr -2 cp-sign -G -n $keys
		[[ "$stderr" == *"naming scheme"* ]]
		run -1 signify-openbsd -G -n $keys
	done
	cp kat.sec kat.key
	run --separate-stderr -2 cp-sign -S -s kat.key -m msg -x x.sig
	[ "$stderr" = "cp-sign: a secret key's file name must be NAME.sec (signify's naming scheme: NAME.pub and NAME.sec)" ]
	run -1 signify-openbsd -S -s kat.key -m msg -x x.sig
	[ ! -e x.sig ]
}

@test "a tampered message: status 1, and signify agrees" {
	printf 'The quick brown fox jumps over the lazy cog\n' > msg
	run --separate-stderr -1 cp-sign -V -p kat.pub -m msg
	[ -z "$output" ]
	[ "$stderr" = "cp-sign: msg.sig: signature verification failed" ]
	run -1 signify-openbsd -V -p kat.pub -m msg
	run --separate-stderr -1 cp-sign -V --json -p kat.pub -m msg
	[ "$(jq -c '[.verified, .reason]' <<< "$output")" = '[false,"bad signature"]' ]
	# A changed signature is no better.
	rewrite msg.sig 20 00ff > bad.sig
	run -1 cp-sign -V -p kat.pub -m "$DATA/cp-sign/msg" -x bad.sig
}

@test "the wrong key: status 1, and the key numbers are named" {
	run --separate-stderr -1 cp-sign -V -p other.pub -m msg
	[ "$stderr" = "cp-sign: msg.sig: verification failed: checked against wrong key" ]
	run -1 signify-openbsd -V -p other.pub -m msg
	run --separate-stderr -1 cp-sign -V --json -p other.pub -m msg
	[ "$(jq -r .reason <<< "$output")" = "wrong key" ]
	[ "$(jq -r .keynum <<< "$output")" != "$(jq -r .public_key_keynum <<< "$output")" ]
}

@test "a signify key with another key number: the wrong key, even with the right Ed25519 key" {
	rewrite kat.pub 2 0102030405060708 > renumbered.pub
	run --separate-stderr -1 cp-sign -V -p renumbered.pub -m msg
	[[ "$stderr" == *"checked against wrong key" ]]
	run -1 signify-openbsd -V -p renumbered.pub -m msg
	# The right key number on another key: the key numbers agree, the signature does not.
	other=$(sed -n 2p other.pub | base64 -d | od -An -tx1 -j10 | tr -d ' \n')
	rewrite kat.pub 10 "$other" > rekeyed.pub
	run --separate-stderr -1 cp-sign -V -p rekeyed.pub -m msg
	[ "$stderr" = "cp-sign: msg.sig: signature verification failed" ]
	run -1 signify-openbsd -V -p rekeyed.pub -m msg
}

@test "a truncated signature, at every length: status 2, never a crash" {
	size=$(wc -c < msg.sig)
	for ((n = 0; n < size; n++)); do
		head -c "$n" msg.sig > cut.sig
		run -2 cp-sign -V -p kat.pub -m msg -x cut.sig
	done
	head -c 60 msg.sig > cut.sig
	run --separate-stderr -2 cp-sign -V -p kat.pub -m msg -x cut.sig
	[ "$stderr" = "cp-sign: cut.sig: not a signify signature: missing newline after the base64 line" ]
	run -1 signify-openbsd -V -p kat.pub -m msg -x cut.sig
}

@test "malformed files: only what signify writes is read (status 2)" {
	b64=$(sed -n 2p msg.sig)
	check() { # file, expected message after "cp-sign: bad.sig: "
		run --separate-stderr -2 cp-sign -V -p kat.pub -m msg -x bad.sig
		[ "$stderr" = "cp-sign: bad.sig: $1" ]
	}
	printf 'untrusted comment: x\r\n%s\r\n' "$b64" > bad.sig
	check "not a signify signature: a base64 line of 101 characters, not 100"
	printf 'untrusted comment: x\n%s' "$b64" > bad.sig
	check "not a signify signature: missing newline after the base64 line"
	printf 'untrusted comment: x\n%s\nmore\n' "$b64" > bad.sig
	check "not a signify signature: data after the base64 line"
	printf 'untrusted comment: \n%s\n' "$b64" > bad.sig
	check "not a signify signature: empty comment"
	printf 'untrusted  comment: x\n%s\n' "$b64" > bad.sig
	check "not a signify signature: it must start with 'untrusted comment: '"
	printf 'Untrusted comment: x\n%s\n' "$b64" > bad.sig
	check "not a signify signature: it must start with 'untrusted comment: '"
	printf 'untrusted comment: x\0y\n%s\n' "$b64" > bad.sig
	check "not a signify signature: it holds a NUL byte"
	printf 'untrusted comment: x\n %s\n' "${b64:1}" > bad.sig
	check "not a signify signature: invalid base64"
	printf 'untrusted comment: x\n%s\n' "${b64%?}A" > bad.sig	# padding replaced
	check "not a signify signature: invalid base64"
	printf 'untrusted comment: x\n%s\n' "${b64%??}B=" > bad.sig	# padding bits set
	check "not a signify signature: invalid base64"
	printf 'untrusted comment: x\n%s\n' "${b64//[+]/-}" > bad.sig	# base64url
	[ "$(cat bad.sig)" = "$(printf 'untrusted comment: x\n%s' "$b64")" ] || check "not a signify signature: invalid base64"
	cp kat.pub bad.sig
	check "not a signify signature: a base64 line of 56 characters, not 100"
	rewrite msg.sig 0 4544 > bad.sig	# "ED"
	check "unsupported signify signature: algorithm is not Ed25519"
	{ cat msg.sig; head -c 3000 /dev/zero; } > bad.sig
	check "too large for a signify file (over 2047 bytes)"
	rm bad.sig && mkdir bad.sig
	run --separate-stderr -2 cp-sign -V -p kat.pub -m msg -x bad.sig
	[ "$stderr" = "cp-sign: bad.sig: Is a directory" ]
	# The same rules for a public key.
	printf 'untrusted comment: x\n%s\n' "$(sed -n 2p kat.pub)=" > bad.pub
	run --separate-stderr -2 cp-sign -V -p bad.pub -m msg
	[ "$stderr" = "cp-sign: bad.pub: not a signify public key: a base64 line of 57 characters, not 56" ]
}

@test "comment lines at and over the limit of 1023 bytes, as signify" {
	rewrite msg.sig 0 4564 "$(xs 1023)" > long.sig
	run -0 cp-sign -V -p kat.pub -m msg -x long.sig
	run -0 signify-openbsd -V -p kat.pub -m msg -x long.sig
	rewrite msg.sig 0 4564 "$(xs 1024)" > long.sig
	run --separate-stderr -2 cp-sign -V -p kat.pub -m msg -x long.sig
	[ "$stderr" = "cp-sign: long.sig: comment too long (1024 bytes, at most 1023)" ]
	run -1 signify-openbsd -V -p kat.pub -m msg -x long.sig
	# -c: the comment and " secret key" fit in 1023 bytes, as signify -G checks it.
	run -0 cp-sign -G -n -c "$(xs 1012)" -p l.pub -s l.sec
	[ "$(sed -n 1p l.sec | wc -c)" -eq $((19 + 1012 + 11 + 1)) ]
	run -0 signify-openbsd -S -s l.sec -m msg -x l.sig
	run -0 cp-sign -V -p l.pub -m msg -x l.sig
	run --separate-stderr -2 cp-sign -G -n -c "$(xs 1013)" -p m.pub -s m.sec
	[ "$stderr" = 'cp-sign: comment too long (at most 1023 bytes with " secret key")' ]
	run -1 signify-openbsd -G -n -c "$(xs 1013)" -p m.pub -s m.sec
	[ ! -e m.pub ] && [ ! -e m.sec ]
	# A secret key's comment is held to the same limit, by signify too.
	rewrite kat.sec 0 4564 "$(xs 1024)" > n.sec
	run --separate-stderr -2 cp-sign -S -s n.sec -m msg -x n.sig
	[ "$stderr" = "cp-sign: n.sec: comment too long (1024 bytes, at most 1023)" ]
	run -1 signify-openbsd -S -s n.sec -m msg -x n.sig
	[ ! -e n.sig ]
	run --separate-stderr -2 cp-sign -G -n -c $'two\nlines' -p o.pub -s o.sec
	[ ! -e o.pub ] && [ ! -e o.sec ]
}

@test "the secret key is created 0600 whatever the umask; existing files are never replaced" {
	run -0 bash -c 'umask 000 && cp-sign -G -n -p k.pub -s k.sec'
	[ "$(stat -c %a k.sec)" = 600 ]
	[ "$(stat -c %a k.pub)" = 666 ]
	run -0 bash -c 'umask 077 && cp-sign -G -n -p k2.pub -s k2.sec'
	[ "$(stat -c %a k2.sec)" = 600 ]
	[ "$(stat -c %a k2.pub)" = 600 ]
	cp k.pub k3.pub
	before=$(tree_state .)
	run --separate-stderr -2 cp-sign -G -n -p k.pub -s k.sec
	[ "$stderr" = "cp-sign: k.sec: File exists" ]
	# All or nothing: the public key exists, so no secret key is left behind.
	run --separate-stderr -2 cp-sign -G -n -p k3.pub -s k3.sec
	[ "$stderr" = "cp-sign: k3.pub: File exists" ]
	[ "$(tree_state .)" = "$before" ]
	# A symlink is not followed to create a secret key.
	ln -s elsewhere link.sec
	run -2 cp-sign -G -n -p l.pub -s link.sec
	[ ! -e elsewhere ] && [ ! -e l.pub ]
}

@test "a secret key inside the plane is refused, by -C or CONTROL_PLANE_ROOT" {
	mkdir -p plane/registries/keys outside
	before=$(tree_state plane)
	run --separate-stderr -2 cp-sign -G -n -C plane -p plane/registries/keys/k.pub -s plane/k.sec
	[[ "$stderr" == *"is inside the plane"* ]]
	run -2 env CONTROL_PLANE_ROOT=plane cp-sign -G -n -p k.pub -s plane/registries/k.sec
	# Through a symlink or a ".." it is still inside.
	ln -s plane/registries sneaky
	run -2 env CONTROL_PLANE_ROOT="$PWD/plane" cp-sign -G -n -p k.pub -s sneaky/k.sec
	run -2 cp-sign -G -n -C plane -p k.pub -s outside/../plane/k.sec
	[ "$(tree_state plane)" = "$before" ]
	[ ! -e k.pub ]
	# Outside it: the secret key outside, the public key committed in the plane.
	run -0 cp-sign -G -n -C plane -p plane/registries/keys/k.pub -s outside/k.sec
	# Signing with a key inside the plane is refused too.
	cp kat.sec plane/kat.sec
	run --separate-stderr -2 cp-sign -S -C plane -s plane/kat.sec -m msg -x x.sig
	[[ "$stderr" == *"is inside the plane"* ]]
	[ ! -e x.sig ]
	run -0 env CONTROL_PLANE_ROOT=plane cp-sign -S -s kat.sec -m msg -x x.sig
	# A plane that does not exist is an error, not an unchecked key.
	run -2 cp-sign -G -n -C nowhere -p n.pub -s n.sec
}

@test "encrypted keys: -G needs -n; an encrypted secret key is refused with the way out" {
	run --separate-stderr -2 cp-sign -G -p k.pub -s k.sec
	[[ "$stderr" == *"use -n for an unencrypted key"* ]]
	[ ! -e k.pub ] && [ ! -e k.sec ]
	run --separate-stderr -2 cp-sign -S -s enc.sec -m msg -x e.sig
	[ "$stderr" = "cp-sign: enc.sec: encrypted secret key (42 bcrypt_pbkdf rounds): only an unencrypted key can be used; make one with -G -n" ]
	[ ! -e e.sig ]
}

@test "a corrupt secret key is refused" {
	rewrite kat.sec 24 0000000000000000 > bad.sec	# checksum
	run --separate-stderr -2 cp-sign -S -s bad.sec -m msg -x x.sig
	[ "$stderr" = "cp-sign: bad.sec: corrupt signify secret key: its checksum does not match" ]
	rewrite kat.sec 2 4242 > bad.sec		# another KDF
	run --separate-stderr -2 cp-sign -S -s bad.sec -m msg -x x.sig
	[[ "$stderr" == *"its KDF is not bcrypt_pbkdf" ]]
	# A public half that is not the seed's (checksum made to match): it would sign wrongly.
	python3 - <<'EOF'
import base64, hashlib
lines = open('kat.sec', 'rb').read().split(b'\n')
rec = bytearray(base64.b64decode(lines[1]))
rec[103] ^= 1
rec[24:32] = hashlib.sha512(bytes(rec[40:104])).digest()[:8]
open('bad.sec', 'wb').write(lines[0] + b'\n' + base64.b64encode(bytes(rec)) + b'\n')
EOF
	run --separate-stderr -2 cp-sign -S -s bad.sec -m msg -x x.sig
	[ "$stderr" = "cp-sign: bad.sec: corrupt signify secret key: its public half is not its seed's" ]
	[ ! -e x.sig ]
	ln -s kat.sec link.sec
	run -2 cp-sign -S -s link.sec -m msg -x x.sig
}

@test "standard input and output: -m -, -x -" {
	run -0 bash -c 'cp-sign -S -s kat.sec -m - -x - < msg'
	[ "$output" = "$(cat msg.sig)" ]
	run -0 bash -c 'cp-sign -V -p kat.pub -m - -x msg.sig < msg'
	run -0 bash -c 'cp-sign -V -p kat.pub -m msg -x - < msg.sig'
	run -2 bash -c 'cp-sign -V -p kat.pub -m - -x - < msg'
	# A pipe longer than the first read's buffer (64 KiB), as signify verifies it.
	head -c 300000 /dev/urandom > big
	run -0 bash -c 'cat big | cp-sign -S -s kat.sec -m - -x big.sig'
	run -0 signify-openbsd -V -p kat.pub -m big
	run -0 bash -c 'cat big | cp-sign -V -p kat.pub -m - -x big.sig'
	run --separate-stderr -2 cp-sign -S -s kat.sec -m -
	[ "$stderr" = "cp-sign: a message on standard input needs -x SIGFILE" ]
}

@test "-q and --json" {
	run -0 cp-sign -V -q -p kat.pub -m msg
	[ -z "$output" ]
	run --separate-stderr -1 cp-sign -V -q -p other.pub -m msg
	[ -n "$stderr" ]
	run -0 cp-sign -V --json -p kat.pub -m msg
	[ "$(jq -c '[.verified, .reason, .message, .signature, .public_key]' <<< "$output")" = '[true,null,"msg","msg.sig","kat.pub"]' ]
	[ "$(jq -r .keynum <<< "$output")" = "$(jq -r .public_key_keynum <<< "$output")" ]
	run -0 cp-sign -S --json -s kat.sec -m msg -x j.sig
	[ "$(jq -c '[.message, .signature]' <<< "$output")" = '["msg","j.sig"]' ]
}

@test "bad usage, --help, --version, missing files: status 2" {
	run -2 cp-sign
	run -2 cp-sign -G -S -n -p a -s b
	run -2 cp-sign -G -n -p a.pub
	run -2 cp-sign -S -s kat.sec
	run -2 cp-sign -V -m msg
	run -2 cp-sign -V -p kat.pub -m msg extra
	run -2 cp-sign -V -s kat.sec -p kat.pub -m msg
	run -2 cp-sign -S -s kat.sec -m msg -c comment
	run -2 cp-sign -V --json -q -p kat.pub -m msg
	run -2 cp-sign --bogus
	run -0 cp-sign --help
	[[ "$output" == "usage: cp-sign -G -n"* ]]
	run -0 cp-sign -h
	run -0 cp-sign --version
	[[ "$output" == "cp-sign (Control Plane v2 in C) "* ]]
	run --separate-stderr -2 cp-sign -V -p kat.pub -m missing
	[ "$stderr" = "cp-sign: missing.sig: No such file or directory" ]
	run --separate-stderr -2 cp-sign -V -p kat.pub -m missing -x msg.sig
	[ "$stderr" = "cp-sign: missing: No such file or directory" ]
	run --separate-stderr -2 cp-sign -V -p nokey.pub -m msg
	[ "$stderr" = "cp-sign: nokey.pub: No such file or directory" ]
	run -2 cp-sign -S -s kat.sec -m msg -x nodir/x.sig
}

@test "output write errors: status 2" {
	run -2 bash -c 'cp-sign -V -p kat.pub -m msg > /dev/full'
	run -2 bash -c 'cp-sign -S -s kat.sec -m msg -x - > /dev/full'
	run -2 bash -c 'cp-sign -V --json -p kat.pub -m msg > /dev/full'
}

@test "hostile files: random damage never crashes, never verifies a wrong file" {
	python3 - <<'EOF'
import random
random.seed(18)
for name in ('msg.sig', 'kat.pub', 'kat.sec'):
    data = open(name, 'rb').read()
    for i in range(40):
        b = bytearray(data)
        for _ in range(random.randint(1, 4)):
            op = random.randrange(3)
            pos = random.randrange(len(b) + 1)
            if op == 0 and pos < len(b):
                b[pos] = random.randrange(256)
            elif op == 1:
                b.insert(pos, random.randrange(256))
            elif pos < len(b):
                del b[pos]
        if bytes(b) != data:
            open('fuzz-%02d-%s' % (i, name), 'wb').write(bytes(b))
EOF
	# Status 0 only when the damage spared the base64 line (the comment is not signed).
	for f in fuzz-*-msg.sig; do
		run cp-sign -V -p kat.pub -m msg -x "$f"
		no_signal
		[ "$status" -ne 0 ] || [ "$(sed -n 2p "$f")" = "$(sed -n 2p msg.sig)" ]
	done
	for f in fuzz-*-kat.pub; do
		run cp-sign -V -p "$f" -m msg
		no_signal
		[ "$status" -ne 0 ] || [ "$(sed -n 2p "$f")" = "$(sed -n 2p kat.pub)" ]
	done
	for f in fuzz-*-kat.sec; do
		run cp-sign -S -s "$f" -m msg -x "$f.sig"
		no_signal
		[ "$status" -eq 2 ] || [ "$(sed -n 2p "$f.sig")" = "$(sed -n 2p msg.sig)" ]
	done
}
