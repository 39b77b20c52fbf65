#!/usr/bin/env bats
# The plane's own checkpoint of its ledger (issue 21): every committed
# cp-plane step keeps ledger/checkpoint (signed with
# CONTROL_PLANE_SIGNING_KEY), and make ledger-verify and make integrity
# prove the ledger extends it, so that the rewrite of the issue (one
# entry_hash blanked, everything after it re-hashed), a truncation, or an
# altered checkpoint fail.  Independent answers: python3 computes the RFC
# 9162 root over the entry hashes, rewrites the ledger, and checks the note's
# Ed25519 signature with Python's cryptography (/usr/bin/python3).
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/plane
	K=$T/keys
	export HOME=$T/home
	mkdir -p "$P" "$HOME" "$K"
	cp -R "$REPO"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$P"/
	rm -f "$P"/registries/*.lock "$P"/ledger/.cp-ledger.lock "$P"/ledger/checkpoint
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > "$P/Makefile"
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT CONTROL_PLANE_SIGNING_KEY
	export CONTROL_PLANE_SHARED_SECRET=checkpoint-test-secret
	export CONTROL_PLANE_TOKEN="alice:$(printf alice | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
	cd "$P"
}

cpp() { "$REPO/bin/cp-plane" -C "$P" "$@"; }
mk() { make --no-print-directory -C "$P" "$@"; }
sha() { sha256sum < "$1" | cut -c1-64; }
# one more committed step that leaves the plane healthy: install or remove PKG-EXT-HELLO
step() {
	if [ -e installed/PKG-EXT-HELLO.sha256 ]; then cpp -q remove PKG-EXT-HELLO; else cpp -q install PKG-EXT-HELLO; fi
}

# python_checkpoint: the checkpoint text of ledger/governance.jsonl, by python3.
python_checkpoint() {
	python3 - ledger/governance.jsonl <<'EOF'
import base64, hashlib, json, sys
def root(h):
    if not h: return hashlib.sha256(b"").digest()
    if len(h) == 1: return h[0]
    k = 1
    while 2 * k < len(h): k *= 2
    return hashlib.sha256(b"\x01" + root(h[:k]) + root(h[k:])).digest()
lines = open(sys.argv[1], encoding="utf-8", newline="").read().split("\n")[:-1]
leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(json.loads(l)["entry_hash"])).digest() for l in lines]
print("localhost/cp-plane\n%d\n%s" % (len(leaves), base64.b64encode(root(leaves)).decode()))
EOF
}

# both_fail: make ledger-verify and make integrity both fail, saying why.
both_fail() {
	run -2 mk ledger-verify
	[[ $output == *"$1"* ]]
	run -2 mk integrity
	[[ $output == *"integrity: UNHEALTHY"* ]]
	[[ $output == *"ledger/checkpoint"* ]]
}

both_pass() {
	run -0 mk ledger-verify
	run -0 mk integrity
}

@test "every committed step keeps ledger/checkpoint: size and RFC 9162 root of the whole ledger" {
	[ ! -e ledger/checkpoint ]
	# a plane without one (Python-built, or older) verifies by its chain alone
	run -0 mk ledger-verify
	[[ ${lines[0]} == "no checkpoint in the plane (ledger/checkpoint): the chain alone is verified" ]]
	run -0 cpp -q manifest
	[ "$(cat ledger/checkpoint)" = "$(python_checkpoint)" ]
	run -0 cpp -q install PKG-EXT-HELLO
	[ "$(cat ledger/checkpoint)" = "$(python_checkpoint)" ]
	run -0 cpp -q remove PKG-EXT-HELLO
	[ "$(cat ledger/checkpoint)" = "$(python_checkpoint)" ]
	run -0 step
	[ "$(cat ledger/checkpoint)" = "$(python_checkpoint)" ]
	[ "$(sed -n 2p ledger/checkpoint)" -eq "$(wc -l < ledger/governance.jsonl)" ]
	run -0 mk ledger-verify
	[[ $output == *"consistent with the checkpoint of $(wc -l < ledger/governance.jsonl) entries"* ]]
	both_pass
	# a denial is ledgered but changes nothing: the checkpoint stays one entry behind, a prefix
	cp ledger/checkpoint before
	CONTROL_PLANE_TOKEN=mallory:00 run -1 cpp -q install PKG-EXT-HELLO
	cmp before ledger/checkpoint
	both_pass
	# the name is no segment's: cp-ledger and Python's glob see one segment
	run -0 cp-ledger verify --json
	[ "$(jq -c .segments <<< "$output")" = '["ledger/governance.jsonl"]' ]
	[ "$(python3 -c 'import pathlib; print([p.name for p in sorted(pathlib.Path("ledger").glob("governance-*.jsonl"))])')" = "[]" ]
}

@test "the rewrite of issue 21 passes without a checkpoint and fails with one; no step blesses it" {
	run -0 cpp -q manifest
	run -0 cpp -q install PKG-EXT-HELLO
	cp -a ledger "$T/good"
	n=$(wc -l < ledger/governance.jsonl)
	# without the checkpoint, the rewrite passes both (the hole the issue names)
	rm ledger/checkpoint
	/usr/bin/python3 "$DATA/cp-ledger/rewrite.py" ledger/governance.jsonl 4
	grep -q '"reason": "forged"' ledger/governance.jsonl
	both_pass
	[[ $(cp-ledger -C "$P" verify) == *"warning: legacy entry"* ]]
	# with it, both fail
	cp "$T/good/checkpoint" ledger/checkpoint
	both_fail "NOT consistent with the checkpoint of $n entries: entries before it were removed, altered or reordered"
	run -1 cp-ledger verify --checkpoint
	[ "${lines[${#lines[@]} - 1]}" = "NOT intact: the chain of its $n entries holds, but it does not extend the checkpoint" ]
	# --strict fails on the legacy line even without a checkpoint
	run -2 mk ledger-verify STRICT=1
	[[ $output == *"strict: legacy entry"* ]]
	# the next step is done, but the checkpoint is not moved over the rewrite
	run -0 cpp -q remove PKG-EXT-HELLO
	cmp "$T/good/checkpoint" ledger/checkpoint
	both_fail "NOT consistent"
	# the true ledger back: it extends the checkpoint, and the next step moves it on
	cp "$T/good/governance.jsonl" ledger/governance.jsonl
	both_pass
	run -0 step
	[ "$(cat ledger/checkpoint)" = "$(python_checkpoint)" ]
}

@test "truncation: entries removed from the end, or the whole segment, fail" {
	run -0 cpp -q manifest
	run -0 cpp -q install PKG-EXT-HELLO
	n=$(wc -l < ledger/governance.jsonl)
	cp ledger/governance.jsonl "$T/full"
	head -n $((n - 2)) "$T/full" > ledger/governance.jsonl
	both_fail "NOT consistent with the checkpoint: it holds $n entries, the ledger $((n - 2)) (entries were removed)"
	rm ledger/governance.jsonl
	run -2 mk ledger-verify
	[[ $output == *"no ledger in"* ]]
	run -2 mk integrity
	[[ $output == *"ledger/checkpoint: it holds $n entries, the ledger 0"* || $output == *"no ledger in"* ]]
	# an altered or malformed checkpoint is refused
	cp "$T/full" ledger/governance.jsonl
	cp ledger/checkpoint "$T/cp"
	sed -i "2s/.*/$((n - 1))/" ledger/checkpoint
	both_fail "NOT consistent"
	printf 'localhost/cp-plane\nx\n' > ledger/checkpoint
	both_fail "NOT the plane's checkpoint: ledger/checkpoint: malformed"
	rm ledger/checkpoint
	mkfifo ledger/checkpoint
	run -1 timeout 20 cp-ledger -C "$P" verify --checkpoint
	[[ $output == *"NOT the plane's checkpoint: ledger/checkpoint: not a checkpoint"* ]]
	rm ledger/checkpoint
	ln -s "$T/cp" ledger/checkpoint
	run -1 cp-ledger -C "$P" verify --checkpoint
	[[ $output == *"NOT the plane's checkpoint"* ]]
	run -0 cpp -q manifest
	[ -L ledger/checkpoint ]
}

@test "signed: the note verifies (Python's cryptography); altered, unsigned when required, and downgraded checkpoints" {
	"$REPO/bin/cp-sign" -G -n -p "$K/plane.pub" -s "$K/plane.sec"
	mkdir -p registries/keys
	cp "$K/plane.pub" registries/keys/
	export CONTROL_PLANE_SIGNING_KEY=$K/plane.sec
	run -0 cpp -q manifest
	run -0 cpp -q install PKG-EXT-HELLO
	[ "$(head -n 3 ledger/checkpoint)" = "$(python_checkpoint)" ]
	/usr/bin/python3 - ledger/checkpoint "$K/plane.pub" <<'EOF'
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
note = open(sys.argv[1], "rb").read()
text, sigs = note.split(b"\n\n", 1)
text += b"\n"
pub = base64.b64decode(open(sys.argv[2]).read().splitlines()[1])[10:]
name = b"localhost/cp-plane"
keyid = hashlib.sha256(name + b"\n" + b"\x01" + pub).digest()[:4]
line = sigs.decode().strip()
assert line.startswith("\u2014 localhost/cp-plane "), line
raw = base64.b64decode(line.split(" ")[2])
assert raw[:4] == keyid
Ed25519PublicKey.from_public_bytes(pub).verify(raw[4:], text)
EOF
	run -0 mk ledger-verify
	[[ ${lines[0]} == "ledger/checkpoint signed by localhost/cp-plane+"*" (registries/keys/plane.pub): the signature verifies" ]]
	both_pass
	cp ledger/checkpoint "$T/old"
	old=$(sed -n 2p "$T/old")
	run -0 step
	run -0 step
	cp ledger/checkpoint "$T/new"
	# the size altered: the signature no longer verifies
	sed -i "2s/.*/$((old + 1))/" ledger/checkpoint
	both_fail "does not verify: the checkpoint was altered"
	# the signature stripped: a plain checkpoint passes, unless signatures are required
	head -n 3 "$T/new" > ledger/checkpoint
	both_pass
	echo CONTROL_PLANE_SIGNATURES=required >> registries/plane.conf
	both_fail "not signed by a trusted key (registries/keys/*.pub), and CONTROL_PLANE_SIGNATURES=required"
	sed -i '$d' registries/plane.conf
	# a downgrade to an older signed checkpoint is a prefix: it passes, and so
	# does a rewrite of the entries after it; one among the entries it covers fails
	cp "$T/old" ledger/checkpoint
	both_pass
	cp ledger/governance.jsonl "$T/full"
	/usr/bin/python3 "$DATA/cp-ledger/rewrite.py" ledger/governance.jsonl $((old + 1))
	both_pass
	cp "$T/full" ledger/governance.jsonl
	/usr/bin/python3 "$DATA/cp-ledger/rewrite.py" ledger/governance.jsonl $((old - 1))
	both_fail "NOT consistent"
	cp "$T/full" ledger/governance.jsonl
	cp "$T/new" ledger/checkpoint
	both_pass
}
