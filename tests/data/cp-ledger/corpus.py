#!/usr/bin/env python3
"""Corpora for tests/cp-ledger.bats, and Python's answers for them.

  corpus.py floats SEED N     N real literals of every shape, 100 to an entry (hashes by Python)
  corpus.py entries SEED N    N random entries: nesting, unicode, escapes, ints, reals
  corpus.py events SEED N     N random events for append --batch
  corpus.py hostile           lines a reader must refuse (and a few near misses it must take)
  corpus.py canonical FILE    Python's canonical text of each entry in FILE (entry_hash left out)
  corpus.py stored FILE       Python's json.dumps(entry, ensure_ascii=False) of each line of FILE

The expected answers come from Python's json module: json.dumps(sort_keys=True,
ensure_ascii=False) for the text an entry_hash covers, float.__repr__ for reals.
"""
import hashlib
import json
import math
import random
import struct
import sys

INT_MAX = 2**63 - 1
INT_MIN = -2**63


def canonical(entry):
    e = dict(entry)
    e.pop("entry_hash", None)
    return json.dumps(e, sort_keys=True, ensure_ascii=False)


def digits(rng, n):
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def literal(rng):
    """One JSON real, spelt any way JSON allows."""
    s = spelling(rng)
    # "%g" may write an integer, which is another type to JSON readers.
    return s if any(c in s for c in ".eE") else s + ".0"


def spelling(rng):
    kind = rng.randrange(10)
    if kind == 0:
        # Any double at all, as Python writes it (17 digits or fewer).
        while True:
            x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(x):
                return repr(x)
    if kind == 1:
        # Subnormals and the bottom of the normal range.
        x = struct.unpack("<d", rng.getrandbits(53).to_bytes(8, "little"))[0]
        return rng.choice([repr(x), "%.17e" % x, "%.20e" % x])
    if kind == 2:
        # 15, 16 and 17 significant digits: both sides of the fast path's limit.
        n = rng.choice([14, 15, 15, 16, 16, 17])
        return "%s.%se%d" % (rng.randint(1, 9), digits(rng, n)[1:], rng.randint(-310, 307))
    if kind == 3:
        # Positional, with leading and trailing zeros.
        n = rng.randint(1, 17)
        d = digits(rng, n)
        if rng.random() < 0.3:
            s = "0." + "0" * rng.randint(0, 8) + d
        else:
            point = rng.randint(1, n)
            s = d[:point] + "." + (d[point:] or "0")
        return s + "0" * rng.randint(0, 5)
    if kind == 4:
        # Around the switch to exponent form: 1e16, 1e-5, and their neighbours.
        return rng.choice(["1e16", "1e15", "9999999999999998.0", "9999999999999999.0",
                           "1e-5", "0.0001", "0.00001", "0.000099999999999999", "1e22",
                           "1e23", "123456789012345678.0", "1.7976931348623157e308",
                           "2.2250738585072014e-308", "2.2250738585072011e-308", "5e-324",
                           "4.9406564584124654e-324", "2.4703282292062328e-324",
                           "9007199254740993.0", "0.1", "0.2", "0.3", "1e-300", "1e300",
                           "1e-301", "1e301", "123e-302", "1.5e300", "0.5e-299",
                           "1e-400", "0e0", "0.0e-999", "0.000", "100000000000000000000000000.0"])
    if kind == 5:
        # Powers of two, where the shortest digits round up (dtoa's boundary case).
        e = rng.randint(-1074, 1023)
        x = math.ldexp(1.0, e)
        return rng.choice([repr(x), "%.17g" % x, "%.25g" % x])
    if kind == 6:
        # Exponents spelt with sign, case and leading zeros.
        return "%s%se%s%s" % (digits(rng, rng.randint(1, 6)), rng.choice(["", ".5", ".000"]),
                              rng.choice(["", "+", "-"]), str(rng.randint(0, 40)).zfill(rng.randint(1, 4)))
    if kind == 7:
        return "%sE%d" % (digits(rng, rng.randint(1, 18)), rng.randint(-330, 290))
    if kind == 8:
        # Long digit strings: more digits than any double holds.
        return "%s.%s" % (digits(rng, rng.randint(1, 30)), digits(rng, rng.randint(1, 40)))
    return "%d.%de%d" % (rng.randint(0, 99), rng.randint(0, 10**6), rng.randint(-20, 20))


def cmd_floats(seed, n):
    rng = random.Random(seed)
    prev = ""
    for i in range(0, n, 100):
        lits = [literal(rng) for _ in range(min(100, n - i))]
        lits = [("-" + l if rng.random() < 0.3 and l[0] != "-" else l) for l in lits]
        text = "[" + ", ".join(lits) + "]"
        entry = {"event_type": "floats", "submission_id": "F-%d" % i, "decision": "",
                 "reason": "", "prompts_used": [], "metadata": {"f": "@F@"},
                 "id": "LED-%08x" % i, "timestamp": "2026-11-24T12:00:00+00:00",
                 "previous_hash": prev}
        # Python hashes what it reads from the literals, as json.loads makes them.
        read = dict(entry, metadata={"f": json.loads(text)})
        assert all(math.isfinite(x) for x in read["metadata"]["f"])
        prev = hashlib.sha256(canonical(read).encode()).hexdigest()
        line = json.dumps(dict(entry, entry_hash=prev), ensure_ascii=False)
        print(line.replace('"@F@"', text))


def key(rng):
    return rng.choice(["", "a", "ab", "b", "A", "é", "e\u0301", "z", "\u00ff", "\u0100", "\u4e2d",
                       "\U0001f600", "\ufb01", "_", "a b", "x\"y", "k\\", "\t", "\u2028",
                       "id", "previous_hash", "entry_hash2", "key%d" % rng.randint(0, 99)])


def text(rng):
    pool = ["", "plain", "caf\u00e9", "\u4e2d\u6587", "\U0001f600\U0001d11e", "\"q\"", "back\\slash",
            "/slash", "\n\r\t\b\f", "\x00nul", "\x01\x1f\x7f", "\u2028\u2029", "\ufeffbom",
            "\ud7ff\ue000\uffff", "\U0010ffff", "a" * rng.randint(0, 300)]
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 4)))


def value(rng, depth):
    kind = rng.randrange(9 if depth < 6 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, INT_MAX, INT_MIN, rng.randint(INT_MIN, INT_MAX),
                           rng.randint(-1000, 1000)])
    if kind == 3:
        return float(literal(rng))
    if kind in (4, 5, 6):
        return text(rng)
    if kind == 7:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {key(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def dumps(rng, obj):
    """obj as JSON text, in one of the spellings a hand or another tool might use."""
    style = rng.randrange(4)
    if style == 0:
        return json.dumps(obj, ensure_ascii=False)
    if style == 1:
        return json.dumps(obj, ensure_ascii=True)
    if style == 2:
        return json.dumps(obj, ensure_ascii=rng.random() < 0.5, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False, separators=(" ,\t", " :\r "))


FIELDS = ("event_type", "submission_id", "decision", "reason", "prompts_used", "metadata",
          "id", "timestamp", "previous_hash", "entry_hash")


def is_entry(e):
    """An entry to cp-ledger: no field but the ten, the first four at least (or
    Python's LedgerEntry(**e) raises TypeError and its reader skips the line), all
    ten when entry_hash is not empty (Python would fill in the defaults)."""
    if not isinstance(e, dict) or not set(FIELDS[:4]) <= set(e) <= set(FIELDS):
        return False
    return e.get("entry_hash", "") == "" or set(e) == set(FIELDS)


def cmd_entries(seed, n):
    rng = random.Random(seed)
    for i in range(n):
        e = {f: value(rng, 1) for f in FIELDS[:4]}
        e.update({"prompts_used": [value(rng, 2) for _ in range(rng.randint(0, 3))],
                  "metadata": {key(rng): value(rng, 2) for _ in range(rng.randint(0, 6))},
                  "id": "LED-%08x" % i, "timestamp": "2026-11-24T12:00:00+00:00",
                  "previous_hash": "", "entry_hash": "%064x" % rng.getrandbits(256)})
        # One line in ten (never the last, a torn tail) is malformed: a field too many, or one missing.
        if i % 10 == 4:
            if rng.random() < 0.5:
                e[rng.choice(["x", "entry_hash2", "Id", "", "metadata "])] = value(rng, 1)
            else:
                del e[rng.choice([f for f in FIELDS if f != "entry_hash"])]
        items = list(e.items())
        rng.shuffle(items)
        print(dumps(rng, dict(items)))


def cmd_events(seed, n):
    rng = random.Random(seed)
    for i in range(n):
        ev = {"event_type": text(rng) or "t", "submission_id": text(rng), "decision": text(rng),
              "reason": text(rng)}
        if rng.random() < 0.5:
            ev["prompts_used"] = [text(rng) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.8:
            ev["metadata"] = {key(rng): value(rng, 2) for _ in range(rng.randint(0, 6))}
        items = list(ev.items())
        rng.shuffle(items)
        print(dumps(rng, dict(items)))


def cmd_hostile():
    h = "0" * 64
    rest = ('"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r", '
            '"prompts_used": [], "id": "LED-00000001", "timestamp": "2026-11-24T12:00:00+00:00", '
            '"previous_hash": "", "entry_hash": "%s"' % h)
    # An entry of the ten fields whose metadata is {"x": %s}.
    base = '{' + rest + ', "metadata": {"x": %s}}'
    rest = rest.encode()
    out = []
    # Invalid UTF-8 in strings, keys and between tokens.
    for bad in [b"\xff", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80", b"\xed\xbf\xbf",
                b"\xf0\x80\x80\x80", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\x80", b"\xc3",
                b"\xe2\x82", b"\xf0\x9f\x98", b"caf\xc3\xa9\xff"]:
        out.append(b'{"x": "' + bad + b'"}')
        out.append(b'{"' + bad + b'": 1}')
        out.append(b'{"x": 1}' + bad)
    lines = [
        # Surrogate escapes: lone, reversed, mismatched, and the good pair.
        r'"\ud800"', r'"\udc00"', r'"\ud800x"', r'"\ud800\u0041"', r'"\udc00\ud800"',
        r'"\ud800\ud800"', r'"\ud83d\ude00"', r'"\uD83D\uDE00"', r'"\udbff\udfff"',
        r'"\\ud800"', r'"\\\ud800"', r'"\ud800\\u0041"', r'"a\u0000b"', r'"\u0000"',
        r'"\u00e9\u4e2d"', r'"\u12"', r'"\u12g4"', r'"\x41"', r'"\/"',
        # Numbers at jansson's limits.
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "99999999999999999999999", "1e400", "-1e400", "1e-400",
        "-1e-400", "1.7976931348623157e308", "1.7976931348623159e308", "-0", "-0.0", "0e0",
        "NaN", "-NaN", "Infinity", "-Infinity", "nan", "inf", "01", "1.", ".5", "-", "+1",
        "1e", "1e+", "0x10", "1_000", "1.5e3.2",
        # Python's own limit: int(str) of more than 4300 digits is a ValueError.
        "9" * 4300, "-" + "9" * 4301,
        # Literals and structure.
        "true", "false", "null", "tru", "nul", "True", "[]", "{}", "[1,]", "[,1]",
        '{"y": 1,}', '{"y" 1}', '{1: 2}', "[1 2]", '"\t"', '"\r"', '"\x01"', '"\x7f"',
    ]
    for v in lines:
        out.append((base % v).encode())
    out += [
        # Duplicate keys, top level and nested, however spelt.
        b'{"a": 1, "a": 2}', b'{"a": 1, "\\u0061": 2}', b'{"x": {"b": 1, "c": 2, "b": 3}}',
        b'{"x": [{"k": 1}, {"k": 1, "k": 1}]}', b'{"a": 1, "a": NaN}', b'{"a\\u0000": 1}',
        b'{"": 1, "": 2}', b'{"\\u00e9": 1, "\xc3\xa9": 2}',
        # What is not one object.
        b'[1, 2]', b'"text"', b'1', b'null', b'{} {}', b'{}x', b'{"a": 1} 1', b'{"a": 1}]',
        b'{', b'{"a": 1', b'{"a": "unterminated', b'}', b'\xef\xbb\xbf{}', b'/* c */ {}',
        b'{} // c', b'{"a": 1}\x00', b'\x00{}',
        # White space jansson takes, and what only yajl would.
        b'\t{"metadata":\t{} , ' + rest + b' }\r', b' { "metadata" : { } , ' + rest + b' } ',
        b'{"metadata":\x0c{}, ' + rest + b'}', b'{"metadata":\x0b{}, ' + rest + b'}',
        b'\x0c{"metadata": {}, ' + rest + b'}', b'{"metadata": {}, ' + rest + b'}\x0b',
        # Chain fields of the wrong type.
        b'{"previous_hash": 1, "entry_hash": "' + h.encode() + b'"}',
        b'{"entry_hash": null}', b'{"entry_hash": ""}', b'{"entry_hash": "short", "id": 7}',
        b'{"id": "LED-1", "entry_hash": "\\u0000' + h.encode() + b'"}',
        # A field too many or one missing; legacy lines with the first four, or fewer.
        b'{"metadata": {}, ' + rest + b', "x": 1}',
        b'{"metadata": {}, ' + rest + b', "Metadata": {}}',
        b'{"metadata": {}, ' + rest.replace(b'"timestamp": "2026-11-24T12:00:00+00:00", ', b'') + b'}',
        b'{' + rest + b'}',
        b'{"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r"}',
        b'{"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r", "entry_hash": ""}',
        b'{"event_type": "t", "submission_id": "s", "decision": "d"}',
        b'{"event_type": "t", "submission_id": "s", "decision": "d", "reason": "r", "note": ""}',
    ]
    # Depth at jansson's cap: the top level is depth 1.
    # Depth at jansson's cap: the top level is depth 1, metadata 2.
    for d in (2047, 2048, 2049, 3000):
        out.append(b'{' + rest + b', "metadata": {"x": ' + b"[" * (d - 2) + b"]" * (d - 2) + b"}}")
        out.append(b'{' + rest + b', "metadata": {"x": ' + b"[" * (d - 3) + b"1" + b"]" * (d - 3) + b"}}")
        out.append(b'{' + rest + b', "metadata": {"x": ' + b"[" * (d - 2) + b"1" + b"]" * (d - 2) + b"}}")
        out.append(b'{' + rest + b', "metadata": ' + b'{"k": ' * (d - 2) + b"{}" + b"}" * (d - 2) + b"}")
    out.append(b"[" * 10000 + b"]" * 10000)
    pad = 1024 * 1024 - len(rest) - len(b'{, "metadata": {"x": ""}}')  - 1
    out.append(b'{' + rest + b', "metadata": {"x": "' + b"y" * pad + b'"}}')
    sys.stdout.buffer.write(b"\n".join(out) + b"\n")


def cmd_canonical(path):
    # Only the lines cp-ledger takes for entries (is_entry).
    for line in open(path, encoding="utf-8", newline="\n"):
        e = json.loads(line)
        if is_entry(e):
            print(canonical(e))


def cmd_stored(path):
    for line in open(path, encoding="utf-8", newline="\n"):
        print(json.dumps(json.loads(line), ensure_ascii=False))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("floats", "entries", "events"):
        globals()["cmd_" + cmd](int(args[0]), int(args[1]))
    elif cmd == "hostile":
        cmd_hostile()
    else:
        globals()["cmd_" + cmd](args[0])


if __name__ == "__main__":
    main()
