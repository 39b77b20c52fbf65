# The rewrite of issue 21: blank the entry_hash of line K (1-based) of a
# ledger segment, so that it reads as a legacy entry and the chain restarts
# after it; change the reason of the entry after it; re-hash everything
# after it, each previous_hash naming the entry before.  Hashes as
# design.md section 5 says: SHA-256 of json.dumps(entry without entry_hash,
# sort_keys=True, ensure_ascii=False); lines as json.dumps(entry,
# ensure_ascii=False) in the stored key order.
import hashlib, json, sys

path, k = sys.argv[1], int(sys.argv[2])
lines = open(path, encoding="utf-8", newline="").read().split("\n")[:-1]
out, prev = [], None
for i, line in enumerate(lines, 1):
    e = json.loads(line)
    if i == k:
        e["entry_hash"] = ""
        prev = ""
    elif i > k:
        if i == k + 1:
            e["reason"] = "forged"
        e["previous_hash"] = prev
        body = {x: v for x, v in e.items() if x != "entry_hash"}
        e["entry_hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        prev = e["entry_hash"]
    out.append(json.dumps(e, ensure_ascii=False))
open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
