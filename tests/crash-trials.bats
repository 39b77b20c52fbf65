#!/usr/bin/env bats
# make crash-trials (tests/crash/trials.sh): a few kill trials of every
# writer, so that the harness itself is tested in both builds; the found
# bugs as fixed moments; and a writer that leaves a file behind, which the
# harness must catch and let replay.  The long runs are `make crash-trials
# TRIALS=N`, never a test.
# SPDX-License-Identifier: ISC

load helper

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
TRIALS_SH=$REPO/tests/crash/trials.sh

trials() { CP_TOP=$REPO bash "$TRIALS_SH" -w "$BATS_TEST_TMPDIR/w" "$@"; }

# row OP: the table's row of OP: "trials before during after recovered failures"
row() { awk -v op="$1" '$1 == op { print $2, $3, $4, $5, $6, $7 }' <<< "$output"; }

# every operation's row says N trials, all recovered, no failure
all_recovered() {
	local n=$1 op r
	shift
	for op in "$@"; do
		r=$(row "$op")
		read -r t b d a rec f <<< "$r"
		[ "$t" = "$n" ] && [ "$rec" = "$n" ] && [ "$f" = 0 ] && [ $((b + d + a)) -eq "$n" ] ||
			{ echo "$op: $r" >&2; return 1; }
	done
}

@test "usage: an unknown operation, a bad count or kill mode exit 2" {
	run -2 trials no-such-op
	[[ "$output" == *"unknown operation: no-such-op"* ]]
	run -2 trials -n x regrow
	run -2 trials -k sometimes regrow
	run -2 trials -q regrow
	[[ "$output" == *usage:* ]]
}

@test "ledger append and --batch, regrow -i, hash --cache, integrity state: killed, recovered" {
	run -0 trials -n 2 -s 4242 ledger-append ledger-batch regrow hash-cache integrity-state
	echo "$output"
	all_recovered 2 ledger-append ledger-batch regrow hash-cache integrity-state
	[[ "$output" == *"10 trials, seed 4242, kill mode both"* ]]
	[[ "$output" != *FAIL* ]]
}

@test "cp-plane install, update, remove, pack, manifest: killed, recovered, each change ledgered once" {
	run -0 trials -n 2 -s 4243 plane-install plane-update plane-remove plane-pack plane-manifest
	echo "$output"
	all_recovered 2 plane-install plane-update plane-remove plane-pack plane-manifest
}

# Found by the trials: a remove killed after its package's last directory
# went, before the empty modules/ above it did, was finished by recovery
# with modules/ left (the pruning stopped at the directory already gone),
# where the uncut remove prunes it (lib/plane/journal do_del).
@test "regression: a remove killed while pruning directories is finished by recovery as the uncut remove would" {
	run -0 trials -n 1 -s 300023 -m syscall:fsync:8 plane-remove
	echo "$output"
	[ "$(row plane-remove)" = "1 0 1 0 1 0" ]
}

@test "cp-tar -x: killed; every file whole, the re-run completes it and sweeps the staging left" {
	run -0 trials -n 3 -s 4244 tar-x
	echo "$output"
	all_recovered 3 tar-x
}

# Found by the trials: cp-tar -x killed while removing its own staging
# directory (its mark went first, then the staged files) left a directory
# no later run would sweep, as it no longer said whose it was; the mark now
# goes last (lib/tar/extract remove_tree).
@test "regression: cp-tar -x killed while removing its staging directory leaves nothing the re-run keeps" {
	for k in 2 3 4 5; do
		run -0 trials -n 1 -s 5 -m syscall:unlinkat:$k tar-x
		echo "$output"
		[ "$(row tar-x)" = "1 0 1 0 1 0" ]
	done
}

# Found by the trials: SIGKILL after the temporary file was written, before
# its rename, left .reg.csv.*, .hash.cache.* for good.  The next run's
# commit now removes them (base/atomic).
@test "regression: a writer killed before its rename leaves no temporary file after the next run" {
	for op in regrow hash-cache; do
		run -0 trials -n 1 -s 7 -m syscall:rename:1 $op
		echo "$output"
		[ "$(row $op)" = "1 0 1 0 1 0" ]
	done
}

@test "the harness catches a writer that leaves a file, and its replay line fails again" {
	b=$BATS_TEST_TMPDIR/bin
	mkdir -p "$b"
	for t in "$REPO"/bin/cp-*; do ln -s "$t" "$b/"; done
	rm "$b/cp-regrow"
	printf '#!/bin/sh\n[ "$1" = -i ] && : > "${2%%/*}/.stray.tmp"\nexec %s "$@"\n' "$REPO/bin/cp-regrow" > "$b/cp-regrow"
	chmod +x "$b/cp-regrow"
	CP_BIN=$b run -1 trials -n 2 -s 11 -k delay regrow
	echo "$output"
	[ "$(grep -c '^FAIL regrow seed 1[12] moment delay:[0-9]* (exit [0-9]*): .*left behind: .*\.stray\.tmp' <<< "$output")" -eq 2 ]
	replay=$(grep -m 1 'replay:' <<< "$output" | sed 's/.*replay: tests\/crash\/trials.sh //')
	CP_BIN=$b run -1 trials $replay
	[[ "$output" == *"left behind: "*".stray.tmp"* ]]
	[ "$(row regrow | cut -d' ' -f1,6)" = "1 1" ]
}
