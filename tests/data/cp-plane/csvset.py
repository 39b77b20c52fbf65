#!/usr/bin/env python3
# csvset.py FILE ID COLUMN=VALUE ...: set fields of the row ID of the registry
# FILE with Python's csv module (a value may hold any byte: a newline is
# quoted, a control character is not), keeping the file's line ends.
import csv
import io
import sys

path, rid, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
    text = f.read()
eol = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
rows = list(csv.reader(io.StringIO(text, newline="")))
head = rows[0]
hit = False
for r in rows[1:]:
    if r and r[0] == rid:
        hit = True
        for s in sets:
            k, v = s.split("=", 1)
            r[head.index(k)] = v
if not hit:
    sys.exit("csvset.py: no row " + rid)
with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
    csv.writer(f, lineterminator=eol).writerows(rows)
