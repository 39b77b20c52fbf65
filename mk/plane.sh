#!/usr/bin/env bash
# mk/plane.sh: the steps behind the plane targets of mk/plane.mk, composed
# from the cp-* filters.  Make decides what needs doing; this script does one
# step, all or nothing, under the plane's lock.
#
#   plane.sh pack SRC ID     plane.sh install ID     plane.sh remove ID
#   plane.sh update ID       plane.sh manifest
#
# Environment: CP_ROOT (the plane, required), FORCE (1 to enable), and the
# cp-* programs on PATH.  `make integrity` runs cp-integrity(1) directly.
# Exit status: 0 done (or nothing to do), 1 refused or unhealthy, 2 error.

set -euo pipefail
export LC_ALL=C
# Packs are identified by their digest: no build-time mtime may leak in.
unset SOURCE_DATE_EPOCH

me=plane
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 2; }
say() { printf '%s: %s\n' "$me" "$*" >&2; }

[ -n "${CP_ROOT:-}" ] || die "CP_ROOT is not set"
[ -d "$CP_ROOT/registries" ] || die "$CP_ROOT is not a plane: no registries/ directory"
root=$(cd "$CP_ROOT" && pwd -P)
export CONTROL_PLANE_ROOT=$root
reg_pkg=$root/registries/packages_registry.csv
reg_cp=$root/registries/control_plane_registry.csv
state=$root/.cp
receipts=$root/installed

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cp-plane.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

# --- small pieces -----------------------------------------------------------

# JSON string of $1 (quotes included).
json_str() {
	awk -v s="$1" 'BEGIN { printf "%s", js(s) } '"$AWK_JSON"
}
AWK_JSON='
function js(s,    out, i, c) {
	if (!("\001" in ord)) for (i = 1; i < 32; i++) ord[sprintf("%c", i)] = i
	gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
	gsub(/\t/, "\\t", s); gsub(/\n/, "\\n", s); gsub(/\r/, "\\r", s)
	if (s ~ /[\001-\037]/) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			out = out (c in ord ? sprintf("\\u%04x", ord[c]) : c)
		}
		s = out
	}
	return "\"" s "\""
}'

lock_plane() {
	mkdir -p "$state"
	exec 9>>"$state/plane.lock"
	flock -w "${CP_LOCK_WAIT:-600}" 9 || die "the plane is locked by another step ($state/plane.lock)"
}

# The fields COLS (comma list) of row ID of registry FILE, tab-separated.
# Exit 1 when there is no such row.
row() {
	cp-regrow -f "$1" --field "$3" get "$2"
}

# Write $2 (a file of ours) to $1 atomically: same directory, fsync, rename.
install_file() {
	local dst=$1 src=$2 t
	t=$(mktemp "$(dirname "$dst")/.$(basename "$dst").XXXXXX")
	cat "$src" > "$t"
	chmod 0644 "$t"
	sync "$t" 2>/dev/null || true
	mv -f "$t" "$dst"
}

# The authorization decision for ACTION on package ID; sets user and provider.
# A denial has already been ledgered by cp-authz; exit with its status.
authorize() {
	local rc=0 out
	out=$(cp-authz --json --submission-id "$2" "$1") || rc=$?
	[ "$rc" -eq 0 ] || exit "$rc"
	user=$(printf '%s' "$out" | sed -n 's/.*"user":"\(\([^"\\]\|\\.\)*\)".*/\1/p')
	provider=$(printf '%s' "$out" | sed -n 's/.*"provider":"\([^"]*\)".*/\1/p')
}

# ledger EVENT ID DECISION REASON METADATA-MEMBERS (JSON text, without braces)
ledger() {
	local meta="$5"
	[ -z "$meta" ] || meta="$meta,"
	meta="$meta\"provider\":$(json_str "${provider:-}"),\"user\":\"${user:-}\""
	cp-ledger -C "$root" append -q --event-type "$1" --submission-id "$2" \
		--decision "$3" --reason "$4" --metadata "{$meta}"
}

# refuse EVENT ID STATUS REASON: ledger the refusal, say why, exit STATUS.
refuse() {
	ledger "$1" "$2" REFUSED "$4" "\"package_id\":$(json_str "$2")" || true
	say "$2: $4"
	exit "$3"
}

# A plane-relative path from the registry: no absolute path, no "..".
plane_rel() {
	case "/$1/" in
	*/../*|*/./*) return 1 ;;
	esac
	case "$1" in
	/*|'') return 1 ;;
	esac
}

# The destination directory of a package: output_type and output_path.
destination() {
	local type=$1 out=$2
	case "$type" in
	extension|'') printf '%s\n' "$root" ;;
	module)
		if [ -z "$out" ]; then
			printf '%s\n' "$root/modules"
		else
			out=${out#/}
			plane_rel "$out" || return 1
			printf '%s\n' "$root/$out"
		fi ;;
	external)
		[ -n "$out" ] || return 1
		out=$(expand_path "$out") || return 1
		case "$out" in /*) ;; *) return 1 ;; esac
		case "$out/" in "$root"/*) return 1 ;; esac
		printf '%s\n' "$out" ;;
	*) return 1 ;;
	esac
}

# ~, $VAR and ${VAR} expanded from the environment; an unset variable is an error.
expand_path() {
	awk -v p="$1" 'BEGIN {
		if (substr(p, 1, 1) == "~" && (length(p) == 1 || substr(p, 2, 1) == "/"))
			p = ENVIRON["HOME"] substr(p, 2)
		out = ""
		while (match(p, /\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/)) {
			name = substr(p, RSTART + 1, RLENGTH - 1)
			gsub(/[{}]/, "", name)
			if (!(name in ENVIRON) || ENVIRON[name] == "") exit 1
			out = out substr(p, 1, RSTART - 1) ENVIRON[name]
			p = substr(p, RSTART + RLENGTH)
		}
		if (index(p, "$")) exit 1
		print out p
	}'
}

sha_of() { cp-hash < "$1" | cut -c1-64; }

# The content hash of an artifact: a file's SHA-256, or for a directory the
# cp2 root of its files' SHA-256s in bytewise path order.
content_hash() {
	if [ -d "$1" ]; then
		(cd "$1" && find . -type f -print0 | sort -z | cp-hash -0 -T - | cut -c1-64 |
			cp-merkle --scheme cp2)
	else
		sha_of "$1"
	fi
}

# Record the artifact of an installed package in the control-plane registry.
register_artifact() {
	local id=$1 apath=$2 hash cpid
	[ -n "$apath" ] && [ -f "$reg_cp" ] || return 0
	hash=$(content_hash "$root$apath")
	cpid=$(cp-regrow -f "$reg_cp" --field id select "artifact_path=$apath" | head -n 1)
	if [ -n "$cpid" ]; then
		cp-regrow -i "$reg_cp" set "$cpid" "content_hash=$hash"
	else
		cp-regrow -i "$reg_cp" add "id=${id#PKG-}" "name=$name" "entity_type=${entity_type:-package}" \
			"artifact_path=$apath" status=active "output_type=$otype" "version=$version" \
			"owner=${user:-}" "created_at=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "content_hash=$hash"
	fi
}

unregister_artifact() {
	local apath=$1 cpid
	[ -n "$apath" ] && [ -f "$reg_cp" ] || return 0
	cp-regrow -f "$reg_cp" --field id select "artifact_path=$apath" | while IFS= read -r cpid; do
		cp-regrow -i "$reg_cp" del "$cpid"
	done
}

# The receipt's files as a JSON array of {"path","sha256"}.
files_json() {
	awk 'BEGIN { printf "[" }
	{ printf "%s{\"path\":%s,\"sha256\":\"%s\"}", (NR > 1 ? "," : ""), js(substr($0, 67)), substr($0, 1, 64) }
	END { printf "]" }'"$AWK_JSON" "$1"
}

# Are the receipt's files unchanged in DIR?  Prints the changed ones.
changed_files() {
	(cd "$2" && cp-hash -c --quiet "$1" 2>/dev/null | sed -n 's/: FAILED.*$//p') || true
}

# Remove the receipt's files from DIR, then the directories left empty.
remove_files() {
	local receipt=$1 dir=$2
	(cd "$dir" && cut -c67- "$receipt" | while IFS= read -r f; do
		rm -f -- "$f"
		d=$(dirname -- "$f")
		while [ "$d" != . ] && rmdir -- "$d" 2>/dev/null; do d=$(dirname -- "$d"); done
	done)
}

# A package id names files (packages_store/ID.tar.gz, installed/ID.*).
check_id() {
	[ -n "$1" ] || die "usage: $2"
	case "$1" in */*|.*) die "bad package id: $1" ;; esac
}

# cp-tar refused: show why, ledger it, exit 2.  The message is in $tmp/err.
tar_refused() {
	cat "$tmp/err" >&2
	refuse "$1" "$2" 2 "$3 refused: $(head -n 1 "$tmp/err" | sed 's/^cp-tar: //')"
}

# Load the package row ID into variables; exit 1 (ledgered) when absent.
load_package() {
	local event=$1 id=$2 line
	[ -f "$reg_pkg" ] || die "no packages registry: $reg_pkg"
	if ! line=$(row "$reg_pkg" "$id" name,version,entity_type,source,digest,output_type,output_path,artifact_path); then
		refuse "$event" "$id" 1 "no such package in $reg_pkg"
	fi
	# Tabs are whitespace to read: empty fields would merge.  \037 is not.
	IFS=$'\037' read -r name version entity_type source digest otype opath artifact_path \
		<<< "${line//$'\t'/$'\037'}"
}

# --- pack -------------------------------------------------------------------

do_pack() {
	local src=$1 id=$2 base rel archive sidecar new old srcabs
	[ -n "$src" ] || die "usage: make pack SRC=path ID=PKG-..."
	check_id "$id" "make pack SRC=path ID=PKG-..."
	lock_plane
	[ -f "$reg_pkg" ] || die "no packages registry: $reg_pkg"
	row "$reg_pkg" "$id" id > /dev/null || { say "$id: no such package in $reg_pkg"; exit 1; }
	authorize pack "$id"
	load_package package_pack "$id"
	[ -e "$src" ] || die "$src: no such file or directory"
	srcabs=$(cd "$(dirname -- "$src")" && printf '%s/%s' "$(pwd -P)" "$(basename -- "$src")")
	# Entries are stored relative to where install will put them back.
	case "$otype" in
	external)
		if [ -d "$srcabs" ]; then base=$srcabs; else base=$(dirname -- "$srcabs"); fi ;;
	*)
		base=$(destination "$otype" "$opath") || die "$id: bad output_type or output_path"
		case "$srcabs/" in
		"$base"/*) ;;
		*) die "$src: a $otype package packs files under $base" ;;
		esac ;;
	esac
	if [ "$srcabs" = "$base" ]; then
		rel=.
	else
		rel=${srcabs#"$base"/}
	fi
	if [ -d "$srcabs" ]; then
		# Symlinks and other non-files are listed too, so that cp-tar refuses them.
		(cd "$base" && find "$rel" ! -type d -print0 | sed -z 's|^\./||' | sort -z) > "$tmp/list"
	else
		printf '%s\0' "$rel" > "$tmp/list"
	fi
	[ -s "$tmp/list" ] || die "$src: no files to pack"
	mkdir -p "$root/packages_store"
	archive=$root/packages_store/$id.tar.gz
	sidecar=$archive.sha256
	cp-tar -c -0 -C "$base" < "$tmp/list" > "$tmp/archive"
	new=$(sha_of "$tmp/archive")
	old=$digest
	if [ "$old" = "$new" ] && [ "$source" = "packages_store/$id.tar.gz" ] && [ -f "$archive" ] &&
	    [ "$(sha_of "$archive")" = "$new" ]; then
		say "$id: up to date ($new)"
		return 0
	fi
	install_file "$archive" "$tmp/archive"
	printf '%s  %s\n' "$new" "$id.tar.gz" > "$tmp/sidecar"
	install_file "$sidecar" "$tmp/sidecar"
	cp-regrow -i "$reg_pkg" set "$id" "source=packages_store/$id.tar.gz" source_type=tar "digest=$new"
	tr '\0' '\n' < "$tmp/list" > "$tmp/listn"
	ledger package_pack "$id" PACK "packed $src" \
		"\"package_id\":$(json_str "$id"),\"source\":$(json_str "packages_store/$id.tar.gz"),\"before_hash\":\"$old\",\"after_hash\":\"$new\",\"files\":$(wc -l < "$tmp/listn")"
	printf '%s  %s\n' "$new" "packages_store/$id.tar.gz"
}

# --- install, update, remove --------------------------------------------------

# Check the archive of the loaded row against its digest and sidecar; sets archive.
check_archive() {
	local event=$1 id=$2 actual side
	[ -n "$digest" ] || refuse "$event" "$id" 1 "the registry row has no digest"
	plane_rel "$source" || refuse "$event" "$id" 2 "source is not a path inside the plane: $source"
	archive=$root/$source
	[ -f "$archive" ] || refuse "$event" "$id" 2 "no archive: $source"
	actual=$(sha_of "$archive")
	[ "$actual" = "$digest" ] ||
		refuse "$event" "$id" 1 "digest mismatch: registry $digest, archive $actual"
	if [ -f "$archive.sha256" ]; then
		side=$(head -c 64 "$archive.sha256")
		[ "$side" = "$digest" ] ||
			refuse "$event" "$id" 1 "sidecar mismatch: $source.sha256 holds $side, registry $digest"
	fi
}

do_install() {
	local id=$1 dest receipt info force=
	check_id "$id" "make install PKG=ID [FORCE=1]"
	lock_plane
	authorize install "$id"
	load_package package_install "$id"
	receipt=$receipts/$id.sha256
	info=$receipts/$id.info
	if [ -f "$info" ]; then
		if grep -qx "digest=$digest" "$info"; then
			say "$id: already installed ($digest)"
			return 0
		fi
		refuse package_install "$id" 1 "installed at another digest: use make update PKG=$id"
	fi
	check_archive package_install "$id"
	dest=$(destination "$otype" "$opath") ||
		refuse package_install "$id" 2 "bad output_type or output_path: '$otype' '$opath'"
	mkdir -p "$dest" "$receipts"
	[ "${FORCE:-}" != 1 ] || force=--force
	cp-tar -x "$dest" $force -f "$archive" > "$tmp/receipt" 2> "$tmp/err" ||
		tar_refused package_install "$id" extraction
	write_receipt "$id" "$dest"
	[ "$otype" = external ] || register_artifact "$id" "$artifact_path"
	ledger package_install "$id" INSTALL "installed $id into $(shown "$dest")" \
		"\"package_id\":$(json_str "$id"),\"digest\":\"$digest\",\"destination\":$(json_str "$dest"),\"output_type\":$(json_str "$otype"),\"files\":$(files_json "$receipt")"
	refresh_manifest
	say "$id: installed into $(shown "$dest") ($(wc -l < "$receipt") files)"
}

# A MANIFEST.json follows the governed actions: it states the plane as they left it.
refresh_manifest() {
	[ -f "$root/MANIFEST.json" ] || return 0
	do_manifest
}

# MANIFEST.json: checksums and sizes of every registered file and their
# rfc6962 root, rewritten (atomically) only when it no longer states the plane.
do_manifest() {
	lock_plane
	cp-integrity -C "$root" --cache "$state/hash.cache" --write-manifest
}

shown() { case "$1" in "$root") printf . ;; "$root"/*) printf '%s' "${1#"$root"/}" ;; *) printf '%s' "$1" ;; esac; }

write_receipt() {
	local id=$1 dest=$2
	install_file "$receipts/$id.sha256" "$tmp/receipt"
	# In-plane destinations are kept plane-relative, so that the plane can move.
	printf 'package=%s\ndigest=%s\ndestination=%s\noutput_type=%s\n' \
		"$id" "$digest" "$(shown "$dest")" "$otype" > "$tmp/info"
	install_file "$receipts/$id.info" "$tmp/info"
}

# The installed state of ID: sets receipt, dest, old_digest; exit 1 if not installed.
load_receipt() {
	local event=$1 id=$2
	receipt=$receipts/$id.sha256
	[ -f "$receipts/$id.info" ] && [ -f "$receipt" ] ||
		refuse "$event" "$id" 1 "not installed (no receipt in installed/)"
	dest=$(sed -n 's/^destination=//p' "$receipts/$id.info")
	case "$dest" in
	/*) ;;
	.) dest=$root ;;
	*) plane_rel "$dest" || refuse "$event" "$id" 2 "bad destination in the receipt: $dest"
	   dest=$root/$dest ;;
	esac
	old_digest=$(sed -n 's/^digest=//p' "$receipts/$id.info")
	[ -d "$dest" ] || refuse "$event" "$id" 2 "destination $dest of the receipt is not a directory"
}

do_remove() {
	local id=$1 receipt dest old_digest changed
	check_id "$id" "make remove PKG=ID [FORCE=1]"
	lock_plane
	authorize remove "$id"
	load_package package_remove "$id"
	load_receipt package_remove "$id"
	changed=$(changed_files "$receipt" "$dest")
	if [ -n "$changed" ] && [ "${FORCE:-}" != 1 ]; then
		refuse package_remove "$id" 1 "files changed since install: $(echo $changed)"
	fi
	cp "$receipt" "$tmp/receipt"
	remove_files "$receipt" "$dest"
	rm -f "$receipts/$id.sha256" "$receipts/$id.info"
	[ "$otype" = external ] || unregister_artifact "$artifact_path"
	ledger package_remove "$id" REMOVE "removed $id from $(shown "$dest")" \
		"\"package_id\":$(json_str "$id"),\"digest\":\"$old_digest\",\"destination\":$(json_str "$dest"),\"files\":$(files_json "$tmp/receipt")"
	refresh_manifest
	say "$id: removed ($(wc -l < "$tmp/receipt") files)"
}

do_update() {
	local id=$1 receipt dest old_digest changed newdest
	check_id "$id" "make update PKG=ID [FORCE=1]"
	lock_plane
	authorize update "$id"
	load_package package_update "$id"
	load_receipt package_update "$id"
	if [ "$old_digest" = "$digest" ]; then
		say "$id: up to date ($digest)"
		return 0
	fi
	check_archive package_update "$id"
	newdest=$(destination "$otype" "$opath") ||
		refuse package_update "$id" 2 "bad output_type or output_path: '$otype' '$opath'"
	[ "$newdest" = "$dest" ] ||
		refuse package_update "$id" 1 "the destination moved ($dest -> $newdest): remove, then install"
	cp-tar -t --check -f "$archive" > "$tmp/listing" 2> "$tmp/err" ||
		tar_refused package_update "$id" archive
	# A file changed since install is a conflict, unless it already holds the
	# new version's bytes (an extension packed from where it is installed).
	changed=$(changed_files "$receipt" "$dest" | while IFS= read -r f; do
		want=$(awk -v f="$f" '$1 == "file" {
			p = $0; for (i = 1; i <= 4; i++) sub(/^[^ ]+ /, "", p)
			if (p == f) print $4 }' "$tmp/listing")
		[ -n "$want" ] && [ -f "$dest/$f" ] && [ "$(sha_of "$dest/$f")" = "$want" ] ||
			printf '%s\n' "$f"
	done)
	if [ -n "$changed" ] && [ "${FORCE:-}" != 1 ]; then
		refuse package_update "$id" 1 "files changed since install: $(echo $changed)"
	fi
	cp-tar -x "$dest" --force -f "$archive" > "$tmp/receipt" 2> "$tmp/err" ||
		tar_refused package_update "$id" extraction
	# Files of the old version that the new one no longer holds.
	cut -c67- "$tmp/receipt" | sort > "$tmp/new"
	cut -c67- "$receipt" | sort | comm -23 - "$tmp/new" > "$tmp/gone"
	awk 'NR == FNR { gone[$0]; next } substr($0, 67) in gone' "$tmp/gone" "$receipt" > "$tmp/gone.sha256"
	[ ! -s "$tmp/gone" ] || remove_files "$tmp/gone.sha256" "$dest"
	write_receipt "$id" "$dest"
	[ "$otype" = external ] || register_artifact "$id" "$artifact_path"
	ledger package_update "$id" UPDATE "updated $id in $(shown "$dest")" \
		"\"package_id\":$(json_str "$id"),\"before_hash\":\"$old_digest\",\"after_hash\":\"$digest\",\"destination\":$(json_str "$dest"),\"files\":$(files_json "$receipts/$id.sha256")"
	refresh_manifest
	say "$id: updated $old_digest -> $digest"
}

case "${1:-}" in
pack) do_pack "${2:-}" "${3:-}" ;;
install) do_install "${2:-}" ;;
remove) do_remove "${2:-}" ;;
update) do_update "${2:-}" ;;
manifest) do_manifest ;;
*) die "usage: plane.sh pack SRC ID | install ID | remove ID | update ID | manifest" ;;
esac
