#!/usr/bin/python3
"""Make the Python-written files of the test plane and record the Python tools' answers.

usage: /usr/bin/python3 answers.py PY PLANE
PY is the Python original's Control_Plane_v2 directory (Brain_Garden at fb86f63);
PLANE the plane seed.py wrote.  The scripts find their plane through lib/paths.py,
which points at PY; this harness points their module globals at PLANE instead.
"""
import csv, hashlib, importlib.util, json, sys
from pathlib import Path

PY, PLANE = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
ANS = PLANE.parent / "answers"
sys.path.insert(0, str(PY))


def load(name):
    spec = importlib.util.spec_from_file_location(name, PY / "scripts" / (name + ".py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def set_hash(ids, value):
    p = PLANE / "registries/control_plane_registry.csv"
    with open(p, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        cols, rows = r.fieldnames, list(r)
    for row in rows:
        if row["id"] in ids:
            row["content_hash"] = value
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


ANS.mkdir(exist_ok=True)
ic = load("integrity_check")
ic.CONTROL_PLANE, ic.REGISTRIES_DIR = PLANE, PLANE / "registries"

# 1. content_hash as integrity_check.py --update-hashes writes it; then REG-CP
# without one (it cannot hold its own), a hash on a row without a path (only
# lib/integrity.py's stored root sees it), and FMWK-102 edited after hashing.
ic.update_registry_hashes()
set_hash({"REG-CP"}, "")
set_hash({"DOC-NOPATH"}, hashlib.sha256(b"doc").hexdigest())
with open(PLANE / "frameworks/FMWK-102_convention.md", "a") as f:
    f.write("edited after hashing\n")

# 2. integrity_check.py --json (the timestamp left out, the plane's path as @PLANE@)
result = ic.verify_registry_hashes()
orphans = ic.find_orphans()
result.chain_errors = ic.verify_chain_links()
out = json.loads(ic.format_json(result, orphans))
del out["timestamp"]
text = json.dumps(out, indent=2).replace(str(PLANE), "@PLANE@")
(ANS / "integrity.json").write_text(text + "\n")

# 3. lib/integrity.py's root over the stored content_hash values, and a
# version checkpoint as cp_version_checkpoint.py records one (without its auth).
from lib.integrity import IntegrityChecker
import lib.ledger_client
from lib.ledger_client import LedgerClient, LedgerEntry
import lib.pristine
lib.pristine.assert_append_only = lambda p: None  # PLANE is outside PY's write boundary
stored = IntegrityChecker(PLANE)._check_merkle_root(IntegrityChecker(PLANE)._load_registry())[1]
(ANS / "stored-root.txt").write_text(stored + "\n")
(PLANE / "versions").mkdir(exist_ok=True)
vid = "VER-20260131000000"
reg = (PLANE / "registries/control_plane_registry.csv").read_bytes()
(PLANE / "versions" / (vid + "_registry.csv")).write_bytes(reg)
(PLANE / "versions" / (vid + ".json")).write_text(json.dumps({
    "version_id": vid, "label": "test", "timestamp": "2026-01-31T00:00:00+00:00",
    "merkle_root": stored, "registry_hash": hashlib.sha256(reg).hexdigest(),
    "manifest_hash": "", "packages": [], "registry_snapshot": "versions/%s_registry.csv" % vid,
    "ledger_entry_id": None, "actor": ""}, indent=2))

# 4. package_sync.py's compiled view
ps = load("package_sync")
ps.PKG_PATH = PLANE / "registries/packages_registry.csv"
ps.OUTPUT_PATH = PLANE / "registries/compiled/packages.json"
ps.assert_write_allowed = lambda p: None
ps.main()

# 5. ledgers: a hand-appended legacy line, entries LedgerClient writes (numbers
# beyond 64 bits, NaN, Infinity), a rotation, and the other families.
led = PLANE / "ledger"
led.mkdir(exist_ok=True)
with open(led / "governance.jsonl", "w") as f:
    f.write(json.dumps({"event_type": "note", "submission_id": "HAND-1", "decision": "NOTED",
                        "reason": "appended by hand", "timestamp": "2026-01-30T00:00:00+00:00"}) + "\n")
gov = LedgerClient(ledger_path=led / "governance.jsonl", enable_index=False, rotate_daily=False,
                   rotate_bytes=0)
gov.write(LedgerEntry(event_type="package_install", submission_id="PKG-A", decision="INSTALLED",
                      reason="installed caf\u00e9", metadata={"files": 2, "big": 2 ** 70,
                                                              "neg": -2 ** 65}))
gov.write(LedgerEntry(event_type="measure", submission_id="M", decision="RECORDED", reason="odd numbers",
                      metadata={"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"),
                                "f": 0.1, "e": 1e16}))
gov.write(LedgerEntry(event_type="version_checkpoint", submission_id=vid, decision="RECORDED",
                      reason="Checkpoint %s test" % vid,
                      metadata={"registry_hash": hashlib.sha256(reg).hexdigest(), "manifest_hash": "",
                                "merkle_root": stored, "packages": []}))
gov.flush()
gov.rotate_bytes = 1
gov.write(LedgerEntry(event_type="package_remove", submission_id="PKG-B", decision="REMOVED",
                      reason="after rotation"))
gov.flush()
for base in ("packages", "kernel"):
    c = LedgerClient(ledger_path=led / (base + ".jsonl"), enable_index=False, rotate_daily=False)
    for i in range(3):
        c.write(LedgerEntry(event_type=base + "_event", submission_id="S-%d" % i, decision="OK",
                            reason="%s %d" % (base, i)))
    c.flush()
answers = {}
for base in ("governance", "packages", "kernel"):
    ok, issues = LedgerClient(ledger_path=led / (base + ".jsonl"), enable_index=False,
                              rotate_daily=False).verify_chain()
    answers[base] = {"valid": ok, "issues": issues}
(ANS / "ledger-verify.json").write_text(json.dumps(answers, indent=2) + "\n")

# 6. a receipt as genesis_bootstrap.py writes it
gb = load("genesis_bootstrap")
gb.write_install_receipt("PKG-A", "1.0.0", PLANE / "packages_store/PKG-A.tar.gz",
                         ["frameworks/FMWK-100_agent.md"], PLANE)
