#!/usr/bin/python3
"""Write the hand-made inputs of the Python test plane (registries), with Python's csv.

Run once from this directory: /usr/bin/python3 seed.py plane
"""
import csv, sys
from pathlib import Path

plane = Path(sys.argv[1])
cp_cols = ("id,name,entity_type,category,purpose,artifact_path,status,selected,priority,"
           "dependencies,output_type,output_path,version,owner,created_at,source_spec_id,"
           "content_hash,config").split(",")
rows = [
    ("REG-CP", "registry", "/registries/control_plane_registry.csv", "", ""),
    ("REG-SPECS", "registry", "/registries/specs_registry.csv", "", ""),
    ("FMWK-100", "framework", "/frameworks/FMWK-100_agent.md", "FMWK-101", "SPEC-001"),
    ("FMWK-101", "framework", "/frameworks/FMWK-101_depth.md", "", ""),
    ("FMWK-102", "framework", "/frameworks/FMWK-102_convention.md", "FMWK-100, FMWK-999,LIB-001", "SPEC-404"),
    ("FMWK-103", "framework", "/frameworks/FMWK-103_gone.md", "", ""),
    ("MOD-A", "module", "/modules/mod_a", "", ""),
    ("LIB-001", "library", "/lib/util.py", "", "SPEC-002"),
    ("SCRIPT-001", "script", "/scripts/tool.py", "", ""),
    ("DOC-NOPATH", "document", "", "", ""),
]
with open(plane / "registries/control_plane_registry.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=cp_cols)
    w.writeheader()
    for i, t, p, d, s in rows:
        w.writerow({"id": i, "name": i.lower(), "entity_type": t, "category": t,
                    "purpose": "test, " + i, "artifact_path": p, "status": "active",
                    "selected": "yes", "priority": "P1", "dependencies": d,
                    "output_type": "extension", "version": "1.0.0", "owner": "team",
                    "created_at": "2026-01-31T00:00:00+00:00", "source_spec_id": s})

with open(plane / "registries/specs_registry.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=["id", "name", "artifact_path", "complies_with",
                                      "artifacts_created", "status"])
    w.writeheader()
    w.writerow({"id": "SPEC-001", "name": "one", "artifact_path": "/specs/SPEC-001.md",
                "complies_with": "FMWK-100, FMWK-404", "artifacts_created": "FMWK-100,ART-404",
                "status": "active"})
    w.writerow({"id": "SPEC-002", "name": "two", "artifact_path": "/specs/SPEC-002_gone.md",
                "complies_with": "FMWK-103", "artifacts_created": "", "status": "active"})

pkg_cols = ("id,name,entity_type,category,version,source,source_type,digest,signature,"
            "attestation_path,attestation_digest,attestation_signature_path,platform,arch,deps,"
            "conflicts,license,artifact_path,output_type,output_path,status,selected,priority,"
            "owner,created_at,source_spec_id,content_hash").split(",")
pkgs = [
    ("PKG-A", "caf\u00e9 \u2615 \U0001F600", "PKG-C@^1.0.0, PKG-B"),
    ("PKG-B", "plain", ""),
    ("PKG-C", 'quote " and back\\slash', ""),
    ("PKG-D", "tab\there", "PKG-A"),
    ("PKG-E", "alone", "PKG-B@==1.0.0"),
]
with open(plane / "registries/packages_registry.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=pkg_cols)
    w.writeheader()
    for n, (i, name, deps) in enumerate(pkgs):
        w.writerow({"id": i, "name": name, "entity_type": "framework", "category": "governance",
                    "version": "1.0.0", "source": "packages_store/%s.tar.gz" % i,
                    "source_type": "tar", "digest": "%064x" % (n + 1), "platform": "any",
                    "arch": "any", "deps": deps, "license": "MIT",
                    "artifact_path": "/frameworks/%s.md" % i, "output_type": "extension",
                    "status": "active", "selected": "yes", "priority": "P1", "owner": "team",
                    "created_at": "2026-01-31T00:00:00+00:00"})
