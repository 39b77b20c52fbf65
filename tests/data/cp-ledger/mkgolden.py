#!/usr/bin/env python3
"""Make the golden files of tests/cp-ledger.bats with Python's json module, as the
Python tools computed ledger entries (design.md section 5).  Run once from this
directory; the outputs are committed:

  appended.jsonl   events.jsonl appended one by one, ids LED-00000001.., the
                   timestamps below (cp-ledger append --id --timestamp)
  batch.jsonl      the same events appended as one batch with id LED-0000beef
                   and timestamp 2026-11-24T12:00:00+00:00 for every entry
  floats.jsonl     a chained ledger whose metadata holds 2,000 reals (and some
                   integers) spelled with 17 significant digits and other forms
  floats.canonical the canonical text of each floats.jsonl entry (entry_hash left out)
  legacy.jsonl     a Python-era ledger: a hand-appended line without chain
                   fields, after which the chain restarts from ""
  legacy-append.jsonl  legacy.jsonl after appending events.jsonl line 1 with
                   id LED-000000aa and timestamp 2026-11-24T13:00:00+00:00
"""
import hashlib
import json
import random
import struct

TIMESTAMPS = ["2026-11-24T12:00:00.123456+00:00", "2026-11-24T12:00:01+00:00",
              "2026-11-24T12:00:02.000001+00:00", "2026-11-24T23:59:59.999999+00:00",
              "2027-01-01T00:00:00+00:00"]


def entry_for(event, eid, ts, prev):
    e = {"event_type": event["event_type"], "submission_id": event["submission_id"],
         "decision": event["decision"], "reason": event["reason"],
         "prompts_used": event.get("prompts_used", []), "metadata": event.get("metadata", {}),
         "id": eid, "timestamp": ts, "previous_hash": prev}
    e["entry_hash"] = hashlib.sha256(
        json.dumps(e, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return e


def write(name, lines):
    with open(name, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def chain(events, ids, stamps, prev=""):
    out = []
    for ev, eid, ts in zip(events, ids, stamps):
        e = entry_for(ev, eid, ts, prev)
        prev = e["entry_hash"]
        out.append(json.dumps(e, ensure_ascii=False))
    return out, prev


def main():
    with open("events.jsonl", encoding="utf-8") as f:
        events = [json.loads(line) for line in f]
    lines, _ = chain(events, ["LED-%08x" % (i + 1) for i in range(len(events))], TIMESTAMPS)
    write("appended.jsonl", lines)
    lines, _ = chain(events, ["LED-0000beef"] * len(events),
                     ["2026-11-24T12:00:00+00:00"] * len(events))
    write("batch.jsonl", lines)

    # Reals in spellings other than repr, so the reader must reparse and reprint them.
    rnd = random.Random(20261124)
    vals = []
    for k in range(-1074, 1024, 7):
        vals.append(2.0 ** k)
    while len(vals) < 2000:
        r = rnd.random()
        if r < 0.4:
            v = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
            if v != v or v in (float("inf"), float("-inf")):
                continue
        elif r < 0.7:
            v = rnd.uniform(-1e6, 1e6)
        else:
            v = round(rnd.uniform(-1000, 1000), rnd.randint(0, 6)) * 10.0 ** rnd.randint(-8, 20)
        vals.append(v)
    spellings = ["%.17e", "%.17g", "%.20e", "%r"]
    flines, canon, prev = [], [], ""
    for i in range(0, len(vals), 100):
        chunk = vals[i:i + 100]
        texts = []
        for j, v in enumerate(chunk):
            fmt = spellings[j % 4]
            texts.append(repr(v) if fmt == "%r" else fmt % v)
        extra = '"ints": [0, -0, 1, -1, 9223372036854775807, -9223372036854775808], ' \
                '"odd": [1E5, 1e-400, -0.0, 0.000100, 1.0e+2, 12345678901234567890e-10]'
        body = ('{"event_type": "floats", "submission_id": "F-%d", "decision": "", "reason": "", '
                '"prompts_used": [], "metadata": {"f": [%s], %s}, "id": "LED-%08x", '
                '"timestamp": "2026-11-24T12:00:00+00:00", "previous_hash": "%s"}'
                % (i, ", ".join(texts), extra, 0xf000 + i, prev))
        parsed = json.loads(body)
        text = json.dumps(parsed, sort_keys=True, ensure_ascii=False)
        prev = hashlib.sha256(text.encode("utf-8")).hexdigest()
        flines.append(body[:-1] + ', "entry_hash": "%s"}' % prev)
        canon.append(text)
    write("floats.jsonl", flines)
    write("floats.canonical", canon)

    # A Python-era ledger with a hand-appended line: the chain restarts after it.
    a, prev = chain(events[:2], ["LED-000000a1", "LED-000000a2"], TIMESTAMPS[:2])
    hand = json.dumps({"event_type": "manual_note", "submission_id": "", "decision": "NOTE",
                       "reason": "appended by hand", "prompts_used": [], "metadata": {},
                       "id": "LED-000000a3", "timestamp": TIMESTAMPS[2]}, ensure_ascii=False)
    b, _ = chain(events[2:4], ["LED-000000a4", "LED-000000a5"], TIMESTAMPS[2:4], "")
    write("legacy.jsonl", a + [hand] + b)
    c, _ = chain(events[:1], ["LED-000000aa"], ["2026-11-24T13:00:00+00:00"],
                 json.loads(b[-1])["entry_hash"])
    write("legacy-append.jsonl", a + [hand] + b + c)


if __name__ == "__main__":
    main()
