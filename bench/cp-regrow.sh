#!/usr/bin/env bash
# bench/cp-regrow.sh: cp-regrow on a 100,000-row packages registry, against
# awk -F, and Python's csv.DictReader in the same run.
#   get of the last row      vs  awk -F, '$1 == id'          (target: within 2x)
#   validate, sync           vs  a full csv.DictReader parse  (target: >= 5x faster)
#   set -i of one row        (absolute: lock, read, write, fsync, rename)
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

d=$BENCH_DIR/cp-regrow
mkdir -p "$d"
cd "$d"
reg=packages.csv
if [ ! -f "$reg" ] || [ "$(wc -l < "$reg")" -lt 100001 ]; then
	# Realistic rows: every column of design.md section 5, a third with deps
	# (quoted comma lists with constraints), some quoted licences.
	python3 - "$reg" <<'EOF'
import csv, sys
cols = ("id,name,entity_type,category,version,source,source_type,digest,signature,"
        "attestation_path,attestation_digest,attestation_signature_path,platform,arch,"
        "deps,conflicts,license,artifact_path,output_type,output_path,status,selected,"
        "priority,owner,created_at,source_spec_id,content_hash").split(",")
with open(sys.argv[1], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols)
    w.writeheader()
    for i in range(100000):
        deps = ""
        if i % 3 == 1:
            deps = "PKG-%06d@^1.0.0,PKG-%06d@>=1.0.0" % (i - 1, i // 2)
        w.writerow({
            "id": "PKG-%06d" % i, "name": "package-%d" % i, "entity_type": "package",
            "category": "framework", "version": "1.%d.%d" % (i % 7, i % 11),
            "source": "packages_store/PKG-%06d.tar.gz" % i, "source_type": "tar",
            "digest": "%064x" % (i * 2654435761), "platform": "any", "arch": "x86_64",
            "deps": deps, "license": "MIT, or \"Apache-2.0\"" if i % 10 == 0 else "MIT",
            "artifact_path": "/packages/PKG-%06d" % i, "output_type": "extension",
            "status": "active", "selected": "yes", "priority": "P%d" % (i % 4),
            "owner": "team-%d" % (i % 17), "created_at": "2026-01-31T22:00:11+00:00",
            "source_spec_id": "SPEC-%d" % (i % 100),
        })
EOF
fi
last=PKG-099999
echo "registry: $(($(wc -l < "$reg") - 1)) rows, $(($(stat -c %s "$reg") / 1024)) KiB"
[ "$(cp-regrow get "$last" < "$reg" | tail -n 1 | cut -d, -f1)" = "$last" ]
cp-regrow validate < "$reg" > /dev/null	# valid, or the figures mean nothing

t_get=$(best_of "cp-regrow -f $reg get $last")
t_awk=$(best_of "awk -F, '\$1 == \"$last\"' $reg")
echo "get last row:  cp-regrow ${t_get}s   awk -F, ${t_awk}s"
echo "  cp-regrow / awk: $(ratio "$t_get" "$t_awk")x the time (target <= 2)"
bench_row "cp-regrow get, time vs awk" "$(ratio "$t_get" "$t_awk")x" "<=" 2

t_py=$(best_of "python3 -c 'import csv, sys; list(csv.DictReader(open(sys.argv[1], newline=\"\")))' $reg")
t_val=$(best_of "cp-regrow -f $reg validate")
t_sync=$(best_of "cp-regrow -f $reg sync")
echo "full parse:    python3 csv.DictReader ${t_py}s"
echo "validate:      cp-regrow ${t_val}s   speed vs DictReader: $(ratio "$t_py" "$t_val")x (target >= 5)"
echo "sync:          cp-regrow ${t_sync}s   speed vs DictReader: $(ratio "$t_py" "$t_sync")x (target >= 5)"
bench_row "cp-regrow validate, speed vs csv.DictReader" "$(ratio "$t_py" "$t_val")x" ">=" 5
bench_row "cp-regrow sync, speed vs csv.DictReader" "$(ratio "$t_py" "$t_sync")x" ">=" 5

cp "$reg" inplace.csv
t_set=$(best_of "cp-regrow -i inplace.csv set PKG-050000 status=deprecated")
t_sel=$(best_of "cp-regrow -f $reg select")
echo "set -i:        cp-regrow ${t_set}s (lock, read, rewrite, fsync, rename)"
echo "select (copy): cp-regrow ${t_sel}s   speed vs DictReader: $(ratio "$t_py" "$t_sel")x"
echo "  peak RSS, validate: $(peak_rss_kb "cp-regrow -f $reg validate") KiB   sync: $(peak_rss_kb "cp-regrow -f $reg sync") KiB"
