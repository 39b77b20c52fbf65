#!/usr/bin/env bats
# lib/ is folders by layer (HACKING.md's "layers:" line); ci/layers.sh says
# whether the includes and the objects' symbols keep to them.
# SPDX-License-Identifier: ISC

load helper

TOP="$BATS_TEST_DIRNAME/.."
CHECK="$TOP/ci/layers.sh"

# A copy of the library and HACKING.md to break (no objects: -o is tested apart).
copy_lib() {
	mkdir -p "$BATS_TEST_TMPDIR/t"
	cp -R "$TOP/lib" "$BATS_TEST_TMPDIR/t/lib"
	cp "$TOP/HACKING.md" "$BATS_TEST_TMPDIR/t/"
	L="$BATS_TEST_TMPDIR/t/lib"
}

@test "the library keeps to its layers: includes, symbols, loops, no exit or print" {
	run --separate-stderr bash "$CHECK" -o "$CP_BIN/../build/lib" "$TOP/lib"
	printf '%s\n' "$output" "$stderr"	# what is wrong, shown when the test fails
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "every layer folder is named in HACKING.md and no file lies in lib/ itself" {
	run -0 bash -c "sed -n 's/^layers: *//p' '$TOP/HACKING.md' | tr -d '<' | tr ' ' '\n' | sed '/^\$/d' | sort"
	want=$output
	run -0 bash -c "cd '$TOP/lib' && ls -d */ | tr -d / | sort"
	[ "$output" = "$want" ]
	run -0 bash -c "ls '$TOP'/lib/*.[ch] 2>/dev/null | wc -l"
	[ "$output" = 0 ]
}

@test "an include of a higher layer fails, naming the file, line and layers" {
	copy_lib
	printf '#include "plane/integrity.h"\n' >> "$L/base/buf.c"
	n=$(wc -l < "$L/base/buf.c")
	run -1 bash "$CHECK" "$L"
	[[ "$output" == *"base/buf.c:$n: base includes plane/integrity.h: plane is not below base"* ]]
}

@test "an include of a peer layer fails (tar and registry sit side by side)" {
	copy_lib
	printf '#include "registry/registry.h"\n' >> "$L/tar/gzin.c"
	run -1 bash "$CHECK" "$L"
	[[ "$output" == *"tar includes registry/registry.h: registry is not below tar"* ]]
}

@test "an include without its layer folder, or of a missing file, fails" {
	copy_lib
	printf '#include "buf.h"\n' >> "$L/base/io.c"
	printf '#include "base/nosuch.h"\n' >> "$L/text/csv.c"
	run -1 bash "$CHECK" "$L"
	[[ "$output" == *'base/io.c:'*'includes "buf.h": name it with its layer (LAYER/buf.h)'* ]]
	[[ "$output" == *'text/csv.c:'*'includes "base/nosuch.h", which is not in'* ]]
}

@test "two modules of one layer that include each other are a loop" {
	copy_lib
	printf '#include "text/semver.h"\n' >> "$L/text/csv.h"
	printf '#include "text/csv.h"\n' >> "$L/text/semver.c"
	run -1 bash "$CHECK" "$L"
	[[ "$output" == *"modules that need each other (#include)"*"text/csv"* ]]
	[[ "$output" == *"text/semver"* ]]
}

@test "a folder that is not a layer, or a file in lib/ itself, fails" {
	copy_lib
	mkdir "$L/misc" && : > "$L/misc/x.c" && : > "$L/stray.c"
	run -1 bash "$CHECK" "$L"
	[[ "$output" == *"misc: a folder that is not a layer"* ]]
	[[ "$output" == *"stray.c: not in a layer folder"* ]]
}

@test "objects: an upward call, a loop of calls and an exit outside cli/ fail" {
	copy_lib
	o="$BATS_TEST_TMPDIR/o"
	mkdir -p "$o/base" "$o/text" "$o/cli"
	cd "$L"
	printf 'void cp_t_a(void); void cp_b_a(void) { cp_t_a(); }\n' > base/b.c
	printf 'void cp_b_a(void); void cp_t_a(void) { cp_b_a(); }\nvoid cp_t_x(int n) { __builtin_exit(n); }\n' > text/t.c
	printf '#include <stdlib.h>\nvoid xc(int n) { exit(n); }\n' > cli/c.c
	for m in base/b text/t cli/c; do cc -c -o "$o/$m.o" "$m.c"; done
	# An object whose source is gone (a stale build) is not looked at.
	cp "$o/text/t.o" "$o/text/gone.o"
	run -1 bash "$CHECK" -o "$o" "$L"
	[[ "$output" == *"base/b.o uses cp_t_a of text/t.o: text is not below base"* ]]
	[[ "$output" == *"modules that need each other (symbols)"*"base/b"* ]]
	[[ "$output" == *"text/t.o uses exit: only cli/ and base/xalloc may exit or print"* ]]
	[[ "$output" != *"cli/c.o"* ]]
	[[ "$output" != *"gone"* ]]
	[[ "$output" != *"defines"* ]]
}

@test "objects: a global name that does not say its module, or an x name below cli/, fails" {
	copy_lib
	o="$BATS_TEST_TMPDIR/o"
	mkdir -p "$o/text" "$o/base"
	cd "$L"
	printf 'int cp_u_ok(void) { return 1; }\nint helper(void) { return 2; }\nint cp_other_x(void) { return 3; }\n' > text/u.c
	printf 'void *xgrab(void) { return 0; }\n' > base/v.c
	for m in text/u base/v; do cc -c -o "$o/$m.o" "$m.c"; done
	run -1 bash "$CHECK" -o "$o" "$L"
	[[ "$output" == *"text/u.o defines helper: a library name is cp_u_..."* ]]
	[[ "$output" == *"text/u.o defines cp_other_x"* ]]
	[[ "$output" == *"base/v.o defines xgrab"* ]]
	[[ "$output" != *"cp_u_ok"* ]]
}

@test "no layers: line in HACKING.md is a setup error (status 2)" {
	copy_lib
	sed -i '/^layers:/d' "$BATS_TEST_TMPDIR/t/HACKING.md"
	run -2 --separate-stderr bash "$CHECK" "$L"
	[[ "$stderr" == *"no 'layers:' line"* ]]
}
