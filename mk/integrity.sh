# mk/integrity.sh: sourced by mk/plane.sh for `integrity` and `manifest`.
#
# One pass over the plane: the control-plane registry's rows, the files they
# name (a directory stands for the files under it), one cp-hash run over all
# of them through the plane's hash cache (.cp/hash.cache), then awk joins the
# answers.  Work files live in $tmp:
#   rows     id TAB entity_type TAB artifact_path TAB content_hash
#   types    type TAB path          (stat of each artifact path that exists)
#   files    every regular file to hash, NUL-terminated, plane-relative
#   hashes   sha256sum lines of those files

manifest=$root/MANIFEST.json

# Values of "key": "value" in MANIFEST.json (ours or the Python tools').
manifest_value() {
	[ -f "$manifest" ] || return 0
	tr -d '\n' < "$manifest" | sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

collect() {
	[ -f "$reg_cp" ] || die "no control-plane registry: $reg_cp"
	cp-regrow -f "$reg_cp" --field id,entity_type,artifact_path,content_hash select > "$tmp/rows" ||
		die "cannot read $reg_cp"
	# Artifact paths: plane-relative with a leading "/", never leaving the plane.
	awk -F '\t' '$3 != "" {
		p = $3
		if (p !~ /^\// || ("/" p "/") ~ /\/\.\.?\//) { print $1 "\t" p > "/dev/stderr"; next }
		print substr(p, 2)
	}' "$tmp/rows" 2> "$tmp/unsafe" | tr '\n' '\0' > "$tmp/paths"
	if [ -s "$tmp/unsafe" ]; then
		while IFS=$'\t' read -r id p; do
			say "$id: artifact_path $p is not plane-relative: counted as missing"
		done < "$tmp/unsafe"
	fi
	(cd "$root" && xargs -0 -r stat -c '%F	%n' -- < "$tmp/paths" 2>/dev/null) > "$tmp/types" || true
	# Directories stand for the regular files under them.
	awk -F '\t' '$1 == "directory" { print $2 }' "$tmp/types" | tr '\n' '\0' > "$tmp/dirs"
	(cd "$root" && {
		awk -F '\t' '$1 == "regular file" || $1 == "regular empty file" { print $2 }' "$tmp/types" |
			tr '\n' '\0'
		xargs -0 -r sh -c 'find "$@" -type f -print0' find < "$tmp/dirs"
	}) | sort -z -u > "$tmp/files"
	local full=
	[ "${FULL:-}" != 1 ] || full=--full
	mkdir -p "$state"
	(cd "$root" && cp-hash -0 -T - --cache "$state/hash.cache" $full --stats < "$tmp/files") \
		> "$tmp/hashes" 2> "$tmp/stats" || { cat "$tmp/stats" >&2; die "hashing failed"; }
	hashed=$(sed -n 's/.* \([0-9]*\) hashed.*/\1/p' "$tmp/stats")
	cached=$(sed -n 's/.* \([0-9]*\) cached.*/\1/p' "$tmp/stats")
	# A directory's content hash: the cp2 root of its files' hashes, path
	# order.  One pass tags each file's hash with every registered directory
	# above it, a stable sort groups them (path order kept), the groups go to
	# dir/N one file open at a time, then one cp-merkle per directory.
	mkdir "$tmp/dir"
	tr '\0' '\n' < "$tmp/dirs" | awk '
	FILENAME == "-" { dir[$0] = ++n; next }
	{
		p = substr($0, 67)
		while (sub(/\/[^\/]*$/, "", p))
			if (p in dir) print dir[p] "\t" substr($0, 1, 64)
	}' - "$tmp/hashes" | sort -s -t "$(printf '\t')" -k 1,1n |
		awk -F '\t' -v out="$tmp/dir/" '$1 != last { if (last != "") close(out last); last = $1 }
			{ print $2 > (out $1) }'
	tr '\0' '\n' < "$tmp/dirs" | { n=0; while IFS= read -r d; do
		n=$((n + 1))
		[ -f "$tmp/dir/$n" ] || : > "$tmp/dir/$n"	# an empty directory: the empty root
		printf '%s\t%s\n' "$(cp-merkle --scheme cp2 < "$tmp/dir/$n")" "$d"
	done; } > "$tmp/dirhashes"
}

# The governed files no row names: candidates under the governed directories
# with an orphan suffix, minus registered files, files under registered
# directories, and the rows of child registries.
orphans() {
	local d reg
	: > "$tmp/candidates"
	for d in $governed; do
		[ -d "$root/$d" ] || continue
		(cd "$root" && find "$d" -type f -print) >> "$tmp/candidates"
	done
	: > "$tmp/children"
	awk -F '\t' '$2 == "registry" && $3 ~ /registry\.csv$/ && $3 !~ /\.\./ { print substr($3, 2) }' \
		"$tmp/rows" | while IFS= read -r reg; do
		[ "$root/$reg" != "$reg_cp" ] && [ -f "$root/$reg" ] || continue
		cp-regrow -f "$root/$reg" --field artifact_path select >> "$tmp/children" ||
			say "$reg: a child registry without artifact_path: its rows name nothing"
	done
	awk -v suffixes="$suffixes" '
	BEGIN { n = split(suffixes, suf, " ") }
	FILENAME == ARGV[1] { split($0, f, "\t"); if (f[3] != "") named[substr(f[3], 2)]; next }
	FILENAME == ARGV[2] { if ($0 != "") named[substr($0, 1 + ($0 ~ /^\//))]; next }
	{
		ok = 0
		for (i = 1; i <= n; i++)
			if (length($0) >= length(suf[i]) && substr($0, length($0) - length(suf[i]) + 1) == suf[i]) ok = 1
		if (!ok) next
		p = $0
		while (p != "") {
			if (p in named) next
			if (!sub(/\/[^\/]*$/, "", p)) break
		}
		print
	}' "$tmp/rows" "$tmp/children" "$tmp/candidates" | sort > "$tmp/orphans"
}

# The plane's Merkle root in SCHEME: rfc6962 over "<sha256>  <path>" of every
# registered file in path order; cp2 over the sorted content hashes.
merkle_root() {
	if [ "$1" = rfc6962 ]; then
		cp-merkle < "$tmp/hashes"
	else
		awk -F '\t' '$2 != "" && $4 != "" { print $2 }' "$tmp/results" | sort | cp-merkle --scheme cp2
	fi
}

# results: id TAB actual-hash-or-empty TAB status (valid invalid missing no_hash)
classify() {
	awk -F '\t' '
	FILENAME == ARGV[1] { types[$2] = $1; next }
	FILENAME == ARGV[2] { hash[substr($0, 67)] = substr($0, 1, 64); next }
	FILENAME == ARGV[3] { hash[$2] = $1; next }
	$3 == "" { next }
	{
		p = substr($3, 2); actual = ""
		if (!(p in types)) st = "missing"
		else {
			if (p in hash) actual = hash[p]
			if ($4 == "") st = "no_hash"
			else if (actual == $4) st = "valid"
			else st = "invalid"
		}
		print $1 "\t" actual "\t" st "\t" $4 "\t" $3
	}' "$tmp/types" "$tmp/hashes" "$tmp/dirhashes" "$tmp/rows" > "$tmp/results"
}

chain() {
	: > "$tmp/chain"
	[ -e "$root/ledger" ] || return 0
	local rc=0
	cp-ledger -C "$root" verify > "$tmp/chain.out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || grep -v '^NOT intact:' "$tmp/chain.out" > "$tmp/chain" || true
	[ "$rc" -ne 2 ] || [ -s "$tmp/chain" ] || echo "ledger unreadable" > "$tmp/chain"
}

do_integrity() {
	local scheme stored root_now
	collect
	classify
	orphans
	chain
	scheme=$(manifest_value merkle_scheme)
	stored=$(manifest_value merkle_root)
	case "$scheme" in
	'') scheme=cp2 ;;
	rfc6962|cp2) ;;
	*) die "MANIFEST.json: unknown merkle_scheme $scheme" ;;
	esac
	root_now=$(merkle_root "$scheme")
	awk -F '\t' -v ts="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" -v root="$root_now" \
	    -v scheme="$scheme" -v stored="$stored" -v strict="${STRICT:-}" -v json="${JSON:-}" \
	    -v hashed="${hashed:-0}" -v cached="${cached:-0}" -v manifest="$([ -f "$manifest" ] && echo 1)" '
	BEGIN { nv = ni = nm = nn = no = nc = 0 }	# numbers: "" would be a subscript of its own
	FILENAME == ARGV[1] {
		if ($3 == "valid") valid[nv++] = $1
		else if ($3 == "invalid") { inv_id[ni] = $1; inv_exp[ni] = $4; inv_act[ni++] = $2 }
		else if ($3 == "missing") { mis_id[nm] = $1; mis_path[nm++] = $5 }
		else nohash[nn++] = $1
		next
	}
	FILENAME == ARGV[2] { orph[no++] = $0; next }
	{ chainerr[nc++] = $0 }
	function list(a, n,    i, s) { s = "["; for (i = 0; i < n; i++) s = s (i ? "," : "") js(a[i]); return s "]" }
	END {
		match_ = (stored == "" ? "null" : (stored == root ? "true" : "false"))
		healthy = (ni == 0 && nm == 0 && nc == 0 && match_ != "false" && (strict != "1" || no == 0))
		if (json == "1") {
			printf "{\"timestamp\":%s,\"healthy\":%s,\"merkle_root\":%s,", js(ts), healthy ? "true" : "false", js(root)
			printf "\"verified_count\":%d,\"valid\":%s,\"invalid\":[", nv, list(valid, nv)
			for (i = 0; i < ni; i++)
				printf "%s{\"id\":%s,\"expected\":%s,\"actual\":%s}", i ? "," : "", js(inv_id[i]), js(inv_exp[i]), js(inv_act[i])
			printf "],\"missing\":["
			for (i = 0; i < nm; i++)
				printf "%s{\"id\":%s,\"path\":%s}", i ? "," : "", js(mis_id[i]), js(mis_path[i])
			printf "],\"no_hash\":%s,\"chain_errors\":%s,\"chain_error_count\":%d,", list(nohash, nn), list(chainerr, nc), nc
			printf "\"orphans\":%s,\"orphan_count\":%d,\"merkle_scheme\":%s,", list(orph, no), no, js(scheme)
			printf "\"manifest_root\":%s,\"merkle_root_matches\":%s,\"strict\":%s,\"hashed\":%d,\"cached\":%d}\n", \
				stored == "" ? "null" : js(stored), match_, strict == "1" ? "true" : "false", hashed, cached
		} else {
			printf "integrity: %s\n", healthy ? "HEALTHY" : "UNHEALTHY"
			printf "  valid %d, invalid %d, missing %d, no hash %d, orphans %d, chain errors %d\n", nv, ni, nm, nn, no, nc
			for (i = 0; i < ni; i++) printf "  invalid  %s: expected %s, actual %s\n", inv_id[i], inv_exp[i], inv_act[i] == "" ? "(not a file)" : inv_act[i]
			for (i = 0; i < nm; i++) printf "  missing  %s: %s\n", mis_id[i], mis_path[i]
			for (i = 0; i < no; i++) printf "  orphan   %s\n", orph[i]
			for (i = 0; i < nc; i++) printf "  ledger   %s\n", chainerr[i]
			printf "  merkle root (%s): %s", scheme, root == "" ? "(empty)" : root
			if (stored != "") printf ", MANIFEST.json %s", stored == root ? "matches" : "DIFFERS (" stored ")"
			else if (manifest == "1") printf ", MANIFEST.json holds no root"
			printf "\n  files hashed %d, from cache %d\n", hashed, cached
		}
		exit healthy ? 0 : 1
	}'"$AWK_JSON" "$tmp/results" "$tmp/orphans" "$tmp/chain"
}

# MANIFEST.json: checksums and sizes of every registered file, and their
# rfc6962 root.  Rewritten only when something in it changed.
do_manifest() {
	local root_now
	lock_plane
	collect
	root_now=$(merkle_root rfc6962)
	if [ "$(manifest_value merkle_root)" = "$root_now" ] &&
	    [ "$(manifest_value merkle_scheme)" = rfc6962 ]; then
		say "MANIFEST.json: up to date ($root_now)"
		return 0
	fi
	(cd "$root" && xargs -0 -r stat -c '%s	%n' -- < "$tmp/files") > "$tmp/sizes"
	awk -v ts="$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" -v root="$root_now" -v gen="cp-plane $(cp-hash --version | awk '{ print $NF; exit }')" '
	FILENAME == ARGV[1] { i = index($0, "\t"); size[substr($0, i + 1)] = substr($0, 1, i - 1); next }
	{ p = substr($0, 67); line[n++] = "    " js(p) ": {\"sha256\": \"" substr($0, 1, 64) "\", \"size\": " size[p] "}" }
	END {
		printf "{\n  \"version\": \"1\",\n  \"generated\": %s,\n  \"generator\": %s,\n  \"checksums\": {", js(ts), js(gen)
		for (i = 0; i < n; i++) printf "%s\n%s", i ? "," : "", line[i]
		printf "%s},\n  \"merkle_root\": %s,\n  \"merkle_scheme\": \"rfc6962\"\n}\n", n ? "\n  " : "", js(root)
	}'"$AWK_JSON" "$tmp/sizes" "$tmp/hashes" > "$tmp/manifest"
	install_file "$manifest" "$tmp/manifest"
	say "MANIFEST.json: $(wc -l < "$tmp/hashes") files, root $root_now"
}
