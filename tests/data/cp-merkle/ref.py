#!/usr/bin/env python3
"""Reference answers for tests/cp-merkle.bats, independent of the C code.

RFC 9162 section 2.1 written the way the RFC states it (the recursive MTH,
PATH and PROOF/SUBPROOF over ranges of the leaf list), hashlib for SHA-256,
and the Python tools' cp2 root computed level by level as they did.

  ref.py roots N < LEAVES        "N ROOT" for the first 0..N lines
  ref.py proofs N < LEAVES       every inclusion proof for sizes 1..N, as cp-merkle prints them
  ref.py consistency N < LEAVES  every consistency proof for new sizes 1..N
  ref.py cp2 [--text] < LINES    the cp2 root of digests (bare or sha256sum lines) or of texts
"""
import hashlib
import json
import sys


def sha(b):
    return hashlib.sha256(b).digest()


def largest_pow2_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    def __init__(self, datas):
        self.leaves = [sha(b"\x00" + d) for d in datas]
        self.memo = {}

    def mth(self, lo, hi):
        """MTH(D[lo:hi]); the memo only caches the recursive definition."""
        if (lo, hi) not in self.memo:
            n = hi - lo
            if n == 0:
                h = sha(b"")
            elif n == 1:
                h = self.leaves[lo]
            else:
                k = largest_pow2_below(n)
                h = sha(b"\x01" + self.mth(lo, lo + k) + self.mth(lo + k, hi))
            self.memo[(lo, hi)] = h
        return self.memo[(lo, hi)]

    def path(self, m, lo, hi):
        n = hi - lo
        if n <= 1:
            return []
        k = largest_pow2_below(n)
        if m < k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def subproof(self, m, lo, hi, whole):
        n = hi - lo
        if m == n:
            return [] if whole else [self.mth(lo, hi)]
        k = largest_pow2_below(n)
        if m <= k:
            return self.subproof(m, lo, lo + k, whole) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]


def dump(obj):
    print(json.dumps(obj, separators=(",", ":")))


def read_lines():
    data = sys.stdin.buffer.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def cp2_root(elements):
    """The Python tools' merkle root: hex text concatenated, an odd last element paired with itself."""
    if not elements:
        return ""
    level = list(elements)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256((level[i] + level[i + 1]).encode()).hexdigest()
                 for i in range(0, len(level), 2)]
    return level[0]


def main():
    mode = sys.argv[1]
    if mode == "cp2":
        lines = [l.decode() for l in read_lines()]
        if "--text" not in sys.argv:
            lines = [l[:64].lower() for l in lines]
        print(cp2_root(lines))
        return
    n_max = int(sys.argv[2])
    tree = Tree(read_lines()[:n_max])
    hx = bytes.hex
    for n in range(0, n_max + 1):
        if mode == "roots":
            print(n, hx(tree.mth(0, n)))
        elif mode == "proofs":
            for i in range(n):
                dump({"tree_size": n, "leaf_index": i, "leaf_hash": hx(tree.leaves[i]),
                      "root": hx(tree.mth(0, n)),
                      "proof": [hx(h) for h in tree.path(i, 0, n)]})
        elif mode == "consistency":
            for m in range(1, n + 1):
                dump({"old_size": m, "new_size": n, "old_root": hx(tree.mth(0, m)),
                      "new_root": hx(tree.mth(0, n)),
                      "proof": [hx(h) for h in tree.subproof(m, 0, n, True)]})


main()
