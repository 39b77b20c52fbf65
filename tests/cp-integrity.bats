#!/usr/bin/env bats
# cp-integrity: the answers come from sha256sum, Python (csv, hashlib, the
# cp2 and RFC 9162 definitions written out below) and jq.
# SPDX-License-Identifier: ISC

load helper

# cp2 root (design.md section 5) of the hex digests on standard input.
cp2() {
	python3 -c '
import hashlib, sys
h = sys.stdin.read().split()
if not h: print(""); sys.exit()
while len(h) > 1:
    if len(h) % 2: h.append(h[-1])
    h = [hashlib.sha256((h[i] + h[i + 1]).encode()).hexdigest() for i in range(0, len(h), 2)]
print(h[0])'
}

# RFC 9162 root over the lines of standard input (leaf data: a line without its newline).
rfc6962() {
	python3 -c '
import hashlib, sys
leaves = [hashlib.sha256(b"\0" + l).digest() for l in sys.stdin.buffer.read().split(b"\n")[:-1]]
def mth(d):
    if not d: return hashlib.sha256(b"").digest()
    if len(d) == 1: return d[0]
    k = 1
    while k * 2 < len(d): k *= 2
    return hashlib.sha256(b"\1" + mth(d[:k]) + mth(d[k:])).digest()
print(mth(leaves).hex())'
}

sha() { sha256sum < "$1" | cut -c1-64; }

# Rows "id,entity_type,artifact_path,content_hash" on stdin -> the registry, written by Python's csv.
registry() {
	python3 -c '
import csv, sys
cols = ["id", "name", "entity_type", "artifact_path", "status", "content_hash"]
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=cols)
w.writeheader()
for line in sys.stdin.read().splitlines():
    i, t, p, h = line.split(",")
    w.writerow({"id": i, "name": i.lower(), "entity_type": t, "artifact_path": p, "status": "active", "content_hash": h})
' registries/control_plane_registry.csv
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p plane/registries plane/frameworks plane/modules/m/sub
	cd plane
	printf 'framework one\n' > frameworks/a.md
	printf 'framework two\n' > frameworks/b.md
	printf 'print(1)\n' > modules/m/m.py
	printf 'nested\n' > modules/m/sub/n.md
	dirhash=$( (find modules/m -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | cut -c1-64) | cp2)
	registry <<-EOF
	FMWK-A,framework,/frameworks/a.md,$(sha frameworks/a.md)
	FMWK-B,framework,/frameworks/b.md,$(sha frameworks/b.md)
	MOD-M,module,/modules/m,$dirhash
	REG-CP,registry,/registries/control_plane_registry.csv,
	EOF
}

@test "--help, --version, bad usage" {
	run -0 cp-integrity --help
	[[ "$output" == usage:* ]]
	run -0 cp-integrity --version
	[[ "$output" == "cp-integrity (Control Plane v2 in C) "* ]]
	run -2 cp-integrity --bogus
	run -2 cp-integrity extra-operand
	run -2 cp-integrity --write-manifest --json
	run -2 cp-integrity -j 0
}

@test "a healthy plane: valid rows, a directory as the cp2 root of its files, no_hash, the report's keys" {
	run --separate-stderr -0 cp-integrity --json
	jq -e '.healthy == true and .verified_count == 3 and .valid == ["FMWK-A","FMWK-B","MOD-M"]
		and .no_hash == ["REG-CP"] and .invalid == [] and .missing == [] and .orphans == []
		and .orphan_count == 0 and .chain_errors == [] and .chain_error_count == 0
		and .merkle_scheme == "cp2" and .manifest_root == null and .merkle_root_matches == null
		and .strict == false and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\+00:00$"))' <<< "$output"
	# cp2 plane root as integrity_check.py has it: the sorted actual hashes of every row with an
	# artifact, the hashless REG-CP too; stored_root as lib/integrity.py: the stored ones
	want=$(printf '%s\n' "$(sha frameworks/a.md)" "$(sha frameworks/b.md)" "$dirhash" \
		"$(sha registries/control_plane_registry.csv)" | LC_ALL=C sort | cp2)
	[ "$(jq -r .merkle_root <<< "$output")" = "$want" ]
	want=$(printf '%s\n' "$(sha frameworks/a.md)" "$(sha frameworks/b.md)" "$dirhash" | LC_ALL=C sort | cp2)
	[ "$(jq -r .stored_root <<< "$output")" = "$want" ]
	run -0 cp-integrity
	[[ "${lines[0]}" == "integrity: HEALTHY" ]]
	[[ "${lines[1]}" == "  valid 3, invalid 0, missing 0, no hash 1, orphans 0, chain errors 0, ledger errors 0" ]]
}

@test "the cp2 root of thousands of rows (split across threads), duplicates among them, as Python says" {
	rm -rf frameworks modules registries/control_plane_registry.csv
	mkdir -p frameworks
	# 6,003 files, one in seven a copy of another (equal digests); the first three rows without a
	# stored hash (still leaves: their actual hashes count), around the threads' 4 x 1,024
	# and with a last subtree of one leaf, which has to climb ten levels alone
	python3 -c '
import csv, hashlib
cols = ["id", "name", "entity_type", "artifact_path", "status", "content_hash"]
w = csv.DictWriter(open("registries/control_plane_registry.csv", "w", newline=""), fieldnames=cols)
w.writeheader()
for i in range(6003):
    data = b"doc %d\n" % (i if i % 7 else i // 7)
    open("frameworks/f%05d.md" % i, "wb").write(data)
    h = "" if i < 3 else hashlib.sha256(data).hexdigest()
    w.writerow({"id": "F%05d" % i, "name": "f", "entity_type": "framework",
                "artifact_path": "/frameworks/f%05d.md" % i, "status": "active", "content_hash": h})
'
	for n in 3 4 5 4098 4099 4100 4103 5124 6003; do
		head -n $((n + 1)) registries/control_plane_registry.csv > reg.csv
		want=$(python3 -c '
import csv, sys
import hashlib
print("\n".join(hashlib.sha256(open(r["artifact_path"][1:], "rb").read()).hexdigest()
                for r in csv.DictReader(open("reg.csv"))))' |
			LC_ALL=C sort | cp2)
		for j in 1 2; do	# -j 2: the root's subtrees on two threads
			run --separate-stderr -0 cp-integrity --no-ledger --registry reg.csv -j $j --json
			[ "$(jq -r .merkle_root <<< "$output")" = "$want" ] || {
				echo "n=$n -j $j: $(jq -r .merkle_root <<< "$output") != $want" >&2; return 1; }
		done
	done
}

@test "invalid, missing, not plane-relative, a symlink and a FIFO: exit 1, each in its place" {
	echo changed >> frameworks/a.md
	rm frameworks/b.md
	ln -s a.md frameworks/link.md
	mkfifo frameworks/pipe.md
	registry <<-EOF
	FMWK-A,framework,/frameworks/a.md,$(sha /dev/null)
	FMWK-B,framework,/frameworks/b.md,$(sha /dev/null)
	UNSAFE,framework,/frameworks/../../etc/passwd,$(sha /dev/null)
	RELATIVE,framework,frameworks/a.md,$(sha /dev/null)
	LINK,framework,/frameworks/link.md,$(sha frameworks/a.md)
	FIFO,framework,/frameworks/pipe.md,
	EOF
	run --separate-stderr -1 timeout 20 cp-integrity --json
	jq -e --arg a "$(sha frameworks/a.md)" '.healthy == false
		and .invalid == [{"id":"FMWK-A","expected":"'"$(sha /dev/null)"'","actual":$a},
			{"id":"LINK","expected":$a,"actual":""}]
		and .missing == [{"id":"FMWK-B","path":"/frameworks/b.md"},
			{"id":"UNSAFE","path":"/frameworks/../../etc/passwd"},
			{"id":"RELATIVE","path":"frameworks/a.md"}]
		and .no_hash == ["FIFO"]' <<< "$output"
	[[ "$stderr" == *"UNSAFE: artifact_path /frameworks/../../etc/passwd is not plane-relative"* ]]
	run -1 cp-integrity
	[[ "$output" == *"  invalid  LINK: expected $(sha frameworks/a.md), actual (not a file)"* ]]
	[[ "$output" == *"  missing  FMWK-B: /frameworks/b.md"* ]]
}

@test "orphans: governed directories and suffixes, children registries, named directories; --strict" {
	echo stray > frameworks/stray.md
	echo stray > frameworks/stray.txt	# not an orphan suffix
	echo inside > modules/m/sub/new.md	# under a registered directory: named
	mkdir -p specs && echo child > specs/child.md && echo lost > specs/lost.yaml
	mkdir -p outside && ln -s ../outside frameworks/linked && echo x > outside/o.md
	printf 'id,artifact_path\r\nS1,/specs/child.md\r\n' > registries/specs_registry.csv
	registry <<-EOF
	FMWK-A,framework,/frameworks/a.md,$(sha frameworks/a.md)
	FMWK-B,framework,/frameworks/b.md,$(sha frameworks/b.md)
	MOD-M,module,/modules/m,$dirhash
	REG-SPECS,registry,/registries/specs_registry.csv,
	EOF
	run --separate-stderr -1 cp-integrity --json	# MOD-M changed (new.md): invalid
	jq -e '.orphans == ["frameworks/stray.md", "specs/lost.yaml"] and .orphan_count == 2' <<< "$output"
	run --separate-stderr cp-integrity --json --governed frameworks --suffixes '.txt .md'
	jq -e '.orphans == ["frameworks/stray.md", "frameworks/stray.txt"]' <<< "$output"
	# orphans alone: healthy unless --strict
	rm modules/m/sub/new.md
	run --separate-stderr -0 cp-integrity --json
	jq -e '.healthy and .orphan_count == 2' <<< "$output"
	run --separate-stderr -1 cp-integrity --json --strict
	jq -e '(.healthy | not) and .strict' <<< "$output"
	run -2 cp-integrity --governed ../etc
	[[ "$output" == *"governed directory ../etc is not plane-relative"* ]]
}

@test "the hash cache: nothing changed reads nothing, one change reads one, --full reads all" {
	mkdir .cp
	run --separate-stderr -0 cp-integrity --json --cache .cp/hash.cache
	[ "$(jq .hashed <<< "$output")" -eq 5 ]	# four artifacts and the registry (REG-CP)
	# A file changed in the second the cache is written is rehashed next time
	# (git's racy rule): let the files' times fall in an earlier second.
	touch -d '1 minute ago' frameworks/a.md frameworks/b.md modules/m/m.py modules/m/sub/n.md \
		registries/control_plane_registry.csv
	sleep 1.1
	run --separate-stderr -0 cp-integrity --json --cache .cp/hash.cache
	run --separate-stderr -0 cp-integrity --json --cache .cp/hash.cache
	jq -e '.hashed == 0 and .cached == 5' <<< "$output"
	# same size, same mtime, new content: ctime tells
	m=$(stat -c %y frameworks/a.md); printf 'framework ONE\n' > frameworks/a.md; touch -d "$m" frameworks/a.md
	run --separate-stderr -1 cp-integrity --json --cache .cp/hash.cache
	jq -e '.hashed == 1 and .invalid[0].id == "FMWK-A"' <<< "$output"
	run --separate-stderr -1 cp-integrity --json --cache .cp/hash.cache --full
	jq -e '.hashed == 5 and .cached == 0' <<< "$output"
}

@test "--write-manifest: checksums as sha256sum says, rfc6962 root, then matched; a stale one fails" {
	run --separate-stderr -0 cp-integrity --write-manifest
	[[ "$stderr" == *"MANIFEST.json: 5 files, root "* ]]
	jq -r '.checksums | to_entries[] | "\(.value.sha256)  \(.key)"' MANIFEST.json > sums
	sha256sum -c --quiet sums
	[ "$(jq -r '.checksums["modules/m/sub/n.md"].size' MANIFEST.json)" -eq 7 ]
	want=$(find frameworks modules registries -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | rfc6962)
	jq -e --arg w "$want" '.merkle_root == $w and .merkle_scheme == "rfc6962" and .version == "1"' MANIFEST.json
	run --separate-stderr -0 cp-integrity --write-manifest
	[[ "$stderr" == *"MANIFEST.json: up to date ($want)"* ]]
	run --separate-stderr -0 cp-integrity --json
	jq -e --arg w "$want" '.merkle_scheme == "rfc6962" and .merkle_root == $w and .merkle_root_matches' <<< "$output"
	# a registered file changes: the stored root no longer matches
	printf 'framework two, edited\n' > frameworks/b.md
	run --separate-stderr -1 cp-integrity --json
	jq -e '.merkle_root_matches == false and .invalid[0].id == "FMWK-B"' <<< "$output"
}

@test "MANIFEST.json: a Python-era one (no scheme) is cp2; a corrupt one is an error, and rewritable" {
	root=$(printf '%s\n' "$(sha frameworks/a.md)" "$(sha frameworks/b.md)" "$dirhash" | LC_ALL=C sort | cp2)
	printf '{"version": "1.0", "checksums": {}, "merkle_root": "%s"}\n' "$root" > MANIFEST.json
	run --separate-stderr -0 cp-integrity --json
	jq -e '.merkle_scheme == "cp2" and .merkle_root_matches' <<< "$output"
	printf '{"merkle_root": "%064d"}\n' 1 > MANIFEST.json
	run --separate-stderr -1 cp-integrity
	[[ "$output" == *"MANIFEST.json DIFFERS (0000"* ]]
	printf '{"merkle_scheme": "sha1"}' > MANIFEST.json
	run --separate-stderr -2 cp-integrity
	[[ "$stderr" == *"unknown merkle_scheme"* ]]
	printf '{"merkle_root": ' > MANIFEST.json
	run --separate-stderr -2 cp-integrity --json
	[ -z "$output" ]
	run --separate-stderr -0 cp-integrity --write-manifest
	jq -e '.merkle_scheme == "rfc6962"' MANIFEST.json
}

@test "the ledger: a tampered entry is a ledger error (not a chain error); --no-ledger leaves it out" {
	cp-ledger -f ledger append -q --event-type a --submission-id S --decision D --reason one
	cp-ledger -f ledger append -q --event-type b --submission-id S --decision D --reason two
	run --separate-stderr -0 cp-integrity --json
	jq -e '.ledger_error_count == 0 and .ledger_errors == []' <<< "$output"
	sed -i 's/"reason": "one"/"reason": "0ne"/' ledger/governance.jsonl
	run --separate-stderr -1 cp-integrity --json
	jq -e '.ledger_error_count == 1 and .chain_error_count == 0 and .healthy == false and
		(.ledger_errors[0] | startswith("ledger/governance.jsonl:1: tampered entry LED-"))' <<< "$output"
	run --separate-stderr -0 cp-integrity --json --no-ledger
	jq -e '.ledger_error_count == 0' <<< "$output"
}

@test "-C, CONTROL_PLANE_ROOT, --registry; unreadable or malformed registries exit 2" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr -0 cp-integrity -C plane --json
	jq -e '.verified_count == 3' <<< "$output"
	CONTROL_PLANE_ROOT=$PWD/plane run --separate-stderr -0 cp-integrity --json
	jq -e '.verified_count == 3' <<< "$output"
	run -2 cp-integrity -C no-such-plane
	[[ "$output" == *"plane no-such-plane"* ]]
	cd plane
	run -2 cp-integrity --registry missing.csv
	printf 'id,artifact_path\r\n"unterminated\r\n' > bad.csv
	run --separate-stderr -2 cp-integrity --registry bad.csv
	[[ "$stderr" == *"bad.csv:2: "* ]]
	printf 'id,content_hash\r\nX,\r\n' > nopath.csv
	run --separate-stderr -2 cp-integrity --registry nopath.csv
	[[ "$stderr" == *"no artifact_path column"* ]]
	run -2 cp-integrity --registry /dev/null
}

@test "an unwritable standard output is an error" {
	run bash -c 'cp-integrity --json > /dev/full'
	[ "$status" -eq 2 ]
}

@test "the man page is lint clean and documents every long option" {
	command -v mandoc > /dev/null || skip "mandoc is not installed"
	man=$BATS_TEST_DIRNAME/../man/cp-integrity.1
	mandoc -Tlint -Wwarning "$man"
	for opt in $(cp-integrity --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -Eq -- "^\.It .*Fl \\\\${opt#-}( |\$)" "$man" || {
			echo "not in the man page: $opt" >&2
			return 1
		}
	done
}

# The report without the fields that vary from run to run.
stable() { jq -S 'del(.timestamp, .hashed, .cached)'; }

# The digests and MAC of a state file made good again over its content as
# it now is, under the key file $2 (default: the user's state key, so the
# edit is the key owner's): the SHA-256 of each 4 KiB block, the length,
# the HMAC-SHA256 of those.
reseal() {
	python3 -c '
import hashlib, hmac, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
key = bytes.fromhex(open(sys.argv[2]).read().strip())
total = struct.unpack("<Q", b[-40:-32])[0]
sums = b"".join(hashlib.sha256(b[k:min(k + 4096, total)]).digest() for k in range(0, total, 4096))
tail = sums + struct.pack("<Q", total)
b[total:] = tail + hmac.new(key, tail, "sha256").digest()
open(sys.argv[1], "wb").write(b)' "$1" "${2:-$XDG_STATE_HOME/cp/state.key}"
}

@test "--state: a run from the state equals a whole run, after every kind of change" {
	mkdir .cp
	cp-ledger -f ledger append -q --event-type a --submission-id S --decision D --reason one
	run --separate-stderr cp-integrity --json --state .cp/state
	sleep 1.1	# the inputs' times now lie before the second the state is written in
	run --separate-stderr cp-integrity --json --state .cp/state
	sleep 1.1
	# nothing changed: the report comes from the state, no file is read
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	jq -e '.hashed == 0 and .cached == 5' <<< "$output"
	[ "$(stable <<< "$output")" = "$(cp-integrity --json | stable)" ]
	n=0
	for change in \
		'printf "edited\n" >> frameworks/a.md' \
		'm=$(stat -c %y frameworks/b.md); printf "framework TWO\n" > frameworks/b.md; touch -d "$m" frameworks/b.md' \
		'echo new > modules/m/sub/new.md' \
		'rm modules/m/sub/new.md' \
		'echo stray > frameworks/stray.md' \
		'mkdir -p specs && echo s > specs/s.yaml' \
		'rm frameworks/b.md' \
		'ln -s a.md frameworks/b.md' \
		'rm frameworks/b.md && printf "framework two\n" > frameworks/b.md' \
		'sed -i "s/one/0ne/" ledger/governance.jsonl' \
		'printf "{\"merkle_root\": \"%064d\"}\n" 1 > MANIFEST.json' \
		'rm MANIFEST.json' \
		'cp-regrow -i registries/control_plane_registry.csv set FMWK-A content_hash=$(sha frameworks/a.md)' \
		'cp-regrow -i registries/control_plane_registry.csv del FMWK-B' \
		'touch frameworks/a.md' \
		'printf "{}\n" > m.json && ln -s m.json MANIFEST.json' \
		'sleep 1.1; cp-integrity --state .cp/state > /dev/null || :; printf "{\"merkle_root\": \"%064d\"}\n" 2 > m.json'; do
		eval "$change"
		run --separate-stderr cp-integrity --json --state .cp/state
		got=$(stable <<< "$output") s1=$status
		run --separate-stderr cp-integrity --json
		[ "$got" = "$(stable <<< "$output")" ] && [ "$s1" -eq "$status" ] || {
			echo "after: $change" >&2; diff <(echo "$got") <(stable <<< "$output") >&2; return 1; }
		n=$((n + 1))
		# and again once the change has settled (the state's fast path)
		if [ $((n % 5)) -eq 0 ]; then
			sleep 1.1
			run --separate-stderr cp-integrity --json --state .cp/state
			[ "$(stable <<< "$output")" = "$got" ]
		fi
	done
}

@test "--state: after changed files the cp2 root comes from the tree kept in the state, and is Python's" {
	rm -rf frameworks modules registries/control_plane_registry.csv
	mkdir -p frameworks .cp
	# 5,000 rows, one in nine a copy of another; the first three without a hash (not leaves)
	python3 -c '
import csv
cols = ["id", "name", "entity_type", "artifact_path", "status", "content_hash"]
w = csv.DictWriter(open("registries/control_plane_registry.csv", "w", newline=""), fieldnames=cols)
w.writeheader()
for i in range(5000):
    open("frameworks/f%05d.md" % i, "wb").write(b"doc %d\n" % (i if i % 9 else i // 9))
    w.writerow({"id": "F%05d" % i, "name": "f", "entity_type": "framework", "artifact_path":
                "/frameworks/f%05d.md" % i, "status": "active", "content_hash": "" if i < 3 else "x"})
'
	want() {
		python3 -c '
import csv, hashlib
for r in csv.DictReader(open("registries/control_plane_registry.csv")):
    if r["artifact_path"]:
        print(hashlib.sha256(open(r["artifact_path"][1:], "rb").read()).hexdigest())' |
			LC_ALL=C sort | cp2
	}
	cp-integrity --no-ledger --state .cp/state > /dev/null || :
	sleep 1.1
	cp-integrity --no-ledger --state .cp/state > /dev/null || :
	ino=$(stat -c %i .cp/state)
	for change in \
		'echo x >> frameworks/f00010.md' \
		'echo x >> frameworks/f00001.md' \
		'cp frameworks/f00020.md frameworks/f00031.md' \
		'printf "doc 10\n" > frameworks/f00010.md' \
		'for i in 1400 2100 2800 3500 4200 4999; do echo y >> frameworks/f0$i.md; done' \
		'for i in $(seq 1000 1070); do echo z >> frameworks/f0$i.md; done' \
		'echo w >> frameworks/f04999.md'; do
		eval "$change"
		run --separate-stderr cp-integrity --no-ledger -j 2 --json --state .cp/state
		[ "$(jq -r .merkle_root <<< "$output")" = "$(want)" ] || { echo "after: $change" >&2; return 1; }
		[ "$(stat -c %i .cp/state)" = "$ino" ]	# in place: the tree's changed nodes rewritten
	done
	# a state whose tree lacks the leaf a changed file had (its MAC made good again):
	# the tree is built whole, and the root is still right
	sleep 1.1
	cp-integrity --no-ledger --state .cp/state > /dev/null || :
	python3 -c '
import hashlib, struct, sys
st, old = sys.argv[1], hashlib.sha256(open("frameworks/f02500.md", "rb").read()).digest()
b = bytearray(open(st, "rb").read())
total = struct.unpack("<Q", b[-40:-32])[0]
n = 5000  # every row with an actual hash is a leaf (the three hashless ones too)
w, nodes = n, n
while w > 1:
    w = (w + 1) // 2
    nodes += w
tree = total - 32 * nodes
assert struct.unpack("<Q", b[tree - 8:tree])[0] == n
at = next(tree + 32 * i for i in range(n) if b[tree + 32 * i:tree + 32 * i + 32] == old)
b[at] ^= 1
open(st, "wb").write(b)' .cp/state
	reseal .cp/state
	echo v >> frameworks/f02500.md
	run --separate-stderr cp-integrity --no-ledger --json --state .cp/state
	jq -e '.hashed == 1' <<< "$output"
	[ "$(jq -r .merkle_root <<< "$output")" = "$(want)" ]
}

@test "--state: a state damaged anywhere with its MAC made good (by the key's owner) never crashes a run; --full recovers" {
	mkdir -p .cp frameworks/many
	for i in $(seq 40); do echo "doc $i" > frameworks/many/d$i.md; done
	# the rows as they are: a file each, the directory as the cp2 root of its files
	registry <<-EOF
	FMWK-A,framework,/frameworks/a.md,$(sha frameworks/a.md)
	MOD-M,module,/modules/m,$dirhash
	$(for i in $(seq 40); do echo "D$i,framework,/frameworks/many/d$i.md,$(sha frameworks/many/d$i.md)"; done)
	REG-CP,registry,/registries/control_plane_registry.csv,
	EOF
	cp-integrity --state .cp/state > /dev/null || :
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null || :
	cp .cp/state good
	for seed in $(seq 60); do
		cp good .cp/state
		python3 -c '
import random, struct, sys
random.seed(int(sys.argv[2]))
b = bytearray(open(sys.argv[1], "rb").read())
total = struct.unpack("<Q", b[-40:-32])[0]
for _ in range(random.randint(1, 3)):
    b[random.randrange(21, total)] ^= 1 << random.randrange(8)
open(sys.argv[1], "wb").write(b)' .cp/state "$seed"
		reseal .cp/state
		echo "edit $seed" >> frameworks/many/d$((seed % 40 + 1)).md
		run --separate-stderr cp-integrity --json --state .cp/state
		no_signal
		[ "$status" -le 2 ]
		run --separate-stderr cp-integrity --json --state .cp/state --full
		no_signal
		[ "$(stable <<< "$output")" = "$(cp-integrity --json | stable)" ] || {
			echo "seed $seed: --full differs from a stateless run" >&2; return 1; }
	done
}

@test "--state: a torn or foreign state file, or other options, mean a whole run" {
	mkdir .cp
	cp-integrity --state .cp/state > /dev/null
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null
	want=$(cp-integrity --json | stable)
	truncate -s -7 .cp/state
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	[ "$(stable <<< "$output")" = "$want" ]
	printf 'not a state\n' > .cp/state
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	[ "$(stable <<< "$output")" = "$want" ]
	# other governed directories: the state of the first options does not answer
	echo stray > modules/stray.md
	sleep 1.1
	cp-integrity --state .cp/state --governed frameworks > /dev/null
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	jq -e '.orphans == ["modules/stray.md"]' <<< "$output"
	# --full reads everything, whatever the state says
	run --separate-stderr -0 cp-integrity --json --state .cp/state --full
	jq -e '.hashed == 5' <<< "$output"
}

@test "--state: a changed file is written into the state in place; a damaged byte anywhere, or a lock, and it is not trusted" {
	mkdir .cp
	cp-integrity --state .cp/state > /dev/null
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null
	ino=$(stat -c %i .cp/state)
	printf 'edited\n' >> frameworks/a.md
	run --separate-stderr -1 cp-integrity --json --state .cp/state
	jq -e '.hashed == 1 and (.invalid | map(.id)) == ["FMWK-A"]' <<< "$output"
	[ "$(stat -c %i .cp/state)" = "$ino" ]	# the same file, its changed fields rewritten
	# a.md changed in the second the state was written in: read once more (racy), then settled
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null || :
	run --separate-stderr -1 cp-integrity --json --state .cp/state
	jq -e '.hashed == 0 and (.invalid | map(.id)) == ["FMWK-A"]' <<< "$output"
	want=$(cp-integrity --json | stable) || :
	[ "$(stable <<< "$output")" = "$want" ]
	# one bit flipped: in the header, the inputs, the report, the digests, the length, the MAC
	cp .cp/state good
	size=$(stat -c %s good)
	for off in 0 25 40 200 $((size / 2)) $((size - 60)) $((size - 36)) $((size - 30)) \
	    $((size - 14)) $((size - 8)) $((size - 1)); do
		cp good .cp/state
		python3 -c '
import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 4]))' .cp/state "$off"
		run --separate-stderr -1 cp-integrity --json --state .cp/state
		jq -e '.hashed == 5' <<< "$output" || { echo "byte $off of $size: trusted" >&2; return 1; }
		[ "$(stable <<< "$output")" = "$want" ]
	done
	# another run reading it (a shared lock): the change is not written, and is seen again
	cp-integrity --state .cp/state > /dev/null || :
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null || :
	cp .cp/state before
	printf 'again\n' >> frameworks/a.md
	run --separate-stderr -1 flock -s .cp/state cp-integrity --json --state .cp/state
	jq -e '.hashed == 1' <<< "$output"
	cmp .cp/state before
	run --separate-stderr -1 cp-integrity --json --state .cp/state
	jq -e '.hashed == 1' <<< "$output"
	run ! cmp -s .cp/state before
	# one writing it (an exclusive lock): as good as absent, a whole run
	run --separate-stderr -1 flock -x .cp/state cp-integrity --json --state .cp/state
	jq -e '.hashed == 5' <<< "$output"
	[ "$(stable <<< "$output")" = "$(cp-integrity --json | stable)" ]
}

# --- the cache and the state under the user's state key (issue 21) ---

# The forgery of issue 21 on the hash cache: the record of $1 given its new
# stat but its old digest, the trailer's plain SHA-256 recomputed; $2 the
# magic line written (the cache's own, or version 1's).
forge_cache() {
	python3 -c '
import hashlib, os, sys
name, magic, cache = sys.argv[1], sys.argv[2], sys.argv[3]
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
open(cache, "w").write(body)' "$1" "$2" .cp/hash.cache
}

@test "--cache: a forged record (old digest, new stat, plain trailer) cannot make a changed file HEALTHY" {
	mkdir .cp
	sleep 1.1
	run --separate-stderr -0 cp-integrity --cache .cp/hash.cache
	[ "$stderr" = "" ]
	[ "$(stat -c %a "$XDG_STATE_HOME/cp/state.key")" = 600 ]
	printf 'tampered\n' > frameworks/a.md
	sleep 1.1	# the forged cache is written in a later second: its records are not racy
	forge_cache frameworks/a.md "cp-hash-cache 2"
	run --separate-stderr -1 cp-integrity --json --cache .cp/hash.cache
	jq -e '(.invalid | map(.id)) == ["FMWK-A"] and .hashed == 5' <<< "$output"
	[[ "$stderr" == *".cp/hash.cache fails its MAC check (forged, corrupt, or written under another user's key)"* ]]
	# in the format of before (an unkeyed trailer): as if absent, no warning, and replaced
	cp-integrity --cache .cp/hash.cache > /dev/null || :
	sleep 1.1
	forge_cache frameworks/a.md "cp-hash-cache 1"
	run --separate-stderr -1 cp-integrity --json --cache .cp/hash.cache
	jq -e '(.invalid | map(.id)) == ["FMWK-A"] and .hashed == 5' <<< "$output"
	[ "$stderr" = "" ]
	head -n 1 .cp/hash.cache | grep -qx 'cp-hash-cache 2'
}

# The forgery on the state: frameworks/a.md's recorded lstat set to its new
# one (so that nothing seems changed and the HEALTHY report is taken from
# the state), then the digests and MAC made good under the key file $1.
forge_state() {
	python3 -c '
import os, struct
b = bytearray(open(".cp/state", "rb").read())
name = b"frameworks/a.md"
at = b.index(struct.pack("<Q", len(name)) + name + b"\0") + 8 + len(name) + 1
st = os.lstat("frameworks/a.md")
b[at:at + 40] = struct.pack("<QQQqq", st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
open(".cp/state", "wb").write(b)'
	reseal .cp/state "$1"
}

@test "--state: a forged state (a changed file's new lstat, resealed without the user's key) is ignored with a warning" {
	mkdir .cp
	cp-integrity --state .cp/state > /dev/null
	sleep 1.1
	cp-integrity --state .cp/state > /dev/null
	cp .cp/state good
	printf 'tampered\n' > frameworks/a.md
	sleep 1.1
	# the forger's own key: detected, a whole run, the change reported
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > forger.key
	forge_state forger.key
	run --separate-stderr -1 cp-integrity --json --state .cp/state
	jq -e '(.invalid | map(.id)) == ["FMWK-A"] and .hashed == 5' <<< "$output"
	[[ "$stderr" == *".cp/state fails its MAC check (forged, written under another user's key, or torn by a crash): ignored, every file hashed"* ]]
	# the control: the same forgery under the user's key is believed, so the test above can fail
	cp good .cp/state
	forge_state "$XDG_STATE_HOME/cp/state.key"
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	jq -e '.invalid == [] and .hashed == 0' <<< "$output"
}

@test "--state: a state of the format before (CRC-32s, version 4) is as if absent: a whole run, no warning" {
	mkdir .cp
	python3 -c '
import struct, zlib
content = b"cp-integrity-state 4\n" + bytes(64)
crcs = struct.pack("<I", zlib.crc32(content))
tail = struct.pack("<Q", len(content))
open(".cp/state", "wb").write(content + crcs + tail + struct.pack("<I", zlib.crc32(tail, zlib.crc32(crcs))))'
	run --separate-stderr -0 cp-integrity --json --state .cp/state
	[ "$stderr" = "" ]
	jq -e '.hashed == 5' <<< "$output"
	head -c 21 .cp/state | grep -q 'cp-integrity-state 5'
}

@test "--cache/--state: no usable state key means neither is used, a warning, the same answer" {
	mkdir .cp
	want=$(cp-integrity --json | stable)
	: > .cp/afile	# a home under a file: mkdir fails, as on a read-only home
	run --separate-stderr -0 env XDG_STATE_HOME="$PWD/.cp/afile/x" cp-integrity --json --cache .cp/hash.cache --state .cp/state
	[ "$(stable <<< "$output")" = "$want" ]
	[[ "$stderr" == *".cp/hash.cache and .cp/state not used: cannot make $PWD/.cp/afile/x for the state key: Not a directory"* ]]
	[ ! -e .cp/hash.cache ] && [ ! -e .cp/state ]
}
