#!/usr/bin/env bash
# tests/crash/trials.sh: kill trials.  Each trial starts one writer of the
# toolkit on a fresh scratch copy of its state, SIGKILLs it at a random
# moment, runs the next ordinary command (the recovery), and checks the
# invariants: the ledger verifies (a torn tail is reported and repaired,
# never kept), a registry parses and holds its bytes from before or after,
# no temporary or staging file is left, each change is ledgered exactly
# once, the plane is healthy.  Expected states come from outside the program
# under test (sha256sum, GNU tar, Python's csv, jq) or from an uncut run of
# the same step on a copy (the "after" snapshot).
#
# usage: tests/crash/trials.sh [-n TRIALS] [-s SEED] [-k delay|syscall|both]
#                              [-m MOMENT] [-w DIR] [-d TIME] [-v] [OP ...]
#
#   -n N      trials per operation (default 10)
#   -s SEED   the first trial's seed (default: from the clock); trial i of an
#             operation uses SEED+i, so "-s S -n 1 OP" replays one trial
#   -k MODE   how the kill moment is drawn: delay (SIGKILL after 0..span
#             microseconds, span calibrated to the step's duration), syscall
#             (strace kills at the entry of the K-th call of one of the
#             writing system calls: write, rename, fsync, unlink, mkdir...),
#             both (each trial draws one; the default)
#   -m MOMENT replay this moment: delay:USEC or syscall:NAME:K
#   -w DIR    the scratch directory (default: a new one under $TMPDIR)
#   -d TIME   start no trial after TIME (seconds since the epoch)
#   -v        print every trial
#   OP        ledger-append ledger-batch regrow tar-x hash-cache
#             integrity-state plane-install plane-update plane-remove
#             plane-pack plane-manifest (default: all)
#
# Output: one line per failing trial with its seed and moment, then a table
# per operation: trials; killed before (nothing changed yet), during
# (something changed or left behind), after (the step had finished: exit 0);
# recovered; invariant failures.  Exit status 0 when no invariant failed,
# 1 when one did, 2 on a usage or setup error.
#
# Environment: CP_BIN (the programs, default bin/ of this tree), CP_TOP (the
# tree whose example plane is copied).  strace is needed for syscall mode.
# SPDX-License-Identifier: ISC

set -u
export LC_ALL=C

TOP=${CP_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${CP_BIN:-$TOP/bin}
PATH=$BIN:$PATH
PYTHON=/usr/bin/python3
ALL_OPS="ledger-append ledger-batch regrow tar-x hash-cache integrity-state plane-install plane-update plane-remove plane-pack plane-manifest"

usage() {
	sed -n 's/^# usage: /usage: /p; /^#   *\[-m/p' "$0" | head -n 2 >&2
	exit 2
}

TRIALS=10 SEED= KMODE=both MOMENT= WORK= VERBOSE=0 DEADLINE=
while getopts n:s:k:m:w:d:vh o; do
	case $o in
	n) TRIALS=$OPTARG ;;
	s) SEED=$OPTARG ;;
	k) KMODE=$OPTARG ;;
	m) MOMENT=$OPTARG ;;
	w) WORK=$OPTARG ;;
	d) DEADLINE=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
OPS=${*:-$ALL_OPS}
[[ $TRIALS =~ ^[0-9]+$ ]] || { echo "trials.sh: -n: not a number: $TRIALS" >&2; exit 2; }
[ -n "$SEED" ] || SEED=$(($(date +%s%N) / 1000 % 1000000000))
[[ $SEED =~ ^[0-9]+$ ]] || { echo "trials.sh: -s: not a number: $SEED" >&2; exit 2; }
case $KMODE in delay | syscall | both) ;; *) usage ;; esac
for op in $OPS; do
	[[ " $ALL_OPS " == *" $op "* ]] || { echo "trials.sh: unknown operation: $op" >&2; exit 2; }
done
for t in cp-ledger cp-regrow cp-tar cp-hash cp-integrity cp-plane; do
	[ -x "$BIN/$t" ] || { echo "trials.sh: $BIN/$t: not built (make)" >&2; exit 2; }
done
if [ "$KMODE" != delay ] || [[ $MOMENT == syscall:* ]]; then
	command -v strace > /dev/null || { echo "trials.sh: strace not found (-k delay needs none)" >&2; exit 2; }
fi
command -v jq > /dev/null || { echo "trials.sh: jq not found" >&2; exit 2; }
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/cp-crash.XXXXXX") || exit 2
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK" || exit 2
export HOME=$WORK/home TMPDIR=$WORK/tmp
mkdir -p "$HOME" "$TMPDIR"
unset CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT CP_ROOT
export CONTROL_PLANE_SHARED_SECRET=crash-trial-secret-0123456789
token() {
	printf '%s:%s' "$1" "$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
}
export CONTROL_PLANE_TOKEN=$(token alice)

# The system calls a kill is aimed at in syscall mode: every one that
# changes a file or a directory (a kill between two of them is the same
# moment as a kill at the entry of the second).
SYSCALLS=write,pwrite64,writev,pwritev,rename,renameat,renameat2,fsync,fdatasync,syncfs,unlink,unlinkat,rmdir,mkdir,mkdirat,ftruncate,link,linkat,symlinkat,fchmod,fchmodat
# LeakSanitizer cannot run under ptrace (a SANITIZE=1 build): not under strace.
TRACED_ASAN=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
# A step that runs longer than this hangs (a failure, not a kill).
HANG=60

# ---------------------------------------------------------------------------
# helpers

sha() { sha256sum < "$1" | cut -c1-64; }

# A hashed listing of a tree: type, mode, path, link target, and the
# sha256sum of every file (the suite helper's tree_state), with the
# paths matching the extended regexp $2 left out.
tree_state() {
	(cd "$1" && { find . -mindepth 1 -printf '%y %m %p -> %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0r sha256sum; } | grep -Ev "${2:-^\$^}")
}

# The plane without what a step may change besides its result: the ledger,
# .cp/ (journal, staging, caches, stamps) and lock files.
# A registry row's created_at and MANIFEST.json's time are the time of the
# step: those files are compared with their timestamps masked.
PLANE_SKIP='(^| )\./(ledger|\.cp)(/| |$)|\.lock( |$)|^[0-9a-f]{64}  \./(registries/[^/]*\.csv|MANIFEST\.json)$'
plane_state() {
	local f
	tree_state "$1" "$PLANE_SKIP"
	for f in "$1"/registries/*.csv "$1"/MANIFEST.json; do
		[ -f "$f" ] || continue
		printf '%s  %s (times masked)\n' "$(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})/TIME/g' "$f" |
			sha256sum | cut -c1-64)" "${f#"$1"/}"
	done
}

# run_killed MOMENT DIR STDIN CMD...: run CMD in DIR with STDIN, killed at
# MOMENT (delay:USEC or syscall:NAME:K); sets RC (137: killed).
run_killed() {
	local m=$1 dir=$2 in=$3
	shift 3
	RC=0
	case $m in
	delay:*)
		local us=${m#delay:}
		(cd "$dir" && timeout -s KILL "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))" "$@"; exit $?) \
			< "$in" > "$WORK/out" 2> "$WORK/err" || RC=$?
		;;
	syscall:*)
		local s=${m#syscall:}
		local name=${s%:*} k=${s##*:}
		(cd "$dir" && ASAN_OPTIONS=$TRACED_ASAN timeout -k 5 $HANG strace -f -qq -o /dev/null \
			-e trace="$name" -e inject="$name":signal=SIGKILL:when="$k" "$@"; exit $?) \
			< "$in" > "$WORK/out" 2> "$WORK/err" || RC=$?
		;;
	esac
	# timeout itself exits 137 when it sent the KILL; strace exits 128+SIGKILL
	# when its tracee died of it.
	return 0
}

# calibrate OP: SPAN (microseconds of an uncut run, the slowest of three,
# and a half, so that delays land before, throughout and after the step)
# and TRACE (the writing system calls of an uncut run, in order).
calibrate() {
	local op=$1 k t0 t1 t max=0
	for k in 1 2 3; do
		setup_$op 0 || return 2
		t0=$(date +%s%N)
		(cd "$RUNDIR" && exec "${CMD[@]}") < "$STDIN" > /dev/null 2>&1
		t1=$(date +%s%N)
		t=$(((t1 - t0) / 1000))
		[ "$t" -le "$max" ] || max=$t
	done
	SPAN=$((max * 3 / 2 + 1000))
	TRACE=()
	if [ "$KMODE" != delay ]; then
		setup_$op 0 || return 2
		(cd "$RUNDIR" && ASAN_OPTIONS=$TRACED_ASAN exec strace -f -qq -o "$WORK/trace" -e trace="$SYSCALLS" -e signal=none "${CMD[@]}") \
			< "$STDIN" > /dev/null 2>&1
		# "PID name(" per line: the names in order
		mapfile -t TRACE < <(sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$WORK/trace")
	fi
}

# draw_moment: a kill moment for this trial, from the trial's RANDOM.
draw_moment() {
	local mode=$KMODE
	[ "$mode" != both ] || { [ $((RANDOM % 2)) -eq 0 ] && mode=delay || mode=syscall; }
	if [ "$mode" = syscall ] && [ ${#TRACE[@]} -gt 0 ]; then
		# one of the calls, or (one time in ten) past the last: the step ends
		local n=${#TRACE[@]} i j k=0 name
		i=$(((RANDOM * 32768 + RANDOM) % (n + n / 10 + 1)))
		if [ "$i" -ge "$n" ]; then
			name=${TRACE[n - 1]}
			for ((j = 0; j < n; j++)); do [ "${TRACE[j]}" != "$name" ] || k=$((k + 1)); done
			k=$((k + 1 + i - n))
		else
			name=${TRACE[i]}
			for ((j = 0; j <= i; j++)); do [ "${TRACE[j]}" != "$name" ] || k=$((k + 1)); done
		fi
		echo "syscall:$name:$k"
	else
		echo "delay:$(((RANDOM * 32768 + RANDOM) % SPAN))"
	fi
}

# Per trial: FAILS holds the broken invariants.
fail() { FAILS+=("$*"); }

# no_leftovers DIR PATTERN-DESCRIPTION...: nothing under DIR that is a
# temporary or staging file: dot-files but the ones named in KEEP (an
# extended regexp of allowed paths relative to DIR), .cp/stage not empty,
# .cp/journal, *.tmp.
no_leftovers() {
	local d=$1 keep=$2 left
	left=$(cd "$d" && find . -mindepth 1 \( -name '.*' -o -name '*.tmp' -o -name '*.tmp.*' -o -path './.cp/stage/*' -o -path ./.cp/journal \) -print |
		sed 's|^\./||' | grep -Ev "^($keep)\$" | sort | tr '\n' ' ')
	[ -z "$left" ] || fail "left behind: $left"
}

# ---------------------------------------------------------------------------
# Each operation OP has:
#   setup_OP SEED   fresh state under $WORK/t; sets RUNDIR, CMD (array),
#                   STDIN, and what check_OP compares against
#   check_OP        after the kill: sets CHANGED (1 when anything differs
#                   from before), runs the recovery, appends to FAILS
# A trial's seed seeds RANDOM before setup, so setup and moment replay.

T=$WORK/t
fresh() { chmod -R u+w "$T" 2> /dev/null; rm -rf "$T"; mkdir -p "$T"; }

# ids of the ledger's entries in chain order (submission_id)
ledger_ids() { cp-ledger -f "$1" cat 2> /dev/null | jq -r .submission_id; }

# ledger_recover DIR: the torn tail, if any, is reported by verify and
# repaired; then the ledger verifies.  Sets TORN=1 when it was torn.
ledger_recover() {
	local l=$1 out rc=0
	TORN=0
	out=$(cp-ledger -f "$l" verify --json 2> /dev/null) || rc=$?
	if [ -s "$(ls "$l"/governance*.jsonl 2> /dev/null | tail -n 1)" ] &&
		[ -n "$(tail -c 1 "$(ls "$l"/governance*.jsonl | tail -n 1)" | tr -d '\n')" ]; then
		TORN=1
		[ "$rc" -eq 1 ] && [ "$(jq -r '[.findings[].kind] | unique | join(",")' <<< "$out")" = torn_tail ] ||
			fail "an unterminated last line, and verify said status $rc: $(jq -c .findings <<< "$out" 2> /dev/null)"
		cp-ledger -f "$l" append -q --event-type crash_trial --submission-id BLOCKED --decision X --reason r > /dev/null 2>&1 &&
			fail "append wrote after a torn tail"
		cp-ledger -f "$l" repair > /dev/null 2>&1 || fail "repair failed"
	elif [ "$rc" -ne 0 ]; then
		fail "verify status $rc after the kill: $(jq -c .findings <<< "$out" 2> /dev/null)"
	fi
}

# --- cp-ledger append: one event
setup_ledger-append() {
	fresh
	local i n=$((1 + RANDOM % 4))
	for ((i = 0; i < n; i++)); do
		cp-ledger -f "$T/ledger" append -q --event-type crash_trial --submission-id "S$i" --decision SETUP --reason r > /dev/null || return 2
	done
	ledger_ids "$T/ledger" > "$WORK/ids0"
	cat "$T"/ledger/*.jsonl > "$WORK/bytes0"
	RUNDIR=$T STDIN=/dev/null
	CMD=(cp-ledger -f "$T/ledger" append -q --event-type crash_trial --submission-id KILLED --decision X --reason "killed at random")
	BATCH=(KILLED)
}
check_ledger-append() { check_ledger; }

# --- cp-ledger append --batch: 2 to 7 events, one in four runs past 1 MiB
# (several writes), so a kill can cut it between writes
setup_ledger-batch() {
	setup_ledger-append || return 2
	local j n=$((2 + RANDOM % 6)) pad=
	[ $((RANDOM % 4)) -ne 0 ] || pad=$(head -c 300000 /dev/zero | tr '\0' x)
	BATCH=()
	: > "$WORK/batch"
	for ((j = 0; j < n; j++)); do
		BATCH+=("B$j")
		printf '{"event_type":"crash_trial","submission_id":"B%d","decision":"X","reason":"batch","metadata":{"pad":"%s"}}\n' "$j" "$pad" >> "$WORK/batch"
	done
	STDIN=$WORK/batch
	CMD=(cp-ledger -f "$T/ledger" append -q --batch)
}
check_ledger-batch() { check_ledger; }

# The entries after the kill: the ones before, a prefix of the killed
# step's (all of them for a single event or an exit 0), then the
# recovery's one.
check_ledger() {
	cat "$T"/ledger/*.jsonl 2> /dev/null | cmp -s - "$WORK/bytes0" || CHANGED=1
	ledger_recover "$T/ledger"
	cp-ledger -f "$T/ledger" append -q --event-type crash_trial --submission-id RECOVERY --decision X --reason r > /dev/null 2>&1 ||
		fail "the next append failed"
	cp-ledger -f "$T/ledger" verify > /dev/null 2>&1 || fail "verify fails after the recovery"
	local got want k
	got=$(ledger_ids "$T/ledger")
	for ((k = ${#BATCH[@]}; k >= 0; k--)); do
		[ "$RC" -ne 0 ] || [ "$k" -eq ${#BATCH[@]} ] || break
		want=$(cat "$WORK/ids0"; [ "$k" -eq 0 ] || printf '%s\n' "${BATCH[@]:0:k}"; echo RECOVERY)
		[ "$got" != "$want" ] || break
	done
	[ "$got" = "$want" ] || fail "entries $(tr '\n' ' ' <<< "$got")are not the ones before, a prefix of $(printf '%s ' "${BATCH[@]}")(all of it on exit $RC), and RECOVERY"
	no_leftovers "$T/ledger" '\.cp-ledger\.lock|governance.*\.torn-.*'
}

# --- cp-regrow -i: set, upsert (of a row or a new one) or del, on a copy of
# the example packages registry; the after-state by Python's csv
setup_regrow() {
	fresh
	cp "$TOP/registries/packages_registry.csv" "$T/reg.csv" || return 2
	local ids id
	mapfile -t ids < <(cut -d, -f1 "$T/reg.csv" | tail -n +2)
	id=${ids[RANDOM % ${#ids[@]}]}
	case $((RANDOM % 4)) in
	0) REGOP=(set "$id" "version=9.$RANDOM.0" "owner=killed, at random") ;;
	1) REGOP=(upsert "id=$id" "priority=P$((RANDOM % 4))") ;;
	2) REGOP=(upsert "id=PKG-NEW-$RANDOM" "name=new" "status=active") ;;
	3) REGOP=(del "$id") ;;
	esac
	cp "$T/reg.csv" "$WORK/reg0"
	$PYTHON - "$T/reg.csv" "$WORK/reg1" "${REGOP[@]}" <<- 'EOF' || return 2
		import csv, sys
		src, dst, verb, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
		with open(src, newline="", encoding="utf-8") as f:
		    r = csv.DictReader(f)
		    head, rows = r.fieldnames, list(r)
		if verb == "del":
		    rows = [x for x in rows if x["id"] != args[0]]
		else:
		    if verb == "set":
		        key, sets = args[0], args[1:]
		    else:
		        key, sets = None, args
		    kv = dict(s.split("=", 1) for s in sets)
		    key = key or kv["id"]
		    hit = [x for x in rows if x["id"] == key]
		    if hit:
		        hit[0].update(kv)
		    else:
		        rows.append({**{h: "" for h in head}, **kv})
		with open(dst, "w", newline="", encoding="utf-8") as f:
		    w = csv.DictWriter(f, head, lineterminator="\r\n")
		    w.writeheader()
		    w.writerows(rows)
	EOF
	RUNDIR=$T STDIN=/dev/null
	CMD=(cp-regrow -i "$T/reg.csv" "${REGOP[@]}")
}
check_regrow() {
	if cmp -s "$T/reg.csv" "$WORK/reg0"; then
		:
	elif cmp -s "$T/reg.csv" "$WORK/reg1"; then
		CHANGED=1
	else
		CHANGED=1
		fail "the registry is neither the before nor the after bytes"
	fi
	[ "$RC" -ne 0 ] || cmp -s "$T/reg.csv" "$WORK/reg1" || fail "exit 0 but the registry is not the after bytes"
	[ -z "$(ls -A "$T" | grep -v '^reg\.csv\(\.lock\)\?$')" ] || CHANGED=1
	# the next ordinary run: another change, then the file parses (Python's
	# csv and cp-regrow validate) with that change in it
	cp-regrow -i "$T/reg.csv" upsert id=PKG-RECOVERY name=recovery > /dev/null 2>&1 || fail "the next cp-regrow -i failed"
	$PYTHON -c 'import csv,sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
sys.exit(0 if [r["name"] for r in rows if r["id"] == "PKG-RECOVERY"] == ["recovery"] else 1)' "$T/reg.csv" ||
		fail "Python's csv does not read the recovery's row"
	local rc=0
	cp-regrow -f "$T/reg.csv" validate --kind packages > /dev/null 2>&1 || rc=$?
	[ "$rc" -le 1 ] || fail "cp-regrow validate: status $rc"
	no_leftovers "$T" 'reg\.csv\.lock|\.reg\.csv\.lock'
}

# --- cp-tar -x: version A into an empty directory, or B over A (--force);
# the expected trees by GNU tar
TARS=$WORK/tars
make_tars() {
	mkdir -p "$TARS/A/pkg/sub" "$TARS/B/pkg/sub" "$TARS/B/pkg/new"
	local i
	for i in $(seq 1 24); do
		head -c $((i * 997)) /dev/urandom | base64 > "$TARS/A/pkg/f$i.txt"
		if [ $((i % 3)) -eq 0 ]; then
			echo "B $i" > "$TARS/B/pkg/f$i.txt"
		else
			cp "$TARS/A/pkg/f$i.txt" "$TARS/B/pkg/f$i.txt"
		fi
		echo "sub $i" > "$TARS/A/pkg/sub/s$i"
		echo "sub $i, B" > "$TARS/B/pkg/sub/s$i"
	done
	for i in 1 2 3 4 5 6; do echo "new $i" > "$TARS/B/pkg/new/n$i"; done
	for v in A B; do
		(cd "$TARS/$v" && find pkg | sort | cp-tar -c) > "$TARS/$v.tgz" || return 2
		mkdir -p "$TARS/x$v"
		tar -xzf "$TARS/$v.tgz" -C "$TARS/x$v" || return 2
		tree_state "$TARS/x$v" ' d [0-9]+ \./|^d ' > "$TARS/state$v"
	done
}
setup_tar-x() {
	fresh
	[ -f "$TARS/B.tgz" ] || make_tars || return 2
	mkdir "$T/dest"
	if [ $((RANDOM % 2)) -eq 0 ]; then
		TARV=A STDIN=$TARS/A.tgz
		CMD=(cp-tar -x "$T/dest")
	else
		tar -xzf "$TARS/A.tgz" -C "$T/dest"
		TARV=B STDIN=$TARS/B.tgz
		CMD=(cp-tar -x "$T/dest" --force)
	fi
	tree_state "$T/dest" > "$WORK/tar0"
	RUNDIR=$T
}
# digest_of PATH STATE: PATH's sha256 in a tree_state listing
digest_of() { awk -v f="$1" 'length($1) == 64 && $2 == f { print $1 }' "$2"; }
check_tar-x() {
	local f h want
	tree_state "$T/dest" 2> /dev/null | cmp -s - "$WORK/tar0" || CHANGED=1
	# every file whole: its bytes before or after (a kill among the renames
	# leaves a mix of whole files, which the re-run completes)
	local bad
	bad=$( (cd "$T/dest" && find . -type f ! -path './.cp-tar-*' -print0 | xargs -0r sha256sum) |
		awk -v a="$TARS/stateA" -v b="$TARS/state$TARV" '
			BEGIN { while ((getline l < a) > 0) { split(l, f, "  "); if (length(f[1]) == 64) ok[f[2] " " f[1]] = 1 }
				while ((getline l < b) > 0) { split(l, f, "  "); if (length(f[1]) == 64) ok[f[2] " " f[1]] = 1 } }
			!(($2 " " $1) in ok) { printf "%s ", $2 }')
	[ -z "$bad" ] || fail "files neither their bytes before nor after: $bad"
	# the next ordinary run: the same extraction, --force; then the tree is
	# exactly GNU tar's and no staging directory is left
	cp-tar -x "$T/dest" --force < "$STDIN" > /dev/null 2>&1 || fail "the re-run of the extraction failed: $(cp-tar -x "$T/dest" --force < "$STDIN" 2>&1 > /dev/null)"
	tree_state "$T/dest" ' d [0-9]+ \./|^d ' | grep -v '\.cp-tar-' | cmp -s - "$TARS/state$TARV" || fail "after the re-run the tree is not $TARV's"
	no_leftovers "$T/dest" '^$'
}

# --- cp-hash --cache: a warm cache, some files changed since, hashed with
# the cache; the answer is sha256sum's
setup_hash-cache() {
	fresh
	mkdir "$T/files"
	local i
	for i in $(seq 1 40); do head -c $((RANDOM % 20000)) /dev/urandom > "$T/files/f$i"; done
	(cd "$T" && cp-hash --cache hash.cache files/* > /dev/null) || return 2
	sleep 0.01
	for i in $(seq 1 40); do
		[ $((RANDOM % 4)) -ne 0 ] || printf 'changed %s\n' "$RANDOM" >> "$T/files/f$i"
	done
	cp "$T/hash.cache" "$WORK/cache0"
	(cd "$T" && sha256sum files/*) > "$WORK/sums"
	RUNDIR=$T STDIN=/dev/null
	CMD=(cp-hash --cache hash.cache -j 2)
	local f
	for f in "$T"/files/*; do CMD+=("files/${f##*/}"); done
}
check_hash-cache() {
	cmp -s "$T/hash.cache" "$WORK/cache0" || CHANGED=1
	[ -z "$(ls -A "$T" | grep -v '^\(files\|hash\.cache\)$')" ] || CHANGED=1
	[ "$RC" -ne 0 ] || cmp -s "$WORK/out" "$WORK/sums" || fail "exit 0 with a wrong answer"
	# the next ordinary run, twice (the second reads what the first wrote)
	local k
	for k in 1 2; do
		(cd "$T" && "${CMD[@]}") > "$WORK/out2" 2> /dev/null || fail "run $k after the kill failed"
		cmp -s "$WORK/out2" "$WORK/sums" || fail "run $k after the kill: not sha256sum's answer"
	done
	no_leftovers "$T" '\.?hash\.cache\.lock'
}

# --- a copy of the example plane, and templates of it
PLANES=$WORK/planes
new_plane() {
	mkdir -p "$1"
	cp -R "$TOP"/{registries,packages_store,installed,ledger,frameworks,modules,examples} "$1"/ || return 2
	[ ! -f "$TOP/MANIFEST.json" ] || cp "$TOP/MANIFEST.json" "$1"/
	rm -f "$1"/registries/*.lock "$1"/ledger/.cp-ledger.lock
}
integrity() { cp-integrity -C "$1" --cache "$1/.cp/hash.cache" --state "$1/.cp/integrity.state" "${@:2}"; }

# --- cp-integrity writing its state: a warm state, then an artifact changed
# or put back; the verdict is known (healthy unless changed) and the report
# must be a stateless, cacheless --full run's
INTEG_FILE=frameworks/FMWK-100_agent_development_standard.md
setup_integrity-state() {
	if [ ! -d "$PLANES/integ" ]; then
		new_plane "$PLANES/integ" || return 2
		mkdir -p "$PLANES/integ/.cp"
		integrity "$PLANES/integ" > /dev/null 2>&1 || { echo "trials.sh: the example plane is not healthy" >&2; return 2; }
	fi
	fresh
	cp -a "$PLANES/integ" "$T/p"
	sleep 0.01
	if [ $((RANDOM % 2)) -eq 0 ]; then
		printf 'tampered %s\n' "$RANDOM" >> "$T/p/$INTEG_FILE"
		VERDICT=1 OKRC=1
	else
		touch "$T/p/$INTEG_FILE"
		VERDICT=0
	fi
	cp -a "$T/p/.cp" "$WORK/cp0"
	cp-integrity -C "$T/p" --full --json > "$WORK/report" 2> /dev/null
	jq -c '{healthy, invalid, missing}' "$WORK/report" > "$WORK/verdict"
	RUNDIR=$T/p STDIN=/dev/null
	CMD=(cp-integrity -C "$T/p" --cache "$T/p/.cp/hash.cache" --state "$T/p/.cp/integrity.state")
}
check_integrity-state() {
	diff -r -x '*.lock' "$T/p/.cp" "$WORK/cp0" > /dev/null 2>&1 || CHANGED=1
	[ "$RC" -eq 137 ] || [ "$RC" -eq "$VERDICT" ] || fail "exit $RC, want $VERDICT"
	local k rc
	for k in 1 2; do
		rc=0
		"${CMD[@]}" --json > "$WORK/out2" 2> /dev/null || rc=$?
		[ "$rc" -eq "$VERDICT" ] || fail "run $k after the kill: exit $rc, want $VERDICT"
		[ "$(jq -c '{healthy, invalid, missing}' "$WORK/out2" 2> /dev/null)" = "$(cat "$WORK/verdict")" ] ||
			fail "run $k after the kill: not the --full run's report"
	done
	no_leftovers "$T/p" '\.cp|\.cp/hash\.cache|\.cp/integrity\.state|\.cp/.*\.lock'
}

# --- cp-plane: install, update, remove of the module PKG-MOD-DOC-LINT
# (version A as shipped, B made by Python's tarfile), pack of a framework,
# manifest.  Templates are made once; the after-state of each is an uncut
# run on a copy.
PKG=PKG-MOD-DOC-LINT
cpp() { (cd "$1" && exec cp-plane -C "$1" -q "${@:2}"); }
use_archive() {
	local p=$1 id=$2 a=$3 d
	d=$(sha "$a")
	cp "$a" "$p/packages_store/$id.tar.gz"
	printf '%s  %s\n' "$d" "$id.tar.gz" > "$p/packages_store/$id.tar.gz.sha256"
	$PYTHON "$TOP/tests/data/cp-plane/csvset.py" "$p/registries/packages_registry.csv" "$id" "digest=$d"
}
make_plane_templates() {
	local b=$WORK/B.tgz
	$PYTHON "$TOP/tests/data/cp-plane/mktar.py" "$b" doc_lint/README.md $'# doc_lint, version B\n' \
		doc_lint/doc_lint.py $'print("B")\n' doc_lint/extra/new.md $'new in B\n' || return 2
	mkdir -p "$PLANES"
	new_plane "$PLANES/A" || return 2
	cp "$PLANES/A/packages_store/$PKG.tar.gz" "$WORK/A.tgz"
	cp -a "$PLANES/A" "$PLANES/none"
	cpp "$PLANES/none" remove $PKG || return 2
	cp -a "$PLANES/A" "$PLANES/AtoB"
	use_archive "$PLANES/AtoB" $PKG "$b"
	cp -a "$PLANES/A" "$PLANES/pack"
	cp -a "$PLANES/none" "$PLANES/manifest"
	rm -rf "$PLANES"/*/.cp/stage
	for t in A none AtoB pack manifest; do
		plane_state "$PLANES/$t" > "$PLANES/$t.state"
	done
}
# setup_plane TEMPLATE ARGS...: the trial's plane, its before and after
# states (the after state from an uncut run on a copy).
setup_plane() {
	local tpl=$1
	shift
	[ -f "$PLANES/manifest.state" ] || make_plane_templates || return 2
	fresh
	cp -a "$PLANES/$tpl" "$T/p"
	if [ "$tpl" = pack ]; then
		printf 'trial %s\n' "$RANDOM" >> "$T/p/frameworks/FMWK-100_agent_development_standard.md"
	fi
	plane_state "$T/p" > "$WORK/plane0"
	# the after state: the same for every trial of an operation on a
	# template but pack's (whose source differs from trial to trial)
	local ref=$PLANES/$tpl.after
	if [ "$tpl" = pack ] || [ ! -f "$ref" ]; then
		cp -a "$T/p" "$T/ref"
		cpp "$T/ref" "$@" > /dev/null 2>&1 || return 2
		plane_state "$T/ref" > "$ref"
		echo $(($(cat "$T"/ref/ledger/*.jsonl | wc -l) - $(cat "$T"/p/ledger/*.jsonl | wc -l))) > "$ref.n"
		# cp-integrity's verdict on the plane before and after (pack's
		# changed source is not what the registry hashed: unhealthy both)
		local v=0
		cp-integrity -C "$T/p" > /dev/null 2>&1 || v=$?
		echo $v > "$ref.v0"
		v=0
		cp-integrity -C "$T/ref" > /dev/null 2>&1 || v=$?
		echo $v > "$ref.v1"
		rm -rf "$T/ref"
	fi
	cp "$ref" "$WORK/plane1"
	EVENTS1=$(cat "$ref.n") V0=$(cat "$ref.v0") V1=$(cat "$ref.v1")
	cmp -s "$WORK/plane0" "$WORK/plane1" && { echo "trials.sh: $* changes nothing" >&2; return 2; }
	N0=$(cat "$T"/p/ledger/*.jsonl | wc -l)
	RUNDIR=$T/p STDIN=/dev/null
	CMD=(cp-plane -C "$T/p" -q "$@")
}
setup_plane-install() { setup_plane none install $PKG; }
setup_plane-update() { setup_plane AtoB update $PKG; }
setup_plane-remove() { setup_plane A remove $PKG; }
setup_plane-pack() { setup_plane pack pack frameworks/FMWK-100_agent_development_standard.md PKG-FMWK-100; }
setup_plane-manifest() { setup_plane manifest manifest; }
check_plane-install() { check_plane; }
check_plane-update() { check_plane; }
check_plane-remove() { check_plane; }
check_plane-pack() { check_plane; }
check_plane-manifest() { check_plane; }
check_plane() {
	local p=$T/p s n
	plane_state "$p" 2> /dev/null | cmp -s - "$WORK/plane0" || CHANGED=1
	[ ! -e "$p/.cp/journal" ] || CHANGED=1
	[ -z "$(ls -A "$p/.cp/stage" 2> /dev/null)" ] || CHANGED=1
	[ "$(cat "$p"/ledger/*.jsonl | wc -l)" -eq "$N0" ] || CHANGED=1
	# the recovery, then one more ordinary step that changes nothing
	cpp "$p" recover > /dev/null 2>&1 || fail "cp-plane recover failed"
	cpp "$p" install PKG-FMWK-300 > /dev/null 2>&1 || fail "the next step (install PKG-FMWK-300, nothing to do) failed"
	plane_state "$p" > "$WORK/plane2"
	n=$(($(cat "$p"/ledger/*.jsonl | wc -l) - N0))
	if cmp -s "$WORK/plane2" "$WORK/plane0"; then
		s=before V=$V0
		[ "$RC" -ne 0 ] || fail "exit 0, and the plane is as before"
		# a refusal would be one entry; a kill before the commit, none
		[ "$n" -eq 0 ] || fail "the plane as before, $n new ledger entries"
	elif cmp -s "$WORK/plane2" "$WORK/plane1"; then
		s=after V=$V1
		[ "$n" -eq "$EVENTS1" ] || fail "the plane as after, $n new ledger entries, want $EVENTS1"
	else
		s=neither
		fail "the plane is neither before nor after: against after: $(diff "$WORK/plane1" "$WORK/plane2" | grep '^[<>]' | head -n 6 | tr '\n' ' ')"
	fi
	cp-ledger -C "$p" verify > /dev/null 2>&1 || fail "the ledger does not verify"
	$PYTHON -c 'import csv, sys
for f in sys.argv[1:]:
    with open(f, newline="", encoding="utf-8") as h:
        r = csv.reader(h)
        n = len(next(r))
        if any(len(row) != n for row in r): sys.exit(f + ": a row of another width")' "$p"/registries/*.csv ||
		fail "a registry Python's csv does not read"
	local v=0
	cp-integrity -C "$p" > /dev/null 2>&1 || v=$?
	[ "$v" = "${V:-0}" ] || fail "cp-integrity: status $v, as the $s plane: ${V:-0}"
	no_leftovers "$p" '\.cp|\.cp/stage|\.cp/pack|\.cp/pack/.*\.stamp|\.cp/.*\.lock|.*/\.[^/]*\.lock|\.cp/hash\.cache|\.cp/integrity\.state'
	find "$p" "$HOME" "$TMPDIR" -name '.cp-tar-*' | grep -q . && fail "a staging directory is left"
}

# ---------------------------------------------------------------------------

# Trials interleave the operations (trial 0 of each, then trial 1...), so
# that a time limit (-d) leaves each about as many.
total_fail=0
declare -A SPANS TRACES N B D A R F
t_start=$(date +%s)
for op in $OPS; do
	RANDOM=$SEED
	if [ -n "$MOMENT" ]; then
		SPAN=1 TRACE=()
	else
		calibrate "$op" || { echo "trials.sh: $op: setup failed" >&2; exit 2; }
	fi
	SPANS[$op]=$SPAN TRACES[$op]=${TRACE[*]}
	N[$op]=0 B[$op]=0 D[$op]=0 A[$op]=0 R[$op]=0 F[$op]=0
done
for ((i = 0; i < TRIALS; i++)); do
	[ -z "$DEADLINE" ] || [ "$(date +%s)" -lt "$DEADLINE" ] || break
	for op in $OPS; do
		seed=$((SEED + i))
		SPAN=${SPANS[$op]}
		read -r -a TRACE <<< "${TRACES[$op]}"
		RANDOM=$seed
		OKRC=0
		setup_"$op" "$seed" || { echo "trials.sh: $op: setup failed (seed $seed)" >&2; exit 2; }
		m=${MOMENT:-$(draw_moment)}
		run_killed "$m" "$RUNDIR" "$STDIN" "${CMD[@]}"
		FAILS=() CHANGED=0
		case $RC in
		137 | "$OKRC") ;;
		124) fail "hung (killed after ${HANG}s)" ;;
		*) fail "exit status $RC: $(head -c 300 "$WORK/err")" ;;
		esac
		check_"$op"
		N[$op]=$((N[$op] + 1))
		if [ "$RC" -eq 137 ]; then
			[ "$CHANGED" -eq 0 ] && B[$op]=$((B[$op] + 1)) || D[$op]=$((D[$op] + 1))
		else
			A[$op]=$((A[$op] + 1))
		fi
		if [ ${#FAILS[@]} -eq 0 ]; then
			R[$op]=$((R[$op] + 1))
		else
			F[$op]=$((F[$op] + 1))
			total_fail=$((total_fail + 1))
			printf 'FAIL %s seed %s moment %s (exit %s): %s\n  replay: tests/crash/trials.sh -s %s -n 1 -m %s %s\n' \
				"$op" "$seed" "$m" "$RC" "$(printf '%s; ' "${FAILS[@]}")" "$seed" "$m" "$op"
		fi
		[ "$VERBOSE" -eq 0 ] || printf '%s seed %s moment %s: exit %s, changed %s, %s\n' \
			"$op" "$seed" "$m" "$RC" "$CHANGED" "$([ ${#FAILS[@]} -eq 0 ] && echo ok || echo FAIL)"
	done
done
t_end=$(date +%s)

printf '%-16s %7s %7s %7s %7s %9s %8s\n' operation trials before during after recovered failures
all=0
for op in $OPS; do
	printf '%-16s %7s %7s %7s %7s %9s %8s\n' "$op" "${N[$op]}" "${B[$op]}" "${D[$op]}" "${A[$op]}" "${R[$op]}" "${F[$op]}"
	all=$((all + N[$op]))
done
printf '%s trials, seed %s, kill mode %s, %ss\n' "$all" "$SEED" "$KMODE" "$((t_end - t_start))"
[ "$total_fail" -eq 0 ]
