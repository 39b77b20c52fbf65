#!/usr/bin/env bash
# bench/plane.sh: make integrity on a plane of 10,000 registered artifacts
# (~1 GiB: 100 KiB each, BENCH_PLANE_N to change the count), against the
# baseline `find ... -print0 | xargs -0 sha256sum` in the same run.
#   make integrity FULL=1       (target: >= 4x faster than the baseline)
#   make integrity, unchanged   (target: <= 5% of the full run)
#   make integrity, one changed (target: <= 5% of the full run)
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_PLANE_N:-10000}

d=$BENCH_DIR/plane
if [ ! -f "$d/.done-$n" ]; then
	rm -rf "$d"
	mkdir -p "$d/registries" "$d/frameworks"
	python3 - "$d" "$n" <<'EOF'
import csv, hashlib, os, sys
d, n = sys.argv[1], int(sys.argv[2])
cols = ("id,name,entity_type,category,purpose,artifact_path,status,selected,priority,dependencies,"
        "output_type,output_path,version,owner,created_at,source_spec_id,content_hash,config").split(",")
with open(os.path.join(d, "registries/control_plane_registry.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=cols)
    w.writeheader()
    for i in range(n):
        sub = "frameworks/g%03d" % (i % 100)
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        p = "%s/FMWK-%05d.md" % (sub, i)
        data = (hashlib.sha256(str(i).encode()).hexdigest() + "\n").encode() * 1575
        with open(os.path.join(d, p), "wb") as g:
            g.write(data)
        w.writerow({"id": "FMWK-%05d" % i, "name": "doc %d" % i, "entity_type": "framework",
                    "artifact_path": "/" + p, "status": "active",
                    "content_hash": hashlib.sha256(data).hexdigest()})
EOF
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$repo/bin" "$repo/mk/plane.mk" > "$d/Makefile"
	touch "$d/.done-$n"
fi
cd "$d"
echo "plane: $n artifacts, $(du -sm frameworks | cut -f1) MiB"
make -s integrity-json | jq -e '.healthy and .verified_count == '"$n" > /dev/null

# Each command timed alone, in this shell; the edit that makes "one file
# changed" (and its undoing) happen outside the timing.  The two short runs
# get BENCH_QUICK_RUNS tries: best-of-5 of a 20 ms command is at the mercy
# of one scheduling hiccup.
t_base=$(best_around "find frameworks -type f -print0 | xargs -0 sha256sum")
t_full=$(best_around "make -s integrity FULL=1")
sleep 1	# files written in the cache's second would be rehashed (racy): not the point here
make -s integrity > /dev/null
t_none=$(BENCH_RUNS=${BENCH_QUICK_RUNS:-30} best_around "make -s integrity")
f=frameworks/g042/FMWK-00042.md
# five random digits each time: the file's content differs from what the state last saw
t_one=$(BENCH_RUNS=${BENCH_QUICK_RUNS:-30} best_around "make -s integrity" \
	"printf %05d \$RANDOM >> $f" "truncate -s -5 $f")
make -s integrity-json | jq -e .healthy > /dev/null
echo "baseline find | xargs sha256sum: ${t_base}s"
echo "make integrity FULL=1:           ${t_full}s   $(ratio "$t_base" "$t_full")x faster than the baseline (target >= 4)"
echo "make integrity, nothing changed: ${t_none}s   $(awk -v a="$t_none" -v b="$t_full" 'BEGIN { printf "%.1f", 100 * a / b }')% of the full run (target <= 5%)"
echo "make integrity, one file changed: ${t_one}s   $(awk -v a="$t_one" -v b="$t_full" 'BEGIN { printf "%.1f", 100 * a / b }')% of the full run (target <= 5%)"
bench_row "make integrity FULL=1, speed vs find | xargs sha256sum" "$(ratio "$t_base" "$t_full")x" ">=" 4
bench_row "make integrity, nothing changed, % of a full run" "$(awk -v a="$t_none" -v b="$t_full" 'BEGIN { printf "%.1f", 100 * a / b }')" "<=" 5
bench_row "make integrity, one file changed, % of a full run" "$(awk -v a="$t_one" -v b="$t_full" 'BEGIN { printf "%.1f", 100 * a / b }')" "<=" 5
echo "peak RSS of make integrity FULL=1: $(peak_rss_kb "make -s integrity FULL=1") KiB (the largest process)"
