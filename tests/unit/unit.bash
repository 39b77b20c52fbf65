# tests/unit/unit.bash: loaded by tests/unit.bats and build/tests/programs.bats.
# SPDX-License-Identifier: ISC

# Run one unit test program (built from tests/unit/NAME.c) in a scratch
# directory: status 0 passes; otherwise its output is shown, and a status
# of 128 or more is named as the crash it is.
unit_program() {
	cd "$BATS_TEST_TMPDIR" || return 1
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg-state"	# never the real ~/.local/state
	run "$1"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$output"
		if [ "$status" -ge 128 ]; then
			echo "# ${1##*/}: crashed (signal $((status - 128)))"
		else
			echo "# ${1##*/}: exit status $status"
		fi
		return 1
	fi
}
