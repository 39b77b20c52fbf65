#!/usr/bin/env bats
# cp-ledger's signed checkpoints: head --sign (a C2SP signed note), verify
# --since NOTE -p PUBKEY, vkey.  The independent verifier is Python's
# cryptography (Debian's python3-cryptography, so /usr/bin/python3): it
# reads the signify key files itself, computes the key ID and checks the
# Ed25519 signature over the note's text.
# SPDX-License-Identifier: ISC

load helper

EV='{"event_type":"package_install","submission_id":"PKG-1","decision":"INSTALL","reason":"r"}'
PY=/usr/bin/python3

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p keys lg
	cp-sign -G -n -p keys/log.pub -s keys/log.sec -c log
	cp-sign -G -n -p keys/other.pub -s keys/other.sec -c other
	for i in 1 2 3 4 5; do cp-ledger -f lg/l.jsonl append -q <<< "$EV"; done
}

# grow N: append N more entries to lg/l.jsonl.
grow() {
	for i in $(seq "$1"); do cp-ledger -f lg/l.jsonl append -q <<< "$EV"; done
}

# pycheck NOTE PUB SEC: Python's own reading of a signed note.  It prints the
# key name, the key ID in hex and the vkey it computes, and fails unless the
# signature line is "— NAME base64(keyid ‖ sig)", the key ID is SHA-256(NAME
# ‖ 0x0A ‖ 0x01 ‖ pub)[:4] and the signature verifies over the text.  Ed25519
# is deterministic, so the signature must also be the one Python makes with
# the seed of SEC (signify: "Ed" "BK" rounds[4] salt[16] checksum[8]
# keynum[8] seed[32] pub[32]).
pycheck() {
	"$PY" - "$@" <<'EOF'
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

note, pubfile, secfile = sys.argv[1:4]
msg = open(note, "rb").read()
pub = base64.b64decode(open(pubfile, "rb").read().split(b"\n")[1], validate=True)
assert len(pub) == 42 and pub[:2] == b"Ed"
pub = pub[10:]
sec = base64.b64decode(open(secfile, "rb").read().split(b"\n")[1], validate=True)
assert len(sec) == 104 and sec[:4] == b"EdBK"
seed = sec[40:72]

split = msg.rindex(b"\n\n")
text, sigs = msg[:split + 1], msg[split + 2:]
lines = sigs.split(b"\n")
assert lines[-1] == b"" and len(lines) == 2, lines
dash, name, b64 = lines[0].decode().split(" ")
assert dash == "\u2014"
assert name == text.split(b"\n")[0].decode(), "the key name is the origin"
blob = base64.b64decode(b64, validate=True)
assert len(blob) == 68
keyid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
assert blob[:4] == keyid, (blob[:4].hex(), keyid.hex())
Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], text)
assert Ed25519PrivateKey.from_private_bytes(seed).sign(text) == blob[4:]
print(name, keyid.hex(), name + "+" + keyid.hex() + "+" + base64.b64encode(b"\x01" + pub).decode())
EOF
}

@test "head --sign: a C2SP signed note that Python's cryptography verifies" {
	"$PY" -c 'import cryptography' || skip "no python3-cryptography (run ci/deps.sh)"
	run -0 cp-ledger -f lg/l.jsonl head --origin example.com/ledger
	body=$output
	run --separate-stderr -0 cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger
	[ -z "$stderr" ]
	printf '%s\n' "$output" > cp.note
	# The body, a blank line, one signature line.
	[ "$(head -3 cp.note)" = "$body" ]
	[ "$(sed -n 4p cp.note)" = "" ]
	[ "$(wc -l < cp.note)" -eq 5 ]
	[[ $(sed -n 5p cp.note) == "— example.com/ledger "* ]]
	run -0 pycheck cp.note keys/log.pub keys/log.sec
	read -r name keyid vkey <<< "$output"
	[ "$name" = example.com/ledger ]
	# The vkey a witness is given: Python's computation, from cp-ledger vkey.
	run -0 cp-ledger vkey -p keys/log.pub --origin example.com/ledger
	[ "$output" = "$vkey" ]
	[[ $vkey == "example.com/ledger+$keyid+A"* ]]
	# The default origin is the key name too.
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec > default.note
	[ "$(head -1 default.note)" = localhost/cp-ledger ]
	run -0 pycheck default.note keys/log.pub keys/log.sec
	[ "$(cp-ledger vkey -p keys/log.pub)" = "$(cut -d' ' -f3 <<< "$output")" ]
	# --json: the same note and the vkey.
	run -0 cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger --json
	[ "$(jq -j .note <<< "$output")" = "$(cat cp.note)" ]
	[ "$(jq -r .vkey <<< "$output")" = "$vkey" ]
	# Signing the same tree again gives the same bytes (Ed25519 is deterministic).
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger | cmp - cp.note
}

@test "verify -p: a signed note, then the proof; a grown ledger extends it" {
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger > cp.note
	keyid=$(cp-ledger vkey -p keys/log.pub --origin example.com/ledger | cut -d+ -f2)
	run -0 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.pub
	[ "${lines[0]}" = "signed by example.com/ledger+$keyid: the signature verifies" ]
	[ "${lines[1]}" = "consistent with the checkpoint of 5 entries: the ledger only grew" ]
	grow 7
	run -0 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.pub --origin example.com/ledger
	run -0 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.pub --json
	[ "$(jq -c '[.since.key_name, .since.key_id, .since.signature, .since.consistent, .since.size, .intact, .size]' <<< "$output")" = \
		"[\"example.com/ledger\",\"$keyid\",\"verified\",true,5,true,12]" ]
	run -0 cp-ledger -f lg/l.jsonl verify --since - -p keys/log.pub < cp.note
	# A signature of another key beside ours is ignored (a witness's cosignature).
	{ cat cp.note; echo "— witness.example/w1 $(head -c 68 /dev/zero | base64 -w0)"; } > cosigned.note
	run -0 cp-ledger -f lg/l.jsonl verify --since cosigned.note -p keys/log.pub
	# Without -p, signed and unsigned notes work as before: signature lines are not read.
	run -0 cp-ledger -f lg/l.jsonl verify --since cp.note
	[ "${lines[0]}" = "consistent with the checkpoint of 5 entries: the ledger only grew" ]
	sed '$s/.$/B/' cp.note > badsig.note
	run -0 cp-ledger -f lg/l.jsonl verify --since badsig.note
}

@test "verify -p: a truncated or rewritten ledger against a signed note is 1" {
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec > cp.note
	# Truncated: the chain alone verifies, the signed checkpoint does not.
	mkdir short
	head -3 lg/l.jsonl > short/l.jsonl
	run -0 cp-ledger -f short/l.jsonl verify
	run -1 cp-ledger -f short/l.jsonl verify --since cp.note -p keys/log.pub
	[[ ${lines[0]} == "signed by localhost/cp-ledger+"*": the signature verifies" ]]
	[ "${lines[1]}" = "NOT consistent with the checkpoint: it holds 5 entries, the ledger 3 (entries were removed)" ]
	# Rewritten: a new chain of more entries verifies alone, not against the note.
	mkdir new
	for i in $(seq 9); do cp-ledger -f new/l.jsonl append -q <<< "$EV"; done
	run -0 cp-ledger -f new/l.jsonl verify
	run -1 cp-ledger -f new/l.jsonl verify --since cp.note -p keys/log.pub
	[ "${lines[1]}" = "NOT consistent with the checkpoint of 5 entries: entries before it were removed, altered or reordered" ]
	run -1 cp-ledger -f new/l.jsonl verify --since cp.note -p keys/log.pub --json
	[ "$(jq -c '[.since.signature, .since.consistent, .intact]' <<< "$output")" = '["verified",false,false]' ]
}

@test "verify -p: the wrong key, another origin, a tampered note are 1" {
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger > cp.note
	grow 2
	# Another key: its name and key ID match no signature line.
	run --separate-stderr -1 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/other.pub
	[[ $output == "NOT signed by example.com/ledger+"*" (keys/other.pub): the note holds no signature of this key" ]]
	[ -z "$stderr" ]
	run -1 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/other.pub --json
	[ "$(jq -c '[.since.signature, .intact, has("findings")]' <<< "$output")" = '["missing",false,false]' ]
	# The right key under another name (--origin): the note is another log's.
	run -1 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.pub --origin example.com/other
	[ "$output" = "NOT the checkpoint of example.com/other: its origin is example.com/ledger" ]
	run -1 cp-ledger -f lg/l.jsonl verify --since cp.note --origin example.com/other
	# A changed size under the old signature: a bad signature, nothing proved.
	sed '2s/^5$/4/' cp.note > size.note
	run -1 cp-ledger -f lg/l.jsonl verify --since size.note -p keys/log.pub
	[[ $output == "NOT signed by example.com/ledger+"*": the signature does not verify (the note was altered, or signed by another key)" ]]
	run -1 cp-ledger -f lg/l.jsonl verify --since size.note -p keys/log.pub --json
	[ "$(jq -r .since.signature <<< "$output")" = bad ]
	# The current head under the old signature: consistent, but not what the key signed.
	{ cp-ledger -f lg/l.jsonl head --origin example.com/ledger; tail -2 cp.note; } > forged.note
	run -0 cp-ledger -f lg/l.jsonl verify --since forged.note
	run -1 cp-ledger -f lg/l.jsonl verify --since forged.note -p keys/log.pub
	[[ $output == *"the signature does not verify"* ]]
	# An extension line slipped into the text.
	sed '3a extra' cp.note > ext.note
	run -1 cp-ledger -f lg/l.jsonl verify --since ext.note -p keys/log.pub
	# Another origin line: the signature names a key that is no longer the note's.
	sed '1s/.*/example.com\/forged/' cp.note > origin.note
	run -1 cp-ledger -f lg/l.jsonl verify --since origin.note -p keys/log.pub
	# A signature changed in one byte; a signature by the other key put in its place.
	sig=$(tail -1 cp.note | cut -d' ' -f3)
	flipped=$("$PY" -c 'import base64,sys; b=bytearray(base64.b64decode(sys.argv[1])); b[10]^=1; print(base64.b64encode(b).decode())' "$sig")
	sed "\$s|$sig|$flipped|" cp.note > flip.note
	run -1 cp-ledger -f lg/l.jsonl verify --since flip.note -p keys/log.pub
	cp-ledger -f lg/l.jsonl head --sign keys/other.sec --origin example.com/ledger > other.note
	run -0 cp-ledger -f lg/l.jsonl verify --since other.note -p keys/other.pub
	run -1 cp-ledger -f lg/l.jsonl verify --since other.note -p keys/log.pub
	# An unsigned note.
	head -3 cp.note > unsigned.note
	run -1 cp-ledger -f lg/l.jsonl verify --since unsigned.note -p keys/log.pub
	[[ $output == *"the note holds no signature of this key" ]]
	# Our key's name and ID over something that is not an Ed25519 signature: bad.
	short=$("$PY" -c 'import base64,sys; print(base64.b64encode(base64.b64decode(sys.argv[1])[:20]).decode())' "$sig")
	sed "\$s|$sig|$short|" cp.note > short.note
	run -1 cp-ledger -f lg/l.jsonl verify --since short.note -p keys/log.pub
	[[ $output == *"the signature does not verify"* ]]
}

@test "verify -p: malformed notes are 2" {
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin example.com/ledger > cp.note
	sig=$(tail -1 cp.note | cut -d' ' -f3)
	body=$(head -3 cp.note)
	bad() {
		printf '%s' "$1" > bad.note
		run --separate-stderr -2 cp-ledger -f lg/l.jsonl verify --since bad.note -p keys/log.pub
		[ -z "$output" ]
		[[ $stderr == "cp-ledger: bad.note: "* ]] || { echo "$stderr"; return 1; }
	}
	bad "$body"$'\n\n'"- example.com/ledger $sig"$'\n'		# a hyphen, not an em dash
	bad "$body"$'\n\n'"— example.com/ledger"$'\n'			# no signature
	bad "$body"$'\n\n'"— example.com/ledger ${sig%=}"$'\n'		# padding missing
	bad "$body"$'\n\n'"— example.com/ledger $sig "$'\n'		# a space after it
	bad "$body"$'\n\n'"— example.com/ledger $sig"$'\r\n'		# CRLF
	bad "$body"$'\n\n'"— example.com/ledger !$sig"$'\n'		# not base64
	bad "$body"$'\n\n'"— example.com/ledger AAAA"$'\n'		# under 5 bytes
	bad "$body"$'\n\n'"— example.com+ledger $sig"$'\n'		# '+' in the key name
	bad "$body"$'\n\n'"—  $sig"$'\n'				# an empty key name
	bad "$body"$'\n\n'"— example.com/ledger $sig"			# no final newline
	bad "$body"$'\n\n'"— example.com/ledger $sig"$'\n\n'		# a blank line after it
	bad "$body"$'\n\n'						# a blank line, no signature
	bad $'\t'"$body"$'\n\n'"— example.com/ledger $sig"$'\n'		# a control character
	bad $'\xff'"$body"$'\n\n'"— example.com/ledger $sig"$'\n'	# not UTF-8
	bad "$body"$'\n\n'"— example.com/ledger $sig"$'\n'"junk"$'\n'	# a line that is no signature
	bad $'example.com/ledger\n5\n\n'"— example.com/ledger $sig"$'\n'	# a checkpoint of two lines
	"$PY" -c 'import sys; sys.stdout.write("x\n" * 40000)' > huge.note
	run --separate-stderr -2 cp-ledger -f lg/l.jsonl verify --since huge.note -p keys/log.pub
	[ "$stderr" = "cp-ledger: huge.note: too long for a checkpoint" ]
	# 101 signature lines: over the cap (the spec asks for at least 16).
	{ cat cp.note; for i in $(seq 100); do echo "— w$i.example $sig"; done; } > many.note
	run --separate-stderr -2 cp-ledger -f lg/l.jsonl verify --since many.note -p keys/log.pub
	[[ $stderr == *"over 100 signatures" ]]
	{ cat cp.note; for i in $(seq 99); do echo "— w$i.example $sig"; done; } > enough.note
	run -0 cp-ledger -f lg/l.jsonl verify --since enough.note -p keys/log.pub
	# head --json's object carries no signature: -p refuses it.
	cp-ledger -f lg/l.jsonl head --json > cp.json
	run --separate-stderr -2 cp-ledger -f lg/l.jsonl verify --since cp.json -p keys/log.pub
	[[ $stderr == *"-p checks a signed note"* ]]
	run -2 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/missing.pub
	run -2 cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.sec
}

@test "head --sign: the secret key stays private and outside the plane" {
	secret=$(sed -n 2p keys/log.sec)
	# Readable by the group or the world: refused, nothing printed.
	chmod 640 keys/log.sec
	run --separate-stderr -2 cp-ledger -f lg/l.jsonl head --sign keys/log.sec
	[ -z "$output" ]
	[ "$stderr" = "cp-ledger: keys/log.sec: group or world can access this secret key (mode 0640): chmod 600 it" ]
	chmod 604 keys/log.sec
	run -2 cp-ledger -f lg/l.jsonl head --sign keys/log.sec
	chmod 600 keys/log.sec
	# Inside the plane (-C, CONTROL_PLANE_ROOT, or the current directory for the plane's ledger).
	mkdir -p plane/ledger
	cp lg/l.jsonl plane/ledger/governance.jsonl
	cp keys/log.sec plane/log.sec
	run --separate-stderr -2 cp-ledger -C plane head --sign plane/log.sec
	[[ $stderr == "cp-ledger: secret key "*"/plane/log.sec is inside the plane "*"/plane: keep signing keys out of it" ]]
	CONTROL_PLANE_ROOT=plane run -2 cp-ledger head --sign plane/log.sec
	CONTROL_PLANE_ROOT=plane run -2 cp-ledger -f plane/ledger head --sign plane/log.sec
	(cd plane && run -2 cp-ledger head --sign log.sec && [ "$status" -eq 2 ])
	ln -s ../plane/log.sec keys/link.sec
	run -2 cp-ledger -C plane head --sign keys/link.sec
	# Inside the ledger's directory, even without a plane.
	cp keys/log.sec lg/log.sec
	run -2 cp-ledger -f lg/l.jsonl head --sign lg/log.sec
	run -2 cp-ledger -f lg head --sign lg/log.sec
	# Outside: fine, and the key never shows.
	run --separate-stderr -0 cp-ledger -C plane head --sign keys/log.sec --json
	[[ $output != *"$secret"* && $stderr != *"$secret"* ]]
	[[ $output != *"${secret:20:20}"* ]]
	# Not a file given on standard input; not an encrypted or a corrupt key.
	run -2 cp-ledger -f lg/l.jsonl head --sign - < keys/log.sec
	run -2 cp-ledger -f lg/l.jsonl head --sign keys/log.pub
	run -2 cp-ledger -f lg/l.jsonl head --sign keys/missing.sec
	sed '2s/^RWRCSw/RWRCSx/' keys/log.sec > keys/bad.sec
	chmod 600 keys/bad.sec
	run -2 cp-ledger -f lg/l.jsonl head --sign keys/bad.sec
	# A ledger that does not verify gets no signed checkpoint.
	sed -i '2s/INSTALL/INSTALl/' lg/l.jsonl
	run --separate-stderr -1 cp-ledger -f lg/l.jsonl head --sign keys/log.sec
	[ -z "$output" ]
}

@test "a key made by signify-openbsd signs and verifies checkpoints" {
	command -v signify-openbsd > /dev/null || skip "no signify-openbsd (run ci/deps.sh)"
	signify-openbsd -G -n -p keys/s.pub -s keys/s.sec -c signify
	cp-ledger -f lg/l.jsonl head --sign keys/s.sec --origin example.com/s > s.note
	grow 1
	run -0 cp-ledger -f lg/l.jsonl verify --since s.note -p keys/s.pub
	if "$PY" -c 'import cryptography' 2> /dev/null; then
		run -0 pycheck s.note keys/s.pub keys/s.sec
	fi
}

@test "usage: --sign, -p and --origin go where they mean something" {
	cp-ledger -f lg/l.jsonl head --sign keys/log.sec > cp.note
	run --separate-stderr -2 cp-ledger -f lg/l.jsonl verify --sign keys/log.sec
	[ "$stderr" = "cp-ledger: --sign goes with head" ]
	run -2 cp-ledger -f lg/l.jsonl verify -p keys/log.pub
	run -2 cp-ledger -f lg/l.jsonl head -p keys/log.pub
	run -2 cp-ledger vkey
	run -2 cp-ledger -f lg/l.jsonl verify --origin example.com/x
	run -2 cp-ledger -f lg/l.jsonl cat --origin example.com/x
	run -2 cp-ledger vkey -p keys/log.pub --origin 'has space'
	run -2 cp-ledger vkey -p keys/log.pub --origin 'a+b'
	run -2 cp-ledger -f lg/l.jsonl head --sign keys/log.sec --origin $'caf\xc3'
	run -2 cp-ledger vkey -p keys/log.pub --json
	run -2 cp-ledger vkey -p keys/log.pub extra
	run --separate-stderr -2 bash -c "cp-ledger -f lg/l.jsonl head --sign keys/log.sec > /dev/full"
	run --separate-stderr -2 bash -c "cp-ledger vkey -p keys/log.pub > /dev/full"
	run --separate-stderr -2 bash -c "cp-ledger -f lg/l.jsonl verify --since cp.note -p keys/log.pub > /dev/full"
	no_signal
}
