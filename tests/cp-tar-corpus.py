#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Generate the hostile archive corpus of tests/cp-tar.bats.

usage: cp-tar-corpus.py OUTDIR OUTSIDE

Writes one .tar.gz (or deliberately broken stream) per rule of cp-tar's
safe extraction into OUTDIR.  OUTSIDE is the directory that absolute paths
and escaping links aim at, so the tests can check that nothing reached it.
Everything is crafted with Python's tarfile, zlib and gzip; nothing is
downloaded.
"""
import gzip
import io
import os
import sys
import tarfile
import zlib

OUT, OUTSIDE = sys.argv[1], sys.argv[2]


def member(name, data=b"", type=tarfile.REGTYPE, mode=0o644, linkname="", pax=None):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.linkname = linkname
    ti.size = len(data)
    if pax:
        ti.pax_headers = pax
    return ti, data


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return bio.getvalue()


def gz(raw):
    return gzip.compress(raw, compresslevel=6, mtime=0)


def write(name, blob):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(blob)


def archive(name, members, fmt=tarfile.PAX_FORMAT):
    write(name, gz(tar_bytes(members, fmt)))


def fix_checksum(block):
    b = bytearray(block)
    b[148:156] = b" " * 8
    b[148:156] = b"%06o\0 " % sum(b)
    return bytes(b)


good = member("frameworks/FMWK-100_good.md", b"good\n")

# Names.
archive("abs-path.tgz", [member(OUTSIDE + "/abs.txt", b"pwned\n")])
archive("dotdot.tgz", [member("../escape.txt", b"pwned\n")])
archive("dotdot-inner.tgz", [good, member("frameworks/../../escape.txt", b"pwned\n")])
archive("empty-name.tgz", [good, member("", b"x")], tarfile.USTAR_FORMAT)
archive("nul-pax-path.tgz", [member("innocent.txt", b"pwned\n",
                                    pax={"path": "frameworks/a.md\0../../escape.txt"})])
archive("nul-gnu-longname.tgz", [member("d" * 120 + "\0../../escape.txt", b"pwned\n")],
        tarfile.GNU_FORMAT)
archive("name-too-long.tgz", [member("n/" * 2100 + "f", b"x")])
archive("too-deep.tgz", [member("d/" * 100 + "f", b"x")])
archive("dot-as-file.tgz", [member(".", b"x")])

# Links.
archive("symlink-then-file.tgz", [
    member("frameworks/evil", type=tarfile.SYMTYPE, linkname=OUTSIDE),
    member("frameworks/evil/pwned.txt", b"pwned\n")])
archive("symlink-relative-escape.tgz", [member("up", type=tarfile.SYMTYPE, linkname="../..")])
archive("symlink-then-file-inside.tgz", [
    member("sub/keep.txt", b"k"),
    member("lnk", type=tarfile.SYMTYPE, linkname="sub"),
    member("lnk/pwned.txt", b"pwned\n")])
archive("symlink-chain.tgz", [
    member("c1", type=tarfile.SYMTYPE, linkname="."),
    member("c2", type=tarfile.SYMTYPE, linkname="c1/../..")])
archive("symlink-absolute.tgz", [member("abs", type=tarfile.SYMTYPE, linkname="/etc")])
archive("hardlink-to-symlink.tgz", [
    member("target.txt", b"t"),
    member("s", type=tarfile.SYMTYPE, linkname="target.txt"),
    member("h", type=tarfile.LNKTYPE, linkname="s")])
archive("hardlink-escape.tgz", [member("h", type=tarfile.LNKTYPE, linkname="../../etc/passwd")])
archive("hardlink-absolute.tgz", [member("h", type=tarfile.LNKTYPE, linkname="/etc/passwd")])
archive("hardlink-forward.tgz", [
    member("h", type=tarfile.LNKTYPE, linkname="later.txt"),
    member("later.txt", b"later")])
archive("symlink-long-target.tgz", [member("l", type=tarfile.SYMTYPE, linkname="a/" * 2100 + "b")])
archive("hardlink-long-target.tgz", [member("a", b"a"),
                                     member("h", type=tarfile.LNKTYPE, linkname="./" * 2100 + "a")])
archive("hardlink-to-dir.tgz", [
    member("d", type=tarfile.DIRTYPE, mode=0o755),
    member("h", type=tarfile.LNKTYPE, linkname="d")])

# Types and modes.
archive("chardev.tgz", [good, member("dev/zero", type=tarfile.CHRTYPE)])
archive("blockdev.tgz", [member("dev/sda", type=tarfile.BLKTYPE)])
archive("fifo.tgz", [member("pipe", type=tarfile.FIFOTYPE)])
archive("setuid.tgz", [member("bin/su", b"#!/bin/sh\n", mode=0o4755)])
archive("setgid.tgz", [member("bin/sg", b"#!/bin/sh\n", mode=0o2755)])
archive("sticky.tgz", [member("tmp", type=tarfile.DIRTYPE, mode=0o1777)])
archive("unknown-type.tgz", [member("weird", b"x", type=b"Z")], tarfile.USTAR_FORMAT)

# Duplicates and conflicts.
archive("duplicate.tgz", [good, member("frameworks/FMWK-100_good.md", b"second\n")])
archive("file-then-child.tgz", [member("x", b"file"), member("x/y", b"child")])
archive("child-then-file.tgz", [member("x/y", b"child"), member("x", b"file")])

# Malformed streams.
raw = tar_bytes([good, member("b.txt", b"b")], tarfile.USTAR_FORMAT)
bad = bytearray(raw)
bad[512 + 512 + 0] ^= 0x01		# the second header's name: checksum now wrong
write("bad-checksum.tgz", gz(bytes(bad)))

neg = bytearray(raw)
neg[1024 + 124:1024 + 136] = b"\xff" * 12
neg[1024:1024 + 512] = fix_checksum(neg[1024:1024 + 512])
write("negative-size.tgz", gz(bytes(neg)))

huge = bytearray(raw)
huge[1024 + 124:1024 + 136] = b"\x80" + b"\x7f" * 11
huge[1024:1024 + 512] = fix_checksum(huge[1024:1024 + 512])
write("absurd-size.tgz", gz(bytes(huge)))

pax = b"99 path=frameworks/x.md\n"
write("broken-pax.tgz", gz(tar_bytes([
    member("PaxHeader/x", pax, type=tarfile.XHDTYPE), member("x.md", b"x")],
    tarfile.USTAR_FORMAT)))

big = tar_bytes([member("frameworks/big.bin", b"B" * 20000)], tarfile.USTAR_FORMAT)
write("truncated-data.tgz", gz(big[:512 + 7000]))
write("truncated-gzip.tgz", gz(big)[:-20])
write("trailing-garbage.tgz", gz(big) + b"garbage after the gzip stream\n")
write("not-gzip.tgz", big)
write("data-after-end.tgz", gz(big + b"A" * 512))
write("no-end-marker.tgz", gz(big[:512 + 20480]))
write("empty-input.tgz", b"")

# Caps.
def bomb(name, size):
    """A tar.gz of size zero bytes, compressed as it is produced (about 1000:1)."""
    ti = tarfile.TarInfo(name)
    ti.size = size
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(ti.tobuf(tarfile.USTAR_FORMAT))]
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        out.append(z.compress(chunk))
    out.append(z.compress(bytes(1024 + 9216)))
    out.append(z.flush())
    return b"".join(out)


write("bomb.tgz", bomb("bomb.bin", 64 << 20))

bio = io.BytesIO()
with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for i in range(100000):
        ti = tarfile.TarInfo("tiny/%06d" % i)
        ti.size = 1
        t.addfile(ti, io.BytesIO(b"t"))
write("many-entries.tgz", gz(bio.getvalue()))

archive("two-mib.tgz", [member("a.bin", os.urandom(1 << 20)), member("b.bin", os.urandom(1 << 20))])

# Well-formed packages, for the pre-existing-symlink and collision cases.
archive("good.tgz", [member("frameworks", type=tarfile.DIRTYPE, mode=0o755), good,
                     member("frameworks/pwned.txt", b"written\n")])
archive("good-nodir.tgz", [member("frameworks/pwned.txt", b"written\n")])
archive("good-deep.tgz", [member("frameworks/sub/deeper/pwned.txt", b"written\n")])
