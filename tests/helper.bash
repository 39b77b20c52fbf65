# tests/helper.bash: loaded by every suite (load helper).
# Runs the programs from bin/ (or $CP_BIN), never from the user's PATH first.
# SPDX-License-Identifier: ISC

bats_require_minimum_version 1.5.0

: "${CP_BIN:=$BATS_TEST_DIRNAME/../bin}"
# Python's answers come from Debian's python3 (ci/deps.sh installs it), ahead
# of any other on PATH: pyenv's shim, say, took 0.7 s a start here against
# 0.08 s, and the suites start Python a few thousand times.
if [ -x /usr/bin/python3 ] && [ -n "${BATS_RUN_TMPDIR:-}" ]; then
	# made once per run; never replaced (suites side by side share the directory)
	[ -x "$BATS_RUN_TMPDIR/python/python3" ] || { mkdir -p "$BATS_RUN_TMPDIR/python" &&
		ln -s /usr/bin/python3 "$BATS_RUN_TMPDIR/python/python3" 2> /dev/null; } || :
	PATH="$BATS_RUN_TMPDIR/python:$PATH"
fi
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
