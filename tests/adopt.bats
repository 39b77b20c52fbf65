#!/usr/bin/env bats
# Taking over a plane the Python tools built (issue 17: the safe default,
# roles, cp-plane adopt, MANIFEST.json kept).  The plane is
# tests/data/cp-plane-adopt/Control_Plane_v2: files of the Python original
# (commit fb86f63), with two packages installed by its genesis_bootstrap.py
# (see the README beside it).  Expected answers come from sha256sum, jq,
# python3 (json, csv, hashlib) and openssl, never from cp-plane itself.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CPP=$REPO/bin/cp-plane
PYPLANE=$BATS_TEST_DIRNAME/data/cp-plane-adopt/Control_Plane_v2

setup() {
	T=$BATS_TEST_TMPDIR
	P=$T/Control_Plane_v2
	export HOME=$T/home
	mkdir -p "$HOME"
	cp -R "$PYPLANE" "$T"/
	unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT \
		CONTROL_PLANE_ALLOW_PASSTHROUGH ADMIN USERS
	export CONTROL_PLANE_SHARED_SECRET=adopt-test-secret-123
	export CONTROL_PLANE_TOKEN=$(token alice)
	cd "$P"
}

token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}

lines() { wc -l < ledger/governance.jsonl; }
last() { tail -n 1 ledger/governance.jsonl; }

@test "a Python plane: no provider configured is hmac, and no roles file is an error naming adopt" {
	[ ! -e registries/plane.conf ] && [ ! -e registries/roles.csv ]
	n=$(lines)
	run --separate-stderr -2 "$CPP" install PKG-FMWK-100
	[[ "$stderr" == *"registries/roles.csv: no roles file"*"cp-plane adopt --admin USER"* ]]
	[ "$(lines)" -eq "$n" ]
	# passthrough is not a way in without the switch
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -2 "$CPP" install PKG-FMWK-100
	[[ "$stderr" == *"CONTROL_PLANE_ALLOW_PASSTHROUGH=1"* ]]
}

@test "adopt: denied without the admin's token, ledgered; nothing written" {
	n=$(lines)
	before=$(tree_state "$P" | grep -v ' ./ledger/')
	CONTROL_PLANE_TOKEN= run --separate-stderr -1 "$CPP" adopt --admin alice
	[[ "$stderr" == *"denied:"*"no token"* ]]
	CONTROL_PLANE_TOKEN=$(token bob) run --separate-stderr -1 "$CPP" adopt --admin alice
	[[ "$stderr" == *"denied: 'bob' may not"*"not the admin's"* ]]
	CONTROL_PLANE_TOKEN=alice:0000 run -1 "$CPP" adopt --admin alice
	[ "$(lines)" -eq $((n + 3)) ]
	tail -n 3 ledger/governance.jsonl | jq -se 'all(.event_type == "authz_denied" and .decision == "DENIED")'
	tail -n 3 ledger/governance.jsonl | grep -vq "$(token alice | cut -d: -f2)"
	[ "$(tree_state "$P" | grep -v ' ./ledger/')" = "$before" ]
	run -2 "$CPP" adopt
	run -2 "$CPP" adopt --admin 'bad:name'
	run -2 "$CPP" adopt --admin alice --user 'bob'
	run -2 "$CPP" adopt --admin alice --user 'bob:wizard'
}

@test "adopt: hmac pinned, roles written, Python receipts indexed, the ledger as found recorded, one entry" {
	n=$(lines)
	head=$(last | jq -r .entry_hash)
	# the RFC 9162 root over the entries' hashes, computed here by Python
	root=$(python3 - <<'EOF'
import hashlib, json
hs = [bytes.fromhex(json.loads(l)["entry_hash"]) for l in open("ledger/governance.jsonl")]
leaves = [hashlib.sha256(b"\0" + h).digest() for h in hs]
def mth(v):
    if len(v) == 1: return v[0]
    k = 1
    while k * 2 < len(v): k *= 2
    return hashlib.sha256(b"\1" + mth(v[:k]) + mth(v[k:])).digest()
print(mth(leaves).hex())
EOF
)
	run --separate-stderr -0 "$CPP" --json adopt --admin alice --user bob:maintainer --user 'carol:reader,auditor'
	jq -e '.status == "adopted" and .changed and .exit == 0 and .user == "alice"
		and ([.files[].path] == ["PKG-FMWK-100", "PKG-FMWK-101"])' <<<"$output"
	[ "$(lines)" -eq $((n + 1)) ]
	last | jq -e --arg h "$head" --arg r "$root" --argjson n "$n" '.event_type == "plane_adopt" and .decision == "ADOPT"
		and .metadata.user == "alice"
		and .metadata.ledger_found == {"entries": $n, "legacy": 0, "intact": true, "head": $h, "root": $r}
		and .metadata.receipts_indexed == ["PKG-FMWK-100", "PKG-FMWK-101"]
		and .metadata.roles == {"alice": "admin", "bob": "maintainer", "carol": "reader,auditor"}'
	# roles.csv as Python's csv reads it
	python3 -c 'import csv, sys
rows = [(r["user"], r["roles"]) for r in csv.DictReader(open("registries/roles.csv", newline=""))]
assert rows == [("alice", "admin"), ("bob", "maintainer"), ("carol", "reader,auditor")], rows'
	grep -qx 'CONTROL_PLANE_AUTH_PROVIDER=hmac' registries/plane.conf
	# each receipt: the Python receipt's files, sha256sum -c passes, the .info of the row's route
	for id in PKG-FMWK-100 PKG-FMWK-101; do
		[ "$(jq -r '.files[] | .sha256 + "  " + .path' installed/$id/receipt.json)" = "$(cat installed/$id.sha256)" ]
		sha256sum -c --quiet installed/$id.sha256
		[ "$(sed -n 's/^digest=//p' installed/$id.info)" = "$(jq -r .archive_digest installed/$id/receipt.json)" ]
		grep -qx 'destination=.' installed/$id.info
		[ -f installed/$id/receipt.json ]
	done
	"$REPO/bin/cp-ledger" verify
	# the roles now work: bob may install, carol may not
	CONTROL_PLANE_TOKEN=$(token carol) run -1 "$CPP" remove PKG-FMWK-100
	# --force: installed packages depend on it, which remove refuses since issue 20
	CONTROL_PLANE_TOKEN=$(token bob) run -0 "$CPP" --force remove PKG-FMWK-100
	[ ! -e frameworks/FMWK-100_agent_development_standard.md ]
	run -0 "$CPP" install PKG-FMWK-100
	[ "$(sha256sum < frameworks/FMWK-100_agent_development_standard.md | cut -c1-64)" = \
		"$(jq -r '.files[0].sha256' installed/PKG-FMWK-100/receipt.json)" ]
}

@test "adopt again changes nothing; a plane governed without adoption is refused" {
	run -0 "$CPP" adopt --admin alice
	n=$(lines)
	before=$(tree_state "$P")
	run --separate-stderr -0 "$CPP" adopt --admin alice
	[[ "$stderr" == *"adopted already"* ]]
	[ "$(lines)" -eq "$n" ] && [ "$(tree_state "$P")" = "$before" ]
	# another plane whose roles file did not come from adoption
	cp -R "$PYPLANE" "$T/other"
	printf 'user,roles\r\nalice,admin\r\n' > "$T/other/registries/roles.csv"
	run --separate-stderr -1 "$CPP" -C "$T/other" adopt --admin alice
	[[ "$stderr" == *"governs it already"* ]]
}

@test "adopt: a Python receipt that names a path outside its destination is skipped and named" {
	python3 - <<'EOF'
import json
p = "installed/PKG-FMWK-101/receipt.json"
r = json.load(open(p)); r["files"].append({"path": "../outside", "sha256": "0" * 64})
json.dump(r, open(p, "w"), indent=2)
EOF
	run --separate-stderr -0 "$CPP" --json adopt --admin alice
	jq -e '[.files[].path] == ["PKG-FMWK-100"] and (.missing | length) == 1
		and (.missing[0] | startswith("PKG-FMWK-101"))' <<<"$output"
	[ ! -e installed/PKG-FMWK-101.info ] && [ -e installed/PKG-FMWK-100.info ]
	last | jq -e '.metadata.receipts_skipped | length == 1'
}

@test "make adopt ADMIN= USERS=: values through the environment" {
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$REPO/bin" "$REPO/mk/plane.mk" > Makefile
	make --no-print-directory adopt ADMIN=alice USERS='bob:maintainer carol:reader'
	python3 -c 'import csv
assert [r["user"] for r in csv.DictReader(open("registries/roles.csv", newline=""))] == ["alice", "bob", "carol"]'
}

@test "MANIFEST.json stays the Python tools' file: version, unknown keys and listed paths kept" {
	python3 - <<'EOF'
import json
m = json.load(open("MANIFEST.json"))
m["extra"] = {"kept": [1, 2]}
json.dump(m, open("MANIFEST.json", "w"), indent=2)
EOF
	cp MANIFEST.json "$T/before.json"
	run -0 "$CPP" adopt --admin alice
	echo "an edit" >> frameworks/FMWK-101_altitude_depth_standard.md
	run -0 "$CPP" manifest
	python3 - "$T/before.json" <<'EOF'
import hashlib, json, os, sys
old, new = json.load(open(sys.argv[1])), json.load(open("MANIFEST.json"))
assert new["version"] == old["version"] == "2.0.0-v2", new["version"]
assert new["extra"] == {"kept": [1, 2]}
# every listed path whose file is there stays, rehashed; those gone go; its own entry is kept
there = {p for p in old["checksums"] if os.path.isfile(p)}
assert len(there) >= 3 and there <= set(new["checksums"]), there - set(new["checksums"])
assert not {p for p in new["checksums"] if not os.path.isfile(p)}
assert new["checksums"]["MANIFEST.json"] == old["checksums"]["MANIFEST.json"]
for path, v in new["checksums"].items():
    # the ledger changes with the manifest's own entry, after it was hashed
    if path != "MANIFEST.json" and not path.startswith("ledger/"):
        data = open(path, "rb").read()
        assert v == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}, path
assert new["merkle_scheme"] == "rfc6962"
EOF
}
