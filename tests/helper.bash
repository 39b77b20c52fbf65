# tests/helper.bash: loaded by every suite (load helper).
# Runs the programs from bin/ (or $CP_BIN), never from the user's PATH first.
# SPDX-License-Identifier: ISC

bats_require_minimum_version 1.5.0

: "${CP_BIN:=$BATS_TEST_DIRNAME/../bin}"
PATH="$CP_BIN:$PATH"
DATA="$BATS_TEST_DIRNAME/data"
export LC_ALL=C
# The per-user state key (cp-hash --cache, cp-integrity's cache and state)
# goes to a scratch directory, never to the real ~/.local/state.
export XDG_STATE_HOME="${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/xdg-state"

# The last `run` must not have ended by a signal: a crash is always a bug.
no_signal() {
	if [ "$status" -ge 128 ]; then
		echo "killed by signal $((status - 128))" >&2
		return 1
	fi
}

# A listing of every file under a directory with its hash, type and mode:
# equal before and after means the tree did not change.
tree_state() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %p -> %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
