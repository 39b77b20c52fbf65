#!/usr/bin/env python3
"""Golden files of tests/cp-regrow.bats, written by Python's csv and json modules.

The answers cp-regrow must give are what the Python tools' own library
writes: csv.DictWriter for registries, json.dumps for the compiled view
(with package_sync.py's install order).
Run with a directory to (re)write the files there:

    python3 tests/data/cp-regrow/gen.py tests/data/cp-regrow

The suite runs it into a scratch directory and compares, so the committed
files can be neither stale nor hand-edited.
"""
import csv
import io
import json
import os
import sys

PACKAGES = ("id,name,entity_type,category,version,source,source_type,digest,signature,"
            "attestation_path,attestation_digest,attestation_signature_path,platform,arch,"
            "deps,conflicts,license,artifact_path,output_type,output_path,status,selected,"
            "priority,owner,created_at,source_spec_id,content_hash").split(",")
CONTROL_PLANE = ("id,name,entity_type,category,purpose,artifact_path,status,selected,"
                 "priority,dependencies,output_type,output_path,version,owner,created_at,"
                 "source_spec_id,content_hash,config").split(",")


def digest(n):
    return format(n, "x").rjust(2, "0") * 32


def package(pid, n, **kw):
    row = dict.fromkeys(PACKAGES, "")
    row.update(id=pid, name=pid.lower().replace("pkg-", ""), entity_type="package",
               category="framework", version="1.0.0",
               source="packages_store/%s.tar.gz" % pid, source_type="tar",
               digest=digest(n), platform="any", arch="any", license="MIT",
               artifact_path="/packages/%s" % pid, output_type="extension",
               status="active", selected="yes", priority="P1", owner="ray",
               created_at="2026-01-31T22:00:11.074330+00:00", source_spec_id="SPEC-1")
    row.update(kw)
    return row


# A realistic packages registry: quoted comma lists, embedded quotes, a
# newline inside a field, UTF-8, a diamond (B and C on D, A on both).
ROWS = [
    package("PKG-A", 1, version="2.1.0", deps="PKG-B@^1.2.0,PKG-C@~1.4.0",
            conflicts="PKG-OLD", owner="Zoë Ångström"),
    package("PKG-B", 2, version="1.3.0", deps="PKG-D@>=0.9.0",
            license='MIT, "or" Apache-2.0'),
    package("PKG-C", 3, version="1.4.2", deps="PKG-D@==1.0.0",
            category="multi\nline category", platform="linux", arch="x86_64"),
    package("PKG-D", 4, version="1.0.0", output_type="module",
            output_path="modules/d", owner="\u8a31 (Hsu)"),
    package("PKG-E", 5, version="0.1.0-rc.1+build.7", source="src/e",
            source_type="local", digest="", deps="PKG-D", status="draft",
            selected="no", priority="P3"),
    package("PKG-X", 6, output_type="external", output_path="~/ext/x",
            status="deprecated", priority=""),
]

CP_ROWS = [
    dict(zip(CONTROL_PLANE, r)) for r in [
        ["REG-CP", "control plane registry", "registry", "governance", "the registry of the plane",
         "/registries/control_plane_registry.csv", "active", "yes", "P0", "", "", "", "1.0.0",
         "ray", "2026-01-31", "", "", ""],
        ["FMWK-100", "agent development standard", "framework", "standards", "how agents are built",
         "/frameworks/FMWK-100_agent_development_standard.md", "active", "yes", "P1", "REG-CP",
         "", "", "1.0.0", "ray", "2026-01-31", "SPEC-7", digest(16), '{"strict": true, "tags": ["a", "b"]}'],
        ["FMWK-200", "ledger protocol", "framework", "standards", "the ledger, line by line",
         "/frameworks/FMWK-200_ledger_protocol.md", "active", "yes", "P1", "REG-CP, FMWK-100",
         "", "", "1.0.0", "ray", "2026-01-31", "", digest(32), ""],
    ]
]


def dictwriter(path, fields, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        r = csv.DictReader(f)
        return r.fieldnames, list(r)


def install_order(rows):
    """package_sync.py's order: a depth-first walk of the ids (trimmed) in the
    order first seen, each one's deps (those of its last row, cut at '@' and
    trimmed) placed before it; an id already reached is not walked again, and a
    name no row has is placed where it is reached."""
    graph = {}
    for r in rows:
        graph[r["id"].strip()] = [e.split("@")[0].strip() for e in (r.get("deps") or "").split(",")
                                  if e.strip()]
    placed, order = set(), []
    for root in graph:
        stack = [(root, iter(graph.get(root, [])))] if root not in placed else []
        placed.add(root)
        while stack:
            node, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                order.append(node)
            elif dep not in placed:
                placed.add(dep)
                stack.append((dep, iter(graph.get(dep, []))))
    return order


def sync(path, out):
    """The bytes package_sync.py writes: json.dumps(indent=2), non-ASCII escaped, no newline."""
    _, rows = read(path)
    view = {"packages": rows, "install_order": install_order(rows)}
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(json.dumps(view, indent=2))


def edited(src, out, change):
    fields, rows = read(src)
    dictwriter(out, fields, change(rows))


def main(d):
    p = lambda name: os.path.join(d, name)
    dictwriter(p("packages.csv"), PACKAGES, ROWS)
    dictwriter(p("control_plane.csv"), CONTROL_PLANE, CP_ROWS)

    # The same registry as an editor might leave it: LF line ends, a byte order mark, no final newline.
    s = io.StringIO()
    w = csv.DictWriter(s, fieldnames=PACKAGES, lineterminator="\n")
    w.writeheader()
    w.writerows(ROWS)
    with open(p("packages-lf-bom.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write(s.getvalue().rstrip("\n"))

    # Queries and edits, answered by DictReader + DictWriter.
    fields, rows = read(p("packages.csv"))
    dictwriter(p("get-PKG-C.out"), fields, [r for r in rows if r["id"] == "PKG-C"])
    dictwriter(p("select-linux.out"), fields,
               [r for r in rows if r["platform"] == "linux" and r["status"] == "active"])
    with open(p("select-active.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            if r["status"] == "active":
                f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")

    def set_b(rows):
        for r in rows:
            if r["id"] == "PKG-B":
                r.update(status="superseded", license="a, b, and \"c\"\r\nd")
        return rows
    edited(p("packages.csv"), p("set-PKG-B.out"), set_b)

    new = dict.fromkeys(PACKAGES, "")
    new.update(id="PKG-N", name="ñew", version="3.0.0", deps="PKG-A@^2.0.0,PKG-E")
    edited(p("packages.csv"), p("add-PKG-N.out"), lambda rows: rows + [dict(new)])
    edited(p("packages.csv"), p("upsert-PKG-N.out"), lambda rows: rows + [dict(new)])

    def upsert_d(rows):
        for r in rows:
            if r["id"] == "PKG-D":
                r.update(version="1.0.1", selected="no")
        return rows
    edited(p("packages.csv"), p("upsert-PKG-D.out"), upsert_d)
    edited(p("packages.csv"), p("del-PKG-C.out"), lambda rows: [r for r in rows if r["id"] != "PKG-C"])

    sync(p("packages.csv"), p("sync.json"))
    sync(p("control_plane.csv"), p("sync-control-plane.json"))

    # A diamond written dependents first, and a chain written backwards:
    # the install order must differ from the file order in both.
    diamond = [package("TOP", 10, deps="LEFT,RIGHT"), package("LEFT", 11, deps="BASE"),
               package("RIGHT", 12, deps="BASE@^1.0.0"), package("LONE", 13),
               package("BASE", 14)]
    dictwriter(p("diamond.csv"), PACKAGES, diamond)
    sync(p("diamond.csv"), p("diamond.json"))
    chain = [package("C%d" % i, 20 + i, deps="C%d" % (i - 1) if i > 1 else "")
             for i in range(6, 0, -1)]
    dictwriter(p("chain.csv"), PACKAGES, chain)
    sync(p("chain.csv"), p("chain.json"))

    # One broken registry per validation rule: (file, row id, changes).
    for name, changes in BROKEN:
        rows = [dict(r) for r in ROWS]
        for r in rows:
            r.update(changes.get(r["id"], {}))
        dictwriter(p("bad-%s.csv" % name), PACKAGES, rows)
    three = [dict(r) for r in ROWS]
    three[1]["status"] = "nope"
    three[2]["selected"] = "maybe"
    three[5]["digest"] = ""
    dictwriter(p("bad-three.csv"), PACKAGES, three)
    for name, changes in BROKEN_CP:
        rows = [dict(r) for r in CP_ROWS]
        for r in rows:
            r.update(changes.get(r["id"], {}))
        dictwriter(p("bad-cp-%s.csv" % name), CONTROL_PLANE, rows)


BROKEN = [
    ("enum", {"PKG-B": {"status": "actived"}}),
    ("semver", {"PKG-D": {"version": "1.0"}}),
    ("digest-missing", {"PKG-B": {"digest": ""}}),
    ("digest", {"PKG-X": {"digest": "xyz" + "0" * 61}}),
    ("dep-unknown", {"PKG-A": {"deps": "PKG-B@^1.2.0,PKG-C@~1.4.0,PKG-NOPE"}}),
    ("dep-caret", {"PKG-A": {"deps": "PKG-B@^2.0.0,PKG-C@~1.4.0"}}),
    ("dep-tilde", {"PKG-A": {"deps": "PKG-B@^1.2.0,PKG-C@~1.3.0"}}),
    ("dep-ge", {"PKG-B": {"deps": "PKG-D@>=1.0.1"}}),
    ("dep-eq", {"PKG-C": {"deps": "PKG-D@==1.0.1"}}),
    ("dep-bare", {"PKG-E": {"deps": "PKG-D@1.0.1"}}),
    # A -> B -> D -> A; C still depends on D from outside the cycle.
    ("cycle", {"PKG-A": {"deps": "PKG-B@^1.2.0"}, "PKG-D": {"deps": "PKG-A"}}),
    ("conflict", {"PKG-A": {"conflicts": "PKG-OLD, PKG-C"}}),
    ("name-digest", {"PKG-X": {"name": "b"}}),
    ("external", {"PKG-X": {"output_path": ""}}),
    ("upper-digest", {"PKG-D": {"digest": "AB" * 32}}),
]

BROKEN_CP = [
    ("path", {"FMWK-100": {"artifact_path": "frameworks/FMWK-100_agent_development_standard.md"}}),
    ("hash", {"FMWK-200": {"content_hash": "12345"}}),
    ("dependency", {"FMWK-200": {"dependencies": "REG-CP, FMWK-999"}}),
    ("duplicate", {"FMWK-200": {"id": "FMWK-100"}}),
]

if __name__ == "__main__":
    main(sys.argv[1])
