#!/usr/bin/env bash
# ci/layers.sh: lib/ is folders by layer, and this says whether the code keeps to them.
#
#   ci/layers.sh [-o OBJDIR] [LIBDIR]     (LIBDIR defaults to lib, OBJDIR to none)
#
# The order of the layers is read from the "layers:" line of HACKING.md
# beside LIBDIR (the one place it is written): `a < b c < d` means a is the
# lowest, b and c are peers above it (neither may include the other), and d
# sits on both.  Checked:
#  1. every folder of LIBDIR is a layer, and no .c or .h lies in LIBDIR itself;
#  2. every #include "..." in LIBDIR names LAYER/FILE.h, a file that exists,
#     in the including file's own folder or a lower layer;
#  with -o OBJDIR (the objects of LIBDIR, built at the same paths):
#  3. no object uses a symbol of an object in a higher layer or a peer's;
#  4. no two modules need each other, directly or round a longer loop (tsort);
#  5. only cli/ and base/xalloc end the process or print on their own: no
#     other object calls exit, abort, err(3), warn(3), printf or puts, or
#     names stdout or stderr;
#  6. every global name an object defines says where it lives: cp_MODULE...
#     for lib/LAYER/MODULE.c (x... for a function that may exit, only in cli/
#     and base/xalloc).
# Prints one line per violation and exits 1 when there is any, 2 on a usage
# or setup error, 0 when the library keeps to its layers.
# SPDX-License-Identifier: ISC
set -u
export LC_ALL=C

objdir=
while getopts o: opt; do
	case $opt in
	o) objdir=$OPTARG ;;
	*) echo "usage: ci/layers.sh [-o OBJDIR] [LIBDIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
libdir=${1:-lib}
[ -d "$libdir" ] || { echo "layers.sh: $libdir: not a directory" >&2; exit 2; }
libdir=$(cd "$libdir" && pwd)
hacking=$libdir/../HACKING.md

order=$(sed -n 's/^layers: *//p' "$hacking" 2>/dev/null | head -n 1)
if [ -z "$order" ]; then
	echo "layers.sh: no 'layers:' line in $hacking" >&2
	exit 2
fi
# rank[layer]: 0 for the lowest; peers share a rank.
declare -A rank=()
r=0
for word in $order; do
	if [ "$word" = "<" ]; then r=$((r + 1)); else rank[$word]=$r; fi
done

bad=0
incedges=
say() { echo "$*"; bad=1; }

for f in "$libdir"/*.c "$libdir"/*.h; do
	[ -e "$f" ] && say "$f: not in a layer folder"
done
for d in "$libdir"/*/; do
	d=${d%/}; d=${d##*/}
	[ -n "${rank[$d]+x}" ] || say "$libdir/$d: a folder that is not a layer (HACKING.md's layers: line)"
done

# allowed FROM TO: a layer may use its own folder or any lower rank.
allowed() {
	[ "$1" = "$2" ] && return 0
	[ -n "${rank[$2]+x}" ] && [ -n "${rank[$1]+x}" ] && [ "${rank[$2]}" -lt "${rank[$1]}" ]
}

while IFS=: read -r file line inc; do
	layer=${file#"$libdir"/}; layer=${layer%%/*}
	inc=${inc#*\"}; inc=${inc%%\"*}
	case $inc in
	*/*/* | /* | ../* | */.. | */../*) say "$file:$line: includes \"$inc\": name LAYER/FILE.h"; continue ;;
	*/*) ;;
	*) say "$file:$line: includes \"$inc\": name it with its layer (LAYER/$inc)"; continue ;;
	esac
	to=${inc%%/*}
	from=${file#"$libdir"/}; from=${from%.*}
	[ "$from" = "${inc%.h}" ] || incedges+="$from ${inc%.h}"$'\n'
	if [ ! -f "$libdir/$inc" ]; then
		say "$file:$line: includes \"$inc\", which is not in $libdir"
	elif ! allowed "$layer" "$to"; then
		say "$file:$line: $layer includes $inc: $to is not below $layer"
	fi
done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$libdir"/*/*.[ch] 2>/dev/null)

# loops EDGES WHAT: the modules on each loop of the graph "from to" lines draw.
loops() {
	local l
	l=$(sort -u <<<"$1" | tsort 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: //' | awk '!seen[$0]++')
	[ -z "$l" ] || say "modules that need each other ($2), a loop through:" $l
}
loops "$incedges" "#include"

if [ -n "$objdir" ]; then
	# Only the objects of sources there now: a build dir may keep a removed module's.
	objs=$(cd "$objdir" 2>/dev/null && for o in */*.o; do
		[ -f "$libdir/${o%.o}.c" ] && echo "$o"; done)
	if [ -z "$objs" ]; then
		echo "layers.sh: no objects in $objdir" >&2
		exit 2
	fi
	# "D module symbol" for each definition, "U module symbol" for each use.
	syms=$(cd "$objdir" && for o in $objs; do
		nm "$o" | awk -v m="${o%.o}" '
			$1 == "U" { print "U", m, $2; next }
			NF == 3 && $2 ~ /^[TDBRVWC]$/ { print "D", m, $3 }'
	done)
	edges=$(awk '
		$1 == "D" { def[$3] = $2; next }
		{ use[NR] = $2 " " $3 }
		END { for (i in use) { split(use[i], u, " ")
			if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]], u[2] } }' <<<"$syms" | sort -u)
	while read -r from to sym; do
		[ -n "$from" ] || continue
		allowed "${from%%/*}" "${to%%/*}" ||
			say "$from.o uses $sym of $to.o: ${to%%/*} is not below ${from%%/*}"
	done <<<"$edges"
	loops "$(awk '{ print $1, $2 }' <<<"$edges")" "symbols"
	# A global name says where it lives: cp_MODULE... (x... for what may exit).
	while read -r kind mod sym; do
		[ "$kind" = D ] || continue
		case $sym in "cp_${mod##*/}"* | __* | .*) continue ;; esac
		case $mod/$sym in cli/*/x* | base/xalloc/x*) continue ;; esac
		say "$mod.o defines $sym: a library name is cp_${mod##*/}_... (x... only in cli/ and base/xalloc)"
	done <<<"$syms"
	forbidden=' exit _exit abort err errx warn warnx verr verrx vwarn vwarnx perror error printf vprintf puts putchar stdout stderr __printf_chk __vprintf_chk '
	while read -r kind mod sym; do
		[ "$kind" = U ] || continue
		case $mod in cli/* | base/xalloc) continue ;; esac
		case $forbidden in *" $sym "*) say "$mod.o uses $sym: only cli/ and base/xalloc may exit or print" ;; esac
	done <<<"$syms"
fi

exit $bad
