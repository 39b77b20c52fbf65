#!/usr/bin/env python3
"""doc_lint: check that framework documents have the shape FMWK-100 asks for."""
import re
import sys

HEADING = re.compile(r"^# FMWK-\d{3} — \S")
REQUIRED = ("## Purpose", "## Rules")


def lint(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or not HEADING.match(lines[0]):
        problems.append(f"{path}:1: first line is not '# FMWK-NNN — Title'")
    if not any(line.startswith("Status:") for line in lines[:5]):
        problems.append(f"{path}:1: no 'Status:' line near the top")
    for section in REQUIRED:
        if section not in lines:
            problems.append(f"{path}:{len(lines)}: missing section '{section}'")
    return problems


def main(argv):
    status = 0
    for path in argv[1:]:
        try:
            problems = lint(path)
        except OSError as e:
            print(f"doc_lint: {path}: {e.strerror}", file=sys.stderr)
            status = 2
            continue
        for p in problems:
            print(p)
        if problems and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
