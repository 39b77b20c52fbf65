#!/usr/bin/env bats
# cp-merkle: the RFC 6962 vectors, the cp2 legacy vectors, every size up to 300
# against an independent Python reference, proofs that must not prove, malformed input.
# SPDX-License-Identifier: ISC

load helper

REF="$BATS_TEST_DIRNAME/data/cp-merkle/ref.py"

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# The eight vector leaves, as hex lines ("-" is the empty leaf).
vector_leaves() {
	awk '$1 == "leaf" { print ($2 == "-" ? "" : $2) }' "$DATA/merkle-rfc6962.txt"
}

# "a b c" or "-" -> the words one per line (nothing for "-").
words() {
	[ "$1" = - ] || tr ' ' '\n' <<<"$1"
}

# A proof object's path as the vector file writes it: space-separated, "-" when empty.
path_of() {
	jq -r 'if (.proof | length) == 0 then "-" else .proof | join(" ") end'
}

# jq: flip the low bit of a hash's first hex digit.
FLIP='def flip: . as $s | "0123456789abcdef" as $d | ($d | index($s[0:1])) as $v
	| (if $v % 2 == 0 then $v + 1 else $v - 1 end) as $w | $d[$w:$w + 1] + $s[1:];'

@test "every root of the RFC 6962 vectors" {
	vector_leaves > leaves
	[ "$(wc -l < leaves)" -eq 8 ]
	count=0
	while read -r _ n root; do
		run -0 bash -c "head -n $n leaves | cp-merkle --hex"
		[ "$output" = "$root" ]
		count=$((count + 1))
	done < <(grep '^root ' "$DATA/merkle-rfc6962.txt")
	[ "$count" -eq 9 ]
}

@test "every inclusion proof of the RFC 6962 vectors, and each verifies" {
	vector_leaves > leaves
	count=0
	while read -r _ index size path; do
		head -n "$size" leaves > tree
		cp-merkle proof --hex "$index" < tree > proof.json
		[ "$(path_of < proof.json)" = "$path" ]
		[ "$(jq -r .root proof.json)" = "$(cp-merkle --hex < tree)" ]
		run -0 cp-merkle verify-proof proof.json
		[ "$output" = "leaf $index of $size: OK" ]
		run -0 cp-merkle verify-proof --hex --leaf "$(sed -n "$((index + 1))p" tree)" \
		    --root "$(cp-merkle --hex < tree)" proof.json
		count=$((count + 1))
	done < <(grep '^inclusion ' "$DATA/merkle-rfc6962.txt")
	[ "$count" -eq 5 ]
}

@test "every consistency proof of the RFC 6962 vectors, and each verifies" {
	vector_leaves > leaves
	count=0
	while read -r _ old new path; do
		head -n "$new" leaves > tree
		cp-merkle consistency --hex "$old" < tree > proof.json
		[ "$(path_of < proof.json)" = "$path" ]
		[ "$(jq -r .old_root proof.json)" = "$(head -n "$old" tree | cp-merkle --hex)" ]
		run -0 cp-merkle verify-consistency proof.json
		[ "$output" = "size $old to $new: OK" ]
		count=$((count + 1))
	done < <(grep '^consistency ' "$DATA/merkle-rfc6962.txt")
	[ "$count" -eq 6 ]
}

@test "every legacy cp2 vector, and sha256sum lines give the same root as bare digests" {
	count=0
	while IFS= read -r line; do
		elems=${line#legacy }
		elems=${elems% => *}
		want=${line##* => }
		[ "$want" != - ] || want=
		if [ "$(words "$elems" | grep -cvE '^[0-9a-f]{64}$')" -eq 0 ]; then
			words "$elems" > digests
			run -0 cp-merkle --scheme cp2 digests
			[ "$output" = "$want" ]
			awk '{ printf "%s  file %d\n", $0, NR }' digests > sums
			run -0 cp-merkle --scheme cp2 sums
			[ "$output" = "$want" ]
			tr a-f A-F < digests > upper
			run -0 cp-merkle --scheme cp2 upper
			[ "$output" = "$want" ]
		else
			words "$elems" > texts
			run -0 cp-merkle --scheme cp2 --text texts
			[ "$output" = "$want" ]
		fi
		count=$((count + 1))
	done < <(grep '^legacy ' "$DATA/merkle-cp2-legacy.txt")
	[ "$count" -eq 8 ]
}

@test "cp2 agrees with the Python tools' algorithm for every count up to 40" {
	for i in $(seq 1 40); do printf '%s' "$i" | sha256sum | cut -c1-64; done > digests
	for n in $(seq 0 40); do
		[ "$(head -n "$n" digests | cp-merkle --scheme cp2)" = \
		  "$(head -n "$n" digests | python3 "$REF" cp2)" ]
	done
}

@test "sizes 0 to 140 (past 128): roots equal the recursive reference, and every proof matches and verifies" {
	python3 -c "
for i in range(140):
    print('' if i % 17 == 0 else ('%064x  file-%d.txt' % (i * 7919, i) if i % 3 else 'leaf %d' % i))
" > leaves
	python3 "$REF" roots 140 < leaves > roots.want
	python3 "$REF" proofs 140 < leaves > proofs.want
	python3 "$REF" consistency 140 < leaves > consistency.want
	for n in $(seq 0 140); do
		printf '%d %s\n' "$n" "$(head -n "$n" leaves | cp-merkle)"
	done > roots.got
	cmp roots.got roots.want
	for n in $(seq 1 140); do
		head -n "$n" leaves > tree
		cp-merkle proof $(seq 0 $((n - 1))) < tree >> proofs.got
		cp-merkle consistency $(seq 1 "$n") < tree >> consistency.got
	done
	cmp proofs.got proofs.want
	cmp consistency.got consistency.want
	[ "$(wc -l < proofs.got)" -eq 9870 ]
	run -0 cp-merkle verify-proof --json proofs.got
	[ "$(jq -s 'map(select(.verified)) | length' <<<"$output")" -eq 9870 ]
	run -0 cp-merkle verify-consistency --json consistency.got
	[ "$(jq -s 'map(select(.verified)) | length' <<<"$output")" -eq 9870 ]
}

@test "inclusion: a flipped bit, a wrong index or size, a truncated or extra element never proves" {
	seq 0 12 | sed 's/^/leaf /' > tree
	cp-merkle proof $(seq 0 12) < tree > good
	run -0 cp-merkle verify-proof -q good
	jq -c "$FLIP"'
		. as $p | ($p.proof | length) as $len
		| (range(0; $len) as $k | $p | .proof[$k] |= flip),
		  ($p | .leaf_hash |= flip),
		  ($p | .root |= flip),
		  (range(0; 13) as $j | select($j != $p.leaf_index) | $p | .leaf_index = $j),
		  ($p | .leaf_index = 13), ($p | .leaf_index = 1000),
		  ($p | .tree_size = 26), ($p | .tree_size = 6), ($p | .tree_size = 1),
		  ($p | .tree_size = $p.leaf_index), ($p | .tree_size = 0),
		  ($p | .proof |= .[:-1]), ($p | .proof |= .[1:]),
		  ($p | .proof += [$p.root]), ($p | .proof = [$p.root] + .proof),
		  ($p | .proof += ["0000000000000000000000000000000000000000000000000000000000000000"])
	' good > bad
	[ "$(wc -l < bad)" -eq 388 ]
	run --separate-stderr -1 cp-merkle verify-proof --json bad
	[ -z "$stderr" ]
	[ "$(jq -s 'length' <<<"$output")" -eq "$(wc -l < bad)" ]
	[ "$(jq -s 'map(select(.verified)) | length' <<<"$output")" -eq 0 ]
	# Each kind alone, too: the status is 1 for one bad proof among good ones.
	run -1 bash -c '{ cat good; sed -n 1p bad; cat good; } | cp-merkle verify-proof -q'
	run -1 bash -c 'cat good bad | cp-merkle verify-proof -q'
	[ -z "$output" ]
}

@test "inclusion: the leaf and root a verifier trusts are checked" {
	printf 'alpha\nbeta\ngamma\n' > tree
	cp-merkle proof 1 < tree > p
	root=$(cp-merkle < tree)
	run -0 cp-merkle verify-proof --leaf beta --root "$root" p
	run -0 cp-merkle verify-proof --hex --leaf "$(printf beta | od -An -tx1 | tr -d ' \n')" p
	run -0 cp-merkle verify-proof --leaf-hash "$(jq -r .leaf_hash p)" p
	run -1 cp-merkle verify-proof --leaf gamma p
	[ "$output" = "leaf 1 of 3: FAILED" ]
	run -1 cp-merkle verify-proof --root "$(printf 'alpha\nbeta\n' | cp-merkle)" p
	run -1 cp-merkle verify-proof --leaf-hash "$(jq -r .root p)" p
	# The trusted values take the place of the object's own: they need not be there.
	jq -c 'del(.leaf_hash, .root)' p > bare
	run -0 cp-merkle verify-proof --leaf beta --root "$root" bare
	run -2 cp-merkle verify-proof bare
}

@test "consistency: a flipped bit, swapped roots, wrong sizes, a truncated or extra element never prove" {
	seq 0 12 | sed 's/^/leaf /' > tree
	cp-merkle consistency $(seq 1 13) < tree > good
	run -0 cp-merkle verify-consistency -q good
	jq -c "$FLIP"'
		. as $p | ($p.proof | length) as $len
		| (range(0; $len) as $k | $p | .proof[$k] |= flip),
		  ($p | .old_root |= flip), ($p | .new_root |= flip),
		  (select($p.old_size < $p.new_size) | $p | .old_root = $p.new_root | .new_root = $p.old_root),
		  ($p | .old_size = 0),
		  ($p | .old_size = $p.new_size + 1),
		  ($p | .new_size = $p.old_size - 1),
		  ($p | .new_size = 26),
		  (select($len > 0) | $p | .proof |= .[:-1]),
		  (select($len > 0) | $p | .proof |= .[1:]),
		  ($p | .proof += [$p.new_root]),
		  ($p | .proof = [$p.old_root] + .proof)
	' good > bad
	[ "$(wc -l < bad)" -gt 100 ]
	run --separate-stderr -1 cp-merkle verify-consistency --json bad
	[ -z "$stderr" ]
	[ "$(jq -s 'length' <<<"$output")" -eq "$(wc -l < bad)" ]
	[ "$(jq -s 'map(select(.verified)) | length' <<<"$output")" -eq 0 ]
	run -1 cp-merkle verify-consistency --new-root "$(jq -r .old_root <<<"$(sed -n 5p good)")" good
	run -0 cp-merkle verify-consistency --new-root "$(cp-merkle < tree)" good
}

@test "malformed proofs are errors (2), with the file and line named" {
	cp-merkle proof 1 < <(printf 'a\nb\nc\n') > p
	h=$(jq -r .root p)
	cases=(
		'{"tree_size" 3}'
		'not json'
		'[1, 2]'
		'"a string"'
		"$(jq -c 'del(.root)' p)"
		"$(jq -c 'del(.proof)' p)"
		"$(jq -c '.proof = "x"' p)"
		"$(jq -c '.root = "zz" + .root[2:]' p)"
		"$(jq -c '.root = .root[1:]' p)"
		"$(jq -c '.root = .root + "0"' p)"
		"$(jq -c '.leaf_hash = 7' p)"
		"$(jq -c '.proof[0] = .proof[0][2:]' p)"
		"$(jq -c '.proof[0] = "g" + .proof[0][1:]' p)"
		"$(jq -c '.proof[1] = null' p)"
		"$(jq -c '.tree_size = -3' p)"
		"$(jq -c '.tree_size = 1.5' p)"
		"$(jq -c '.leaf_index = "1"' p)"
		"$(jq -c . p | sed 's/"tree_size":3/"tree_size":18446744073709551616/')"
		"$(jq -c '.root = .root[:10] + "\u0000" + .root[11:]' p)"
		'{"tree_size":3,"tree_size":3,"leaf_index":1,"leaf_hash":"'$h'","root":"'$h'","proof":[]}'
	)
	for c in "${cases[@]}"; do
		run --separate-stderr -2 cp-merkle verify-proof <<<"$c"
		[ -z "$output" ]
		[[ "$stderr" == "cp-merkle: -:1: "* ]]
	done
	run --separate-stderr -2 cp-merkle verify-proof <<<'{'
	[ "$stderr" = "cp-merkle: -:2: string or '}' expected near end of file" ]
	run --separate-stderr -2 cp-merkle verify-proof < /dev/null
	[ "$stderr" = "cp-merkle: no proof found" ]
	printf '\n\n%s\n' "$(jq -c 'del(.root)' p)" > f
	run --separate-stderr -2 cp-merkle verify-proof f
	[ "$stderr" = 'cp-merkle: f:3: "root" is missing' ]
	# A good proof, then garbage: the good one is still reported.
	{ cat p; echo '{"tree_size": }'; } > g
	run --separate-stderr -2 cp-merkle verify-proof g
	[ "$output" = "leaf 1 of 3: OK" ]
	[[ "$stderr" == "cp-merkle: g:2: "* ]]
	# One object too large to be a proof.
	python3 -c 'print("{\"tree_size\": 1, \"x\": \"" + "a" * 2000000 + "\"}")' > huge
	run --separate-stderr -2 cp-merkle verify-proof huge
	[ "$stderr" = "cp-merkle: huge:1: proof longer than 1048576 bytes" ]
	run -2 cp-merkle verify-consistency <<<'{"old_size":1,"new_size":2,"old_root":"'$h'","proof":[]}'
}

@test "proofs are read as a stream: pretty-printed, concatenated, from several files" {
	printf 'a\nb\nc\nd\ne\n' > tree
	cp-merkle proof 0 4 < tree | jq . > pretty
	[ "$(wc -l < pretty)" -gt 4 ]
	run -0 cp-merkle verify-proof pretty
	[ "${#lines[@]}" -eq 2 ]
	cp-merkle proof 2 < tree | tr -d '\n' > one
	run -0 bash -c 'cat one one | cp-merkle verify-proof'
	[ "${#lines[@]}" -eq 2 ]
	run -0 bash -c 'cp-merkle verify-proof pretty - one < one'
	[ "${#lines[@]}" -eq 4 ]
}

@test "the collision of the old scheme: [a,b,c] and [a,b,c,c] differ under rfc6962 only" {
	for x in a b c; do printf '%s' "$x" | sha256sum | cut -c1-64; done > abc
	{ cat abc; tail -n 1 abc; } > abcc
	[ "$(cp-merkle --scheme cp2 abc)" = "$(cp-merkle --scheme cp2 abcc)" ]
	[ "$(cp-merkle abc)" != "$(cp-merkle abcc)" ]
	[ "$(cp-merkle --hex abc)" != "$(cp-merkle --hex abcc)" ]
	printf 'a\nb\nc\n' > t3
	printf 'a\nb\nc\nc\n' > t4
	[ "$(cp-merkle --scheme cp2 --text t3)" = "$(cp-merkle --scheme cp2 --text t4)" ]
	[ "$(cp-merkle t3)" != "$(cp-merkle t4)" ]
}

@test "leaf data is the line's bytes: sha256sum lines, no final newline, CR and NUL kept" {
	printf 'x' > x
	sha256sum x > sums
	# Leaf = SHA-256(0x00 || line); one leaf is the root.
	want=$( { printf '\0'; printf '%s' "$(cat sums)"; } | sha256sum | cut -c1-64)
	[ "$(cp-merkle sums)" = "$want" ]
	[ "$(printf '%s' "$(cat sums)" | cp-merkle)" = "$want" ]
	want=$(printf '\0a\r' | sha256sum | cut -c1-64)
	[ "$(printf 'a\r\n' | cp-merkle)" = "$want" ]
	want=$(printf '\0a\0b' | sha256sum | cut -c1-64)
	[ "$(printf 'a\0b\n' | cp-merkle)" = "$want" ]
	# Two leaves: SHA-256(0x01 || leaf || leaf).
	want=$(python3 -c 'import hashlib; l = hashlib.sha256(b"\0").digest()
print(hashlib.sha256(b"\1" + l + l).hexdigest())')
	[ "$(printf '\n\n' | cp-merkle)" = "$want" ]
}

@test "standard input, - and operands agree; several files are one list of leaves" {
	printf 'one\ntwo\n' > a
	printf 'three\n' > b
	cat a b > ab
	r=$(cp-merkle < ab)
	[ "$(cp-merkle - < ab)" = "$r" ]
	[ "$(cp-merkle ab)" = "$r" ]
	[ "$(cp-merkle a b)" = "$r" ]
	[ "$(cp-merkle a - < b)" = "$r" ]
	run -2 bash -c 'cp-merkle - - < ab'
}

@test "empty input: the empty tree for rfc6962, an empty line for cp2" {
	run -0 cp-merkle < /dev/null
	[ "$output" = "$(sha256sum < /dev/null | cut -c1-64)" ]
	run -0 cp-merkle --scheme cp2 < /dev/null
	[ "${#lines[@]}" -eq 0 ]
	[ "$(cp-merkle --scheme cp2 < /dev/null | od -An -c | tr -d ' ')" = '\n' ]
	run -0 cp-merkle --json < /dev/null
	jq -e '.scheme == "rfc6962" and .tree_size == 0 and .root == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"' <<<"$output"
	run -0 cp-merkle --scheme cp2 --json < /dev/null
	jq -e '.scheme == "cp2" and .tree_size == 0 and .root == ""' <<<"$output"
	run -2 cp-merkle proof 0 < /dev/null
	run -2 cp-merkle consistency 1 < /dev/null
}

@test "--json: one object that jq reads, and a non-UTF-8 single cp2 element still parses" {
	seq 1 5 > t
	run -0 cp-merkle --json t
	jq -e --arg r "$(cp-merkle t)" '.tree_size == 5 and .root == $r' <<<"$output"
	run -0 bash -c "printf 'caf\\xe9\\n' | cp-merkle --scheme cp2 --text --json"
	jq -e '.root == "caf\ufffd"' <<<"$output"
}

@test "bad input lines are errors that name the file and line, with no root printed" {
	printf '00\nzz\n' > h
	run --separate-stderr -2 cp-merkle --hex h
	[ -z "$output" ]
	[ "$stderr" = "cp-merkle: h:2: not hex" ]
	printf 'abc\n' > odd
	run -2 cp-merkle --hex odd
	sha256sum /dev/null > s
	echo 'not a digest' >> s
	run --separate-stderr -2 cp-merkle --scheme cp2 s
	[ -z "$output" ]
	[ "$stderr" = "cp-merkle: s:2: not a SHA-256 digest or sha256sum line" ]
	run -2 cp-merkle --scheme cp2 <<<""
	head -c 1048577 /dev/zero | tr '\0' a > long
	printf '\nshort\n' >> long
	run --separate-stderr -2 cp-merkle long
	[ "$stderr" = "cp-merkle: long:1: line longer than 1048576 bytes" ]
	head -c 1048576 /dev/zero | tr '\0' a > fits
	run -0 cp-merkle fits
	head -c 4097 /dev/zero | tr '\0' a > elem
	run -2 cp-merkle --scheme cp2 --text elem
}

@test "a missing file: an error for a root, warned and skipped when verifying" {
	printf 'a\n' > a
	run --separate-stderr -2 cp-merkle a missing
	[ -z "$output" ]
	[ "$stderr" = "cp-merkle: missing: No such file or directory" ]
	cp-merkle proof 0 < a > p
	run --separate-stderr -2 cp-merkle verify-proof missing p
	[ "$output" = "leaf 0 of 1: OK" ]
	[ "$stderr" = "cp-merkle: missing: No such file or directory" ]
	mkdir d
	run -2 cp-merkle d
	run -2 cp-merkle verify-proof d
}

@test "out-of-range requests: index beyond the tree, old size 0 or beyond" {
	printf 'a\nb\n' > t
	run --separate-stderr -2 cp-merkle proof 2 < t
	[ -z "$output" ]
	[ "$stderr" = "cp-merkle: leaf index 2 is not below the tree size 2" ]
	run -2 cp-merkle consistency 0 < t
	run -2 cp-merkle consistency 3 < t
	run -0 cp-merkle consistency 2 < t
	jq -e '.proof == [] and .old_root == .new_root' <<<"$output"
	run --separate-stderr -2 cp-merkle consistency 3 < t
	[ "$stderr" = "cp-merkle: old size 3 is not between 1 and the tree size 2" ]
	# an operand that is not a number fails before standard input is read
	run --separate-stderr -2 cp-merkle proof 0 1x < t
	[ -z "$output" ]
	[ "$stderr" = "cp-merkle: invalid leaf index: 1x (0 to 18446744073709551615)" ]
	run --separate-stderr -2 cp-merkle consistency 18446744073709551616 < t
	[ "$stderr" = "cp-merkle: invalid old size: 18446744073709551616 (0 to 18446744073709551615)" ]
}

@test "bad usage exits 2 with a message on stderr" {
	run --separate-stderr -2 cp-merkle --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: cp-merkle"* ]]
	run --separate-stderr -2 cp-merkle --scheme sha1 < /dev/null
	[ "$stderr" = "cp-merkle: unknown scheme: sha1 (rfc6962 or cp2)" ]
	run -2 cp-merkle --text < /dev/null
	run -2 cp-merkle --scheme cp2 --hex < /dev/null
	run -2 cp-merkle proof < /dev/null
	run -2 cp-merkle proof x < /dev/null
	run -2 cp-merkle proof 1x < /dev/null
	run -2 cp-merkle proof ' 1' < /dev/null
	run -2 cp-merkle proof 18446744073709551616 < /dev/null
	run -2 cp-merkle consistency < /dev/null
	run -2 cp-merkle --scheme cp2 proof 0 < /dev/null
	run -2 cp-merkle proof --root 00 0 < /dev/null
	run -2 cp-merkle verify-proof --old-root 00 < /dev/null
	run -2 cp-merkle verify-proof --leaf a --leaf-hash 00 < /dev/null
	run -2 cp-merkle verify-proof --hex < /dev/null
	run -2 cp-merkle verify-proof --root 1234 < /dev/null
	run -2 cp-merkle verify-proof --hex --leaf xyz < /dev/null
	run -2 cp-merkle -q < /dev/null
}

@test "--help and --version go to stdout and exit 0" {
	run --separate-stderr -0 cp-merkle --help
	[[ "$output" == "usage: cp-merkle"* ]]
	[ -z "$stderr" ]
	run -0 cp-merkle --version
	[[ "$output" == "cp-merkle (Control Plane v2 in C) "* ]]
}

@test "a write error on stdout is reported and exits 2" {
	printf 'a\nb\n' > t
	run --separate-stderr -2 bash -c 'cp-merkle t > /dev/full'
	[ "$stderr" = "cp-merkle: write error: No space left on device" ]
	run -2 bash -c 'cp-merkle proof 0 < t > /dev/full'
	cp-merkle proof 0 < t > p
	run -2 bash -c 'cp-merkle verify-proof p > /dev/full'
}

@test "the root streams: memory does not grow with the number of leaves" {
	command -v /usr/bin/time > /dev/null || skip "no /usr/bin/time"
	python3 -c "
import sys
for i in range(300000): sys.stdout.write('%064x\n' % i)" > many
	# The sanitizer's quarantine of freed blocks would grow with the leaves, not the program.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0"
	small=$(/usr/bin/time -f %M cp-merkle --hex <(head -n 10 many) 2>&1 >/dev/null)
	large=$(/usr/bin/time -f %M cp-merkle --hex many 2>&1 >/dev/null)
	echo "peak RSS: $small KiB for 10 leaves, $large KiB for 300000" >&2
	[ "$large" -lt $((small + 2048)) ]
}
