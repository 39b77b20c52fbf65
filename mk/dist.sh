#!/bin/sh
# mk/dist.sh VERSION DISTFILE: the source tarball (make dist).  The files git
# tracks, under controlplane-VERSION/, packed by cp-tar (on PATH): every time
# stamp the last commit's (or SOURCE_DATE_EPOCH), owners and modes
# normalised, so two runs give the same bytes.  Refuses a VERSION that NEWS
# has no entry for.
# SPDX-License-Identifier: ISC
set -eu
version=$1 out=$2
grep -q "^$version " NEWS || { echo "make dist: NEWS has no entry for $version" >&2; exit 2; }
git rev-parse --git-dir > /dev/null 2>&1 ||
	{ echo "make dist: needs a git checkout (git ls-files)" >&2; exit 2; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/controlplane-$version"
git ls-files -z | xargs -0 cp --parents -t "$t/controlplane-$version" --
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)} \
	cp-tar -q -c -C "$t" -f "$out" "controlplane-$version"
echo "$out"
