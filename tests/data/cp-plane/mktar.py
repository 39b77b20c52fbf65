#!/usr/bin/env python3
# mktar.py OUT NAME CONTENT [NAME CONTENT ...]: write the tar.gz OUT holding
# the regular files NAME (mode 0644) with the bytes CONTENT, every parent
# directory as an entry of its own, in bytewise path order.  Python's tarfile
# (PAX format) makes the test archives, independently of cp-tar.
import io
import sys
import tarfile

out, args = sys.argv[1], sys.argv[2:]
if len(args) % 2:
    sys.exit("usage: mktar.py OUT NAME CONTENT [NAME CONTENT ...]")
files = {args[i]: args[i + 1].encode("utf-8", "surrogateescape") for i in range(0, len(args), 2)}
dirs = set()
for name in files:
    parts = name.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        dirs.add("/".join(parts[:i]))
entries = sorted([(d + "/", None) for d in dirs] + list(files.items()),
                 key=lambda e: e[0].encode("utf-8", "surrogateescape"))
with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
    for name, data in entries:
        i = tarfile.TarInfo(name.rstrip("/"))
        i.mtime = 0
        if data is None:
            i.type = tarfile.DIRTYPE
            i.mode = 0o755
            t.addfile(i)
        else:
            i.mode = 0o644
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
