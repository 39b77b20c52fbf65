#!/bin/sh
# Rebuild plane/ and answers/ from scratch: make.sh PY (the Python original's Control_Plane_v2).
set -eu
cd "$(dirname "$0")"
rm -rf answers plane/ledger plane/installed plane/versions plane/registries/compiled
printf '# FMWK-102 convention\n' > plane/frameworks/FMWK-102_convention.md
/usr/bin/python3 seed.py plane
/usr/bin/python3 answers.py "$1" plane
find plane -name '*.jsonl' -newer seed.py > /dev/null
