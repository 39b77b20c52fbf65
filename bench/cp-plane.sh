#!/usr/bin/env bash
# bench/cp-plane.sh: one package installed and removed, by every way the plane
# has had of doing it, all measured in the same run on the same archive:
#   cp-plane install ID / remove ID, directly and through `make install PKG=ID`
#     / `make remove PKG=ID` of a plane Makefile including this tree's mk/plane.mk;
#   the shell version: mk/plane.sh and mk/plane.mk as of 688cdce (bash, awk and
#     the cp-* filters), recovered from git into a scratch directory, directly
#     and through make;
#   a bare `cp-tar -x DIR -f ARCHIVE` of the archive into an empty directory;
#   the Python original's scripts/package_install.py (it has no remove), on a
#     minimal Control_Plane_v2 plane of its own, its archive signed and attested
#     so that it takes its fail-closed path (the C planes' policy is the
#     default, signatures optional, and their archives carry none).
# Two packages: one file (8 KiB, an extension under frameworks/) and 100 files
# (4 KiB each, a module of 10 directories).  An install is timed with the
# remove after it untimed, a remove with the install before it untimed.  The
# contenders take turns: each round runs every one of them once, and each
# gets the best of BENCH_RUNS rounds (BENCH_QUICK_RUNS, default 20, for the
# one-file package), so that a busy spell of the machine weighs on all alike.
# Targets (the cp-plane issue), on the one-file package: make install (and
# cp-plane install) within 2x of the bare cp-tar -x, and >= 4x faster than
# package_install.py.  The 100-file package prints the same ratios, no target.
#
# The Python leg needs the original's source: BENCH_PY_ORIGINAL, a
# Control_Plane_v2 tree holding lib/ and scripts/package_install.py, else
# commit BENCH_PY_REV (fb86f63) of the git directory BENCH_PY_GIT (a mirror of
# rabruni/Brain_Garden); without either the leg is skipped.  BENCH_PYTHON is
# the interpreter (default /usr/bin/python3: a shim on PATH may add its own
# start-up to every run).  The shell leg needs this repository's git history.
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/.." && pwd)
shell_rev=${BENCH_SHELL_REV:-688cdce}
: "${BENCH_PY_GIT:=/work/.mirror/rabruni+Brain_Garden/repo}"
: "${BENCH_PY_REV:=fb86f63}"
if [ -z "${BENCH_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then BENCH_PYTHON=/usr/bin/python3; else BENCH_PYTHON=python3; fi
fi

d=$BENCH_DIR/cp-plane
rm -rf "$d"
mkdir -p "$d/home"
cd "$d"
# One identity for every contender: alice (admin), her hmac token from a secret
# of the benchmark's own, nothing read from the caller's home.
export HOME=$d/home
unset CONTROL_PLANE_ROOT CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SECRETS_FILE CP_ROOT FORCE \
	CONTROL_PLANE_ALLOW_UNSIGNED CONTROL_PLANE_ALLOW_UNATTESTED CONTROL_PLANE_ALLOW_OUTSIDE \
	CONTROL_PLANE_ALLOW_PASSTHROUGH CONTROL_PLANE_VERIFY_KEY MAKEFLAGS MFLAGS MAKELEVEL
export CONTROL_PLANE_SHARED_SECRET=bench-plane-secret
export CONTROL_PLANE_TOKEN="alice:$(printf alice | openssl dgst -sha256 -hmac "$CONTROL_PLANE_SHARED_SECRET" | sed 's/.*= //')"
# The Python original's detached signatures (hmac-sha256: the key is shorter
# than 32 bytes), given to its runs only: cp-plane reads the same variable.
py_key=bench-signing-key
unset CONTROL_PLANE_SIGNING_KEY CONTROL_PLANE_SIGNATURES

one=PKG-BENCH-ONE one_path=frameworks/FMWK-BENCH-ONE.md
many=PKG-BENCH-100 many_path=modules/bench100

# --- the plane, uninstalled, with both archives ------------------------------
t=$d/template
mkdir -p "$t/registries" "$t/packages_store" "$t/installed" "$t/ledger" "$t/frameworks" "$t/modules"
cp "$repo/registries/plane.conf" "$repo/registries/roles.csv" "$t/registries/"
head -n 3 "$repo/registries/control_plane_registry.csv" > "$t/registries/control_plane_registry.csv"
"$BENCH_PYTHON" - "$t" <<'EOF'
import base64, os, random, sys
t = sys.argv[1]
r = random.Random(42)
def text(n):
    return base64.encodebytes(r.randbytes(n * 3 // 4 + 3))[:n]
with open(os.path.join(t, "frameworks/FMWK-BENCH-ONE.md"), "wb") as f:
    f.write(text(8192))
for i in range(100):
    p = os.path.join(t, "modules/bench100/d%d/f%02d.md" % (i % 10, i))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(text(4096))
EOF
printf '%s\0' "$one_path" | cp-tar -c -0 -C "$t" -f "$t/packages_store/$one.tar.gz"
(cd "$t/modules" && find bench100 -type f -print0 | sort -z) |
	cp-tar -c -0 -C "$t/modules" -f "$t/packages_store/$many.tar.gz"
rm -rf "$t/$one_path" "$t/$many_path"
dig_one=$(sha256sum < "$t/packages_store/$one.tar.gz" | cut -c1-64)
dig_many=$(sha256sum < "$t/packages_store/$many.tar.gz" | cut -c1-64)
printf '%s  %s\n' "$dig_one" "$one.tar.gz" > "$t/packages_store/$one.tar.gz.sha256"
printf '%s  %s\n' "$dig_many" "$many.tar.gz" > "$t/packages_store/$many.tar.gz.sha256"
{
	head -n 1 "$repo/registries/packages_registry.csv"
	echo "$one,bench-one,framework,governance,1.0.0,packages_store/$one.tar.gz,tar,$dig_one,,,,,any,any,,,MIT,/$one_path,extension,,active,yes,P1,bench,2026-01-01T00:00:00+00:00,SPEC-BENCH,"
	echo "$many,bench-hundred,module,tooling,1.0.0,packages_store/$many.tar.gz,tar,$dig_many,,,,,any,any,,,MIT,/$many_path,module,,active,yes,P2,bench,2026-01-01T00:00:00+00:00,SPEC-BENCH,"
} > "$t/registries/packages_registry.csv"
cp-regrow -f "$t/registries/packages_registry.csv" validate --kind packages > /dev/null

# plane MK: a copy of the template whose Makefile includes MK.
new_plane() {
	cp -R "$t" "$1"
	printf 'CP_ROOT := $(CURDIR)\nCP_BIN := %s\ninclude %s\n' "$CP_BIN" "$2" > "$1/Makefile"
}

# works NAME PLANE ID PATH INSTALL REMOVE: one install and one remove by a
# contender, checked (receipt and files there, then gone, no refusal in the
# ledger) before any timing: the race does not look at the status of what it times.
works() {
	local name=$1 p=$2 id=$3 path=$4
	if ! eval "$5" > "$d/$name.log" 2>&1; then
		echo "  $name: install failed:"; sed 's/^/    /' "$d/$name.log" | tail -n 5; return 1
	fi
	if [ ! -f "$p/installed/$id.sha256" ] || [ ! -e "$p/$path" ]; then
		echo "  $name: install left no receipt or no $path"; return 1
	fi
	if ! eval "$6" >> "$d/$name.log" 2>&1; then
		echo "  $name: remove failed:"; sed 's/^/    /' "$d/$name.log" | tail -n 5; return 1
	fi
	if [ -e "$p/installed/$id.sha256" ] || [ -e "$p/$path" ]; then
		echo "  $name: remove left the receipt or $path"; return 1
	fi
	! refused "$p" || { echo "  $name: a refusal in $p/ledger"; return 1; }
}

# refused PLANE: does its ledger hold a refusal or a denial?
refused() {
	cat "$1"/ledger/*.jsonl 2>/dev/null | grep -Eq '"decision": ?"(REFUSED|DENIED)"'
}

# decisions PLANE DECISION: how many ledger entries of the plane hold DECISION.
decisions() {
	cat "$1"/ledger/*.jsonl 2>/dev/null | grep -Ec "\"decision\": ?\"$2\"" || :
}

# The contenders of one package: K -> the timed command, what runs before
# and after it (untimed), and its best time.  An install is timed with the
# remove after it, a remove with the install before it: every contender
# finds its plane as it left it.
declare -A cmd before after best
# contend K CMD [BEFORE [AFTER]]
contend() { cmd[$1]=$2 before[$1]=${3:-:} after[$1]=${4:-:}; }

# race: BENCH_RUNS rounds after a warm-up one, each round running every
# contender once in turn, so that a machine busy for a while weighs on all of
# them alike (lib.sh's best_around would run one contender's runs back to
# back); best[K] is the best wall time, timed as best_around times it.
race() {
	local i k t0 t1 dt
	local -A us=()
	for ((i = 0; i <= BENCH_RUNS; i++)); do
		for k in "${!cmd[@]}"; do
			eval "${before[$k]}" > /dev/null 2>&1
			t0=$EPOCHREALTIME
			eval "${cmd[$k]}" > /dev/null 2>&1 || :
			t1=$EPOCHREALTIME
			eval "${after[$k]}" > /dev/null 2>&1
			dt=$(( ${t1/[.,]/} - ${t0/[.,]/} ))
			if [ "$i" -gt 0 ] && { [ -z "${us[$k]:-}" ] || [ "$dt" -lt "${us[$k]}" ]; }; then us[$k]=$dt; fi
		done
	done
	for k in "${!us[@]}"; do
		best[$k]=$(awk -v us="${us[$k]}" 'BEGIN { printf "%.4f\n", us / 1e6 }')
	done
}

# runs_ok PLANE INSTALLS I0 R0: did the race leave PLANE's ledger with no
# refusal and INSTALLS more INSTALL and REMOVE entries than I0 and R0?
runs_ok() {
	! refused "$1" && [ "$(($(decisions "$1" INSTALL) - $3))" -eq "$2" ] &&
		[ "$(($(decisions "$1" REMOVE) - $4))" -eq "$2" ]
}

# --- the contenders ------------------------------------------------------------
echo "plane: one package of 1 file ($(stat -c %s "$t/packages_store/$one.tar.gz")-byte archive)," \
	"one of 100 files ($(stat -c %s "$t/packages_store/$many.tar.gz")-byte archive)"

have_c= have_cmake=
if [ -x "$CP_BIN/cp-plane" ]; then
	new_plane "$d/c" "$repo/mk/plane.mk"
	have_c=1
	if grep -q 'cp-plane' "$repo/mk/plane.mk"; then have_cmake=1; else
		have_cmake=
		echo "make (this tree): skipped, mk/plane.mk does not call cp-plane"
	fi
else
	echo "cp-plane: skipped, $CP_BIN/cp-plane is not built"
fi

have_sh=
if git -C "$repo" cat-file -e "$shell_rev:mk/plane.sh" 2>/dev/null &&
   git -C "$repo" cat-file -e "$shell_rev:mk/plane.mk" 2>/dev/null; then
	# plane.mk calls `bash $(CP_MK_DIR)/plane.sh`: both in one directory.
	mkdir -p "$d/oldmk"
	git -C "$repo" show "$shell_rev:mk/plane.sh" > "$d/oldmk/plane.sh"
	git -C "$repo" show "$shell_rev:mk/plane.mk" > "$d/oldmk/plane.mk"
	new_plane "$d/sh" "$d/oldmk/plane.mk"
	have_sh=1
else
	echo "shell version: skipped, no git history with $shell_rev:mk/plane.sh in $repo"
fi

have_py=
py_src=
if [ -n "${BENCH_PY_ORIGINAL:-}" ]; then
	if [ -f "$BENCH_PY_ORIGINAL/scripts/package_install.py" ] && [ -d "$BENCH_PY_ORIGINAL/lib" ]; then
		py_src=$BENCH_PY_ORIGINAL
	else
		echo "package_install.py: skipped, BENCH_PY_ORIGINAL=$BENCH_PY_ORIGINAL holds no lib/ and scripts/package_install.py"
	fi
elif git --git-dir="$BENCH_PY_GIT" cat-file -e "$BENCH_PY_REV:Control_Plane_v2/scripts/package_install.py" 2>/dev/null; then
	mkdir -p "$d/pysrc"
	git --git-dir="$BENCH_PY_GIT" archive "$BENCH_PY_REV" Control_Plane_v2/lib Control_Plane_v2/scripts |
		tar -x -C "$d/pysrc"
	py_src=$d/pysrc/Control_Plane_v2
else
	echo "package_install.py: skipped, no BENCH_PY_ORIGINAL and no $BENCH_PY_REV in BENCH_PY_GIT=$BENCH_PY_GIT"
fi
if [ -n "$py_src" ]; then
	# The original finds its plane as the directory named Control_Plane_v2
	# around lib/paths.py, its ledger as lib/../ledger/governance.jsonl.
	py=$d/py/Control_Plane_v2
	mkdir -p "$py/registries" "$py/packages_store" "$py/frameworks" "$py/modules"
	cp -R "$py_src/lib" "$py_src/scripts" "$py/"
	cp "$t/registries/packages_registry.csv" "$py/registries/"
	cp "$t/packages_store/"*.tar.gz "$t/packages_store/"*.tar.gz.sha256 "$py/packages_store/"
	# A detached signature and a provenance attestation for each archive, made
	# by the original's own lib/signing.py and lib/provenance.py: installs take
	# the fail-closed path (no CONTROL_PLANE_ALLOW_UNSIGNED/UNATTESTED waivers).
	if CONTROL_PLANE_SIGNING_KEY=$py_key "$BENCH_PYTHON" - "$py" "$one" "$many" > "$d/py-setup.log" 2>&1 <<'EOF'
import sys
from pathlib import Path
py = Path(sys.argv[1])
sys.path.insert(0, str(py))
from lib.signing import sign_detached
from lib.provenance import create_attestation
for pkg in sys.argv[2:]:
    a = py / "packages_store" / (pkg + ".tar.gz")
    sign_detached(a, signer="bench")
    create_attestation(a, pkg)
EOF
	then
		have_py=1
	else
		echo "package_install.py: skipped, signing the archives failed:"; sed 's/^/    /' "$d/py-setup.log" | tail -n 5
	fi
	rm -rf "$py/ledger"
	# Its modules byte-compiled, as an installed Python program's are: with
	# PYTHONDONTWRITEBYTECODE set (as some environments do) every run would
	# otherwise compile lib/ anew.
	"$BENCH_PYTHON" -m compileall -q "$py/lib" > /dev/null || :
fi
# py_install ID: the original's command line.  py_clean DIR: the package's
# top directory in the plane gone (the archives hold their directories as
# entries, and without --force the original refuses any entry that exists,
# frameworks/ included: "Target exists"), and its ledger emptied (each of its
# LedgerClient()s reads the whole ledger: it must not grow from run to run).
py_install() {
	printf 'CONTROL_PLANE_SIGNING_KEY=%q %q %q --archive %q --id %q' "$py_key" "$BENCH_PYTHON" \
		"$py/scripts/package_install.py" "$py/packages_store/$1.tar.gz" "$1"
}
py_clean() { printf 'rm -rf %q %q' "$py/$1" "$py/ledger"; }

# --- the runs --------------------------------------------------------------------
# bench_pkg ID PATH FILES MEMBER TOP: PATH is where the package goes in the
# plane, MEMBER the same in the archive, TOP its first directory in the plane.
bench_pkg() {
	local id=$1 path=$2 n=$3 member=$4 top=$5 a=$t/packages_store/$1.tar.gz
	local k c_i0= c_r0= s_i0= s_r0= c_pairs=0 s_pairs=0
	cmd=() before=() after=() best=()
	echo
	echo "$id ($n file$([ "$n" = 1 ] || echo s), $path):"
	local cpi="cp-plane -C $d/c install $id" cpr="cp-plane -C $d/c remove $id"
	local cmi="make -s -C $d/c install PKG=$id" cmr="make -s -C $d/c remove PKG=$id"
	local shi="CP_ROOT=$d/sh bash $d/oldmk/plane.sh install $id" shr="CP_ROOT=$d/sh bash $d/oldmk/plane.sh remove $id"
	local smi="make -s -C $d/sh install PKG=$id" smr="make -s -C $d/sh remove PKG=$id"
	if [ -n "$have_c" ]; then
		if works cp-plane "$d/c" "$id" "$path" "$cpi" "$cpr"; then
			contend c_in "$cpi" : "$cpr"; contend c_rm "$cpr" "$cpi" :; c_pairs=$((c_pairs + 1))
		fi
		if [ -n "$have_cmake" ] && works make-cp-plane "$d/c" "$id" "$path" "$cmi" "$cmr"; then
			contend cm_in "$cmi" : "$cmr"; contend cm_rm "$cmr" "$cmi" :; c_pairs=$((c_pairs + 1))
			# make's own share: reading the Makefiles, deciding, no recipe run
			contend mk "make -s -n -C $d/c install PKG=$id"
		fi
		c_i0=$(decisions "$d/c" INSTALL) c_r0=$(decisions "$d/c" REMOVE)
	fi
	if [ -n "$have_sh" ]; then
		if works plane.sh "$d/sh" "$id" "$path" "$shi" "$shr"; then
			contend s_in "$shi" : "$shr"; contend s_rm "$shr" "$shi" :; s_pairs=$((s_pairs + 1))
		fi
		if works make-plane.sh "$d/sh" "$id" "$path" "$smi" "$smr"; then
			contend sm_in "$smi" : "$smr"; contend sm_rm "$smr" "$smi" :; s_pairs=$((s_pairs + 1))
		fi
		s_i0=$(decisions "$d/sh" INSTALL) s_r0=$(decisions "$d/sh" REMOVE)
	fi
	# cp-tar -x syncs what it wrote, as the installs do.
	rm -rf "$d/x" && mkdir -p "$d/x"
	if cp-tar -x "$d/x" -f "$a" > /dev/null && [ -e "$d/x/$member" ]; then
		contend x "cp-tar -x $d/x -f $a" "rm -rf $d/x && mkdir $d/x"
	else
		echo "  cp-tar -x: extraction failed"
	fi
	if [ -n "$have_py" ]; then
		eval "$(py_clean "$top")"
		if eval "$(py_install "$id")" > "$d/py-$id.log" 2>&1 && [ -e "$py/$path" ]; then
			contend p "$(py_install "$id")" "$(py_clean "$top")"
		else
			echo "  package_install.py: install failed:"; sed 's/^/    /' "$d/py-$id.log" | tail -n 5
		fi
	fi

	race

	# Every timed run must have done its work: the race (as lib.sh's
	# best_around) ignores the status, and a refusal would pass for a fast install.
	local want=$((2 * (BENCH_RUNS + 1)))
	if [ -n "$c_i0" ] && ! runs_ok "$d/c" $((want * c_pairs)) "$c_i0" "$c_r0"; then
		echo "  (not every timed run of cp-plane installed or removed: its timings dropped)"
		unset 'best[c_in]' 'best[c_rm]' 'best[cm_in]' 'best[cm_rm]'
	fi
	if [ -n "$s_i0" ] && ! runs_ok "$d/sh" $((want * s_pairs)) "$s_i0" "$s_r0"; then
		echo "  (not every timed run of plane.sh installed or removed: its timings dropped)"
		unset 'best[s_in]' 'best[s_rm]' 'best[sm_in]' 'best[sm_rm]'
	fi
	# cp-tar -x and package_install.py: the last round's work is still there.
	if [ -n "${cmd[x]:-}" ] && [ ! -e "$d/x/$member" ]; then
		echo "  cp-tar -x: the timed runs extracted nothing"; unset 'best[x]'
	fi
	rm -rf "$d/x"
	if [ -n "${cmd[p]:-}" ]; then
		if [ ! -e "$py/$path" ] || ! grep -q '"event_type": "package_install"' "$py/ledger/governance.jsonl"; then
			echo "  package_install.py: the timed runs installed nothing"; unset 'best[p]'
		fi
		eval "$(py_clean "$top")"
	fi
	local c_in=${best[c_in]:-} c_rm=${best[c_rm]:-} cm_in=${best[cm_in]:-} cm_rm=${best[cm_rm]:-}
	local s_in=${best[s_in]:-} s_rm=${best[s_rm]:-} sm_in=${best[sm_in]:-} sm_rm=${best[sm_rm]:-}
	local x=${best[x]:-} p=${best[p]:-} mk=${best[mk]:-}

	row() { [ -z "$2" ] || printf '  %-34s %8ss  %8s\n' "$1" "$2" "$([ -n "$3" ] && echo "${3}s" || echo -)"; }
	echo "                                      install   remove"
	row "cp-plane" "$c_in" "$c_rm"
	row "make install/remove (cp-plane)" "$cm_in" "$cm_rm"
	row "  of which make -n (no recipe)" "$mk" ""
	row "plane.sh ($shell_rev)" "$s_in" "$s_rm"
	row "make install/remove (plane.sh)" "$sm_in" "$sm_rm"
	row "cp-tar -x (bare, synced)" "$x" ""
	row "package_install.py (no remove)" "$p" ""
	if [ -n "$s_in" ]; then
		[ -z "$c_in" ] || echo "  cp-plane vs plane.sh: install $(ratio "$s_in" "$c_in")x, remove $(ratio "$s_rm" "$c_rm")x faster"
		[ -z "$cm_in" ] || [ -z "$sm_in" ] ||
			echo "  make (cp-plane) vs make (plane.sh): install $(ratio "$sm_in" "$cm_in")x, remove $(ratio "$sm_rm" "$cm_rm")x faster"
	fi
	[ -z "$s_in" ] || [ -z "$x" ] || echo "  plane.sh install: $(ratio "$s_in" "$x")x the time of cp-tar -x"
	[ -z "$s_in" ] || [ -z "$p" ] || echo "  plane.sh install vs package_install.py: $(ratio "$p" "$s_in")x faster"
	# The targets, on the one-file package; the 100-file one only shows its ratios.
	local tgt=
	[ "$n" != 1 ] || tgt=1
	target "cp-plane install" "$c_in" "$x" "$p" "$tgt"
	target "make install" "$cm_in" "$x" "$p" "$tgt"
}

# target NAME T_INSTALL T_CPTAR T_PY TARGETED: its ratio to cp-tar -x (<= 2)
# and its speed-up over package_install.py (>= 4); PASS/FAIL when TARGETED.
target() {
	local r v
	if [ -z "$2" ]; then
		[ -z "$5" ] || echo "  target: $1: SKIP (not measured)"
		return 0
	fi
	if [ -n "$3" ]; then
		r=$(ratio "$2" "$3")
		v=$(awk -v r="$r" 'BEGIN { print (r <= 2 ? "PASS" : "FAIL") }')
		echo "  ${5:+target: }$1: ${r}x the time of cp-tar -x${5:+ (target <= 2): $v}"
		[ -z "$5" ] || bench_row "$1, time vs cp-tar -x" "${r}x" "<=" 2
	fi
	if [ -n "$4" ]; then
		r=$(ratio "$4" "$2")
		v=$(awk -v r="$r" 'BEGIN { print (r >= 4 ? "PASS" : "FAIL") }')
		echo "  ${5:+target: }$1: ${r}x faster than package_install.py${5:+ (target >= 4): $v}"
		[ -z "$5" ] || bench_row "$1, speed vs package_install.py" "${r}x" ">=" 4
	elif [ -n "$5" ]; then
		echo "  target: $1 vs package_install.py: SKIP (the Python leg did not run)"
	fi
}

# A one-file install takes milliseconds: best of BENCH_QUICK_RUNS (default 20).
BENCH_RUNS=${BENCH_QUICK_RUNS:-20} bench_pkg "$one" "$one_path" 1 "$one_path" frameworks
bench_pkg "$many" "$many_path" 100 "${many_path#modules/}" "$many_path"
# The planes' own ledgers must still verify after all those runs.
for p in ${have_c:+"$d/c"} ${have_sh:+"$d/sh"}; do
	cp-ledger -C "$p" verify > /dev/null || { echo "$p: the ledger no longer verifies" >&2; exit 1; }
done
