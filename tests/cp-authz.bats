#!/usr/bin/env bats
# cp-authz: HMAC and token vectors, providers, the role matrix, token shapes,
# secrets (init, token, where they may live), denials in the ledger, errors.
# SPDX-License-Identifier: ISC

load helper

SECRET=s3cret-of-16-bytes-or-more

setup() {
	cd "$BATS_TEST_TMPDIR"
	export HOME=$BATS_TEST_TMPDIR/home
	export USER=tester
	unset CONTROL_PLANE_ROOT CONTROL_PLANE_TOKEN CONTROL_PLANE_AUTH_PROVIDER \
		CONTROL_PLANE_SHARED_SECRET CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ALLOW_PASSTHROUGH
	mkdir -p home plane/registries plane/ledger
	PLANE=$BATS_TEST_TMPDIR/plane
}

# unhex HEX: the bytes HEX spells.
unhex() {
	printf '%b' "$(sed 's/../\\x&/g' <<<"$1")"
}

# mac KEY USER: lowercase hex HMAC-SHA256(KEY, USER), by openssl, not by the code under test.
mac() {
	printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | awk '{ print $NF }'
}

tok() { # USER [SECRET]
	printf '%s:%s' "$1" "$(mac "${2:-$SECRET}" "$1")"
}

# An hmac plane: pinned in plane.conf, the test roles, the secret in ~/.control_plane_v2.
hmac_plane() {
	echo 'CONTROL_PLANE_AUTH_PROVIDER=hmac' > plane/registries/plane.conf
	cp "$DATA/cp-authz/roles.csv" plane/registries/roles.csv
	mkdir -p home/.control_plane_v2
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' "$SECRET" > home/.control_plane_v2/secrets.env
	chmod 600 home/.control_plane_v2/secrets.env
}

# The actions ROLE grants according to the copied design table.
table_grants() {
	awk -v r="$1" '$1 == r { $1 = ""; print }' "$DATA/cp-authz/matrix.txt"
}

ACTIONS="create install update remove pack verify hash_update checkpoint rollback"

@test "HMAC-SHA256 against RFC 4231 (test cases 1-4, 6, 7)" {
	n=0
	while read -r key data want; do
		case $key in '#'*|'') continue ;; esac
		run -0 bash -c 'unhex() { printf "%b" "$(sed "s/../\\\\x&/g" <<<"$1")"; }
			CONTROL_PLANE_SHARED_SECRET=$(unhex "$1") cp-authz mac < <(unhex "$2")' _ "$key" "$data"
		[ "$output" = "$want" ]
		n=$((n + 1))
	done < "$DATA/hmac-sha256-rfc4231.txt"
	[ "$n" -eq 6 ]
}

@test "tokens of the Python tools (tokens-cp2.txt), and the empty user's MAC" {
	n=0
	while read -r secret user token; do
		case $secret in '#'*|'') continue ;; esac
		if [ "$user" = - ]; then
			run -0 env CONTROL_PLANE_SHARED_SECRET="$secret" cp-authz mac < /dev/null
			[ ":$output" = "$token" ]
		else
			run -0 env CONTROL_PLANE_SHARED_SECRET="$secret" cp-authz token "$user"
			[ "$output" = "$token" ]
			# and openssl agrees, so the helper tok() is a sound oracle
			[ "$(tok "$user" "$secret")" = "$token" ]
		fi
		n=$((n + 1))
	done < "$DATA/tokens-cp2.txt"
	[ "$n" -eq 4 ]
}

@test "the role matrix: 4 roles x 9 actions, two roles, no roles, an unknown role" {
	hmac_plane
	for user in ada mia audra rex duo none odd; do
		case $user in
		ada) want=$(table_grants admin) ;;
		mia) want=$(table_grants maintainer) ;;
		audra) want=$(table_grants auditor) ;;
		rex) want=$(table_grants reader) ;;
		duo) want="$(table_grants auditor) $(table_grants maintainer)" ;;
		none|odd) want="" ;;
		esac
		for action in $ACTIONS; do
			run --separate-stderr cp-authz -C plane --token "$(tok "$user")" "$action"
			no_signal
			if [[ " $want " == *" $action "* ]]; then
				[ "$status" -eq 0 ] || { echo "$user $action: $status, want 0"; false; }
			else
				[ "$status" -eq 1 ] || { echo "$user $action: $status, want 1"; false; }
			fi
		done
	done
	# denials: mia 3, audra 8, rex 8, duo 3, none 9, odd 9
	[ "$(wc -l < plane/ledger/governance.jsonl)" -eq 40 ]
}

@test "--json: the decision's keys, roles from a quoted CSV list, never the token" {
	hmac_plane
	t=$(tok duo)
	run --separate-stderr -0 cp-authz -C plane --json --token "$t" install
	jq -e '.user == "duo" and .roles == ["auditor", "maintainer"] and .provider == "hmac"
		and .provider_chosen_by == "plane" and .action == "install" and .allowed == true
		and .reason == null and .ledgered == false and .issuer == null
		and (keys | length) == 9' <<<"$output"
	[[ "$output" != *"${t#*:}"* ]]
	[ -z "$stderr" ]
	run -0 cp-authz -C plane --json --token "$(tok 'we,ird')" verify
	jq -e '.user == "we,ird" and .roles == ["reader"]' <<<"$output"
	run -1 cp-authz -C plane --json --token "$(tok duo)" create
	jq -e '.allowed == false and (.reason | length > 0) and .ledgered == true' <<<"$output"
	run -1 cp-authz -C plane --token "$(tok duo)" create
	[[ "$output" == "denied: user duo, roles auditor,maintainer, action create, provider hmac: "* ]]
	run -0 cp-authz -C plane --token "$(tok mia)" pack
	[ "$output" = "allowed: user mia, roles maintainer, action pack, provider hmac" ]
	run -0 cp-authz -C plane -q --token "$(tok mia)" pack
	[ -z "$output" ]
}

@test "an unknown role grants nothing, and says so on stderr" {
	hmac_plane
	run --separate-stderr -1 cp-authz -C plane --token "$(tok odd)" verify
	[[ "$stderr" == *"unknown role 'superuser'"* ]]
}

@test "malformed tokens are denied (1), never a crash" {
	hmac_plane
	good=$(tok mia)
	macpart=${good#*:}
	upper=$(tr a-f A-F <<<"$macpart")
	long=$(head -c 300 /dev/zero | tr '\0' a)
	for t in \
		"mia$macpart" \
		"mia:${upper}" \
		"mia:${macpart:0:63}" \
		"mia:${macpart}0" \
		"mia:${macpart:0:63}g" \
		"mia:" \
		":$macpart" \
		":" \
		"$long:$(mac "$SECRET" "$long")" \
		" mia:$(mac "$SECRET" " mia")" \
		"$(printf 'mi\x01a'):$(mac "$SECRET" "$(printf 'mi\x01a')")" \
		"$(printf 'mi\xc3'):$(mac "$SECRET" "$(printf 'mi\xc3')")" \
		"mia:$macpart:extra" \
		"$(head -c 100000 /dev/zero | tr '\0' x)"; do
		run --separate-stderr cp-authz -C plane --json --token "$t" verify
		no_signal
		[ "$status" -eq 1 ] || { echo "token <$t>: status $status"; false; }
		jq -e '.allowed == false and .user == null and (.reason | startswith("invalid token"))' <<<"$output"
	done
	# names the Python tools took (spaces, non-ASCII) authenticate when the roles file names them
	printf 'mi a,admin\r\n%s,reader\r\n' "$(printf 'mi\xc3\xa4')" >> plane/registries/roles.csv
	run -0 cp-authz -C plane --json --token "mi a:$(mac "$SECRET" "mi a")" create
	jq -e '.user == "mi a" and .roles == ["admin"] and .allowed' <<<"$output"
	run -0 cp-authz -C plane --json --token "$(printf 'mi\xc3\xa4'):$(mac "$SECRET" "$(printf 'mi\xc3\xa4')")" verify
	jq -e '.user == "miä" and .roles == ["reader"]' <<<"$output"
	# action names as the Python tools matched them
	run -0 cp-authz -C plane --token "mi a:$(mac "$SECRET" "mi a")" INSTALL
	# a NUL byte can only come through a file
	{ printf 'mia'; printf '\0'; printf ':%s\n' "$macpart"; } > nul.tok
	run -1 cp-authz -C plane --json --token-file nul.tok verify
	jq -e '.reason == "invalid token: NUL byte"' <<<"$output"
	# the empty user of the vectors has a right MAC, and is still no user
	run -1 cp-authz -C plane --json --token ":$(mac "$SECRET" '')" verify
	jq -e '.reason == "invalid token: empty user"' <<<"$output"
}

@test "wrong secret, a MAC for another user, no token: denied (1)" {
	hmac_plane
	run -1 cp-authz -C plane --json --token "$(tok mia wrong-secret)" verify
	jq -e '.reason | test("does not match")' <<<"$output"
	run -1 cp-authz -C plane --token "mia:$(mac "$SECRET" ada)" verify
	run -1 cp-authz -C plane --json verify
	jq -e '.reason == "no token" and .user == null' <<<"$output"
	CONTROL_PLANE_TOKEN= run -1 cp-authz -C plane verify
	: > empty.tok
	run -1 cp-authz -C plane --token-file empty.tok verify
}

@test "the token from each source: --token, CONTROL_PLANE_TOKEN, --token-file FILE and -" {
	hmac_plane
	t=$(tok mia)
	run -0 cp-authz -C plane --token "$t" install
	CONTROL_PLANE_TOKEN=$t run -0 cp-authz -C plane install
	printf '%s\n' "$t" > mia.tok
	run -0 cp-authz -C plane --token-file mia.tok install
	printf '%s\r\n' "$t" > crlf.tok
	run -0 cp-authz -C plane --token-file crlf.tok install
	run -0 cp-authz -C plane --token-file - install <<<"$t"
	# an explicit option beats the environment
	CONTROL_PLANE_TOKEN=$(tok ada) run -0 cp-authz -C plane --json --token-file mia.tok install
	jq -e '.user == "mia"' <<<"$output"
	# a token file is one line
	printf '%s\n%s\n' "$t" "$t" > two.tok
	run -1 cp-authz -C plane --token-file two.tok install
	run --separate-stderr -2 cp-authz -C plane --token-file missing.tok install
	[[ "$stderr" == "cp-authz: missing.tok: No such file or directory" ]]
}

@test "a denial is ledgered with user, action and reason; no token or secret anywhere" {
	hmac_plane
	t=$(tok rex)
	run --separate-stderr -1 cp-authz -C plane --token "$t" --submission-id SUB-1 install
	printf '%s\n%s\n' "$output" "$stderr" > outputs
	run -1 cp-authz -C plane --token "rex:$(mac other rex)" pack
	printf '%s\n' "$output" >> outputs
	run -1 cp-authz -C plane pack
	[ "$(wc -l < plane/ledger/governance.jsonl)" -eq 3 ]
	first=$(head -n 1 plane/ledger/governance.jsonl)
	jq -e '.event_type == "authz_denied" and .decision == "DENIED" and .submission_id == "SUB-1"
		and .metadata.user == "rex" and .metadata.action == "install"
		and .metadata.roles == ["reader"] and .metadata.provider == "hmac"
		and (.metadata.reason | length > 0) and .reason == .metadata.reason' <<<"$first"
	second=$(sed -n 2p plane/ledger/governance.jsonl)
	jq -e '.metadata.user == "rex" and .metadata.authenticated == false
		and (.metadata.reason | test("does not match"))' <<<"$second"
	jq -e '.metadata.user == null and .metadata.reason == "no token"' < <(tail -n 1 plane/ledger/governance.jsonl)
	run -1 grep -rF -e "${t#*:}" -e "$(mac other rex)" -e "$SECRET" plane outputs
	# the chain cp-ledger keeps: each entry points at the one before
	prev=$(jq -r .entry_hash < <(head -n 1 plane/ledger/governance.jsonl))
	[ "$(jq -r .previous_hash < <(sed -n 2p plane/ledger/governance.jsonl))" = "$prev" ]
	# cp-ledger reads the chain back intact (its own suite checks entry_hash against Python's
	# json.dumps); jq sees the fields in the order of design.md section 5
	run -0 cp-ledger -C plane verify --json
	jq -e '.intact == true and .entries == 3 and .problems == 0' <<<"$output"
	run -0 jq -sce 'map(keys_unsorted == ["event_type", "submission_id", "decision", "reason",
		"prompts_used", "metadata", "id", "timestamp", "previous_hash", "entry_hash"]) | all' \
		plane/ledger/governance.jsonl
}

@test "denials join the chain other tools write; cp-ledger verify and jq read them back" {
	hmac_plane
	cp-ledger -C plane append -q --event-type package_install --submission-id PKG-A \
		--decision APPROVED --reason installed
	run -1 cp-authz -C plane --json --token "$(tok audra)" --submission-id PKG-B install
	jq -e '.allowed == false and .ledgered == true' <<<"$output"
	cp-ledger -C plane append -q --event-type package_pack --submission-id PKG-C \
		--decision APPROVED --reason packed
	run -1 cp-authz -C plane --token "$(tok nobody)" remove
	run -0 cp-ledger -C plane verify
	run -0 cp-ledger -C plane cat
	[ "${#lines[@]}" -eq 4 ]
	jq -se 'map(.event_type) == ["package_install", "authz_denied", "package_pack", "authz_denied"]
		and (.[1] | .submission_id == "PKG-B" and .metadata.user == "audra"
			and .metadata.roles == ["auditor"] and .metadata.action == "install"
			and .metadata.authenticated == true and .metadata.provider_chosen_by == "plane")
		and (.[3] | .submission_id == "" and .metadata.user == "nobody"
			and .metadata.roles == [] and .reason == "the user holds no role")
		and all(.[]; .previous_hash != null)' <<<"$output"
	# a misconfiguration and an allowed decision ledger nothing
	run -0 cp-authz -C plane --token "$(tok ada)" create
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run -2 cp-authz -C plane create
	[ "$(wc -l < plane/ledger/governance.jsonl)" -eq 4 ]
}

@test "a denial that cannot be ledgered is still denied, loudly (2)" {
	hmac_plane
	# the ledger is not a directory
	rmdir plane/ledger
	echo 'not a ledger' > plane/ledger
	run --separate-stderr -2 cp-authz -C plane --json --token "$(tok rex)" install
	jq -e '.allowed == false and .ledgered == false and .user == "rex"' <<<"$output"
	[[ "$stderr" == "cp-authz: cannot ledger the denial (still denied): "* ]]
	[ "$(cat plane/ledger)" = 'not a ledger' ]
	run --separate-stderr -2 cp-authz -C plane --token "$(tok rex)" install
	[[ "$output" == "denied: user rex, roles reader, action install, provider hmac: "* ]]
	# allowed decisions do not touch the ledger, so they go on
	run -0 cp-authz -C plane --token "$(tok rex)" verify
	# a torn last line (a crash mid-append) is left for cp-ledger repair, never overwritten
	rm plane/ledger && mkdir plane/ledger
	run -1 cp-authz -C plane --token "$(tok rex)" install
	printf '{"event_type": "torn' >> plane/ledger/governance.jsonl
	before=$(sha256sum < plane/ledger/governance.jsonl)
	run --separate-stderr -2 cp-authz -C plane -q --token "$(tok rex)" install
	[ -z "$output" ]
	[[ "$stderr" == "cp-authz: cannot ledger the denial (still denied): "* ]]
	[ "$(sha256sum < plane/ledger/governance.jsonl)" = "$before" ]
	run -0 cp-ledger -C plane repair
	run -1 cp-authz -C plane --token "$(tok rex)" install
	run -0 cp-ledger -C plane verify
}

@test "an allowed decision is not ledgered by cp-authz" {
	hmac_plane
	run -0 cp-authz -C plane --token "$(tok ada)" create
	[ ! -s plane/ledger/governance.jsonl ]
}

@test "no provider configured means hmac (fail closed); passthrough only when allowed, loud every time" {
	# nothing pinned, nothing in the environment: hmac, which needs a secret
	unset CONTROL_PLANE_SHARED_SECRET
	run --separate-stderr -2 cp-authz -C plane --json create
	[[ "$stderr" == *"secret"* ]]
	# a secret but no roles file (a plane the Python tools built): the error names the step
	CONTROL_PLANE_SHARED_SECRET=0123456789abcdef0123 run --separate-stderr -2 cp-authz -C plane --token x create
	[[ "$stderr" == *"registries/roles.csv: no roles file"*"cp-plane adopt --admin USER"* ]]
	# passthrough from the environment alone is refused, naming the switch
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -2 cp-authz -C plane create
	[[ "$stderr" == *"CONTROL_PLANE_ALLOW_PASSTHROUGH=1"* ]]
	[ -z "$output" ]
	export CONTROL_PLANE_ALLOW_PASSTHROUGH=1
	for i in 1 2; do
		CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -0 cp-authz -C plane --json create
		[[ "$stderr" == *"warning: auth provider passthrough (set by the environment)"* ]]
		jq -e '.user == "tester" and .roles == ["admin"] and .provider == "passthrough"
			and .provider_chosen_by == "environment" and .allowed == true' <<<"$output"
	done
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -0 cp-authz -C plane hash_update
	[ "$output" = "allowed: user tester, roles admin, action hash_update, provider passthrough" ]
	USER=$'bad\nname' CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -0 cp-authz -C plane --json verify
	jq -e '.user == "dev"' <<<"$output"
	# ALLOW_PASSTHROUGH only allows: it selects nothing by itself
	run --separate-stderr -2 cp-authz -C plane create
	# the plane's own configuration may ask for passthrough
	unset CONTROL_PLANE_ALLOW_PASSTHROUGH
	printf 'CONTROL_PLANE_AUTH_PROVIDER=passthrough\n' > plane/registries/plane.conf
	run --separate-stderr -0 cp-authz -C plane --json create
	[[ "$stderr" == *"warning: auth provider passthrough (set by the plane)"* ]]
}

@test "provider choice: unknown names are errors; a pinned provider cannot be downgraded" {
	CONTROL_PLANE_AUTH_PROVIDER=hmca run --separate-stderr -2 cp-authz -C plane verify
	[[ "$stderr" == *"unknown auth provider 'hmca'"* ]]
	[ -z "$output" ]
	echo 'CONTROL_PLANE_AUTH_PROVIDER=ldap' > plane/registries/plane.conf
	run --separate-stderr -2 cp-authz -C plane verify
	[ "$stderr" = "cp-authz: plane/registries/plane.conf:1: unknown auth provider 'ldap' (known: passthrough, hmac, oidc)" ]
	# Without -C the plane is ".", and the file is named as it always was.
	(cd plane && run --separate-stderr -2 cp-authz verify &&
		[ "$stderr" = "cp-authz: ./registries/plane.conf:1: unknown auth provider 'ldap' (known: passthrough, hmac, oidc)" ])
	hmac_plane
	CONTROL_PLANE_AUTH_PROVIDER=passthrough run --separate-stderr -2 cp-authz -C plane --token x create
	[[ "$stderr" == *"the plane pins auth provider hmac"*"cannot select another"* ]]
	[ -z "$output" ]
	CONTROL_PLANE_AUTH_PROVIDER=hmac run -0 cp-authz -C plane --token "$(tok ada)" create
	printf '# pinned\nexport CONTROL_PLANE_AUTH_PROVIDER="passthrough"\n' > plane/registries/plane.conf
	CONTROL_PLANE_AUTH_PROVIDER=hmac run --separate-stderr -2 cp-authz -C plane create
	[[ "$stderr" == *"the plane pins auth provider passthrough"* ]]
	# no fallback: an environment choice with no plane pin works
	rm plane/registries/plane.conf
	CONTROL_PLANE_AUTH_PROVIDER=hmac run -0 cp-authz -C plane --json --token "$(tok ada)" create
	jq -e '.provider_chosen_by == "environment"' <<<"$output"
}

@test "plane.conf: the committed one pins hmac; hostile ones are errors (2)" {
	hmac_plane
	# this repository's own plane.conf, as committed: python3 reads it as an env file would
	conf=$BATS_TEST_DIRNAME/../registries/plane.conf
	[ "$(python3 -c 'import shlex, sys
d = dict(l.split("=", 1) for l in shlex.split(open(sys.argv[1]).read(), comments=True))
print(d["CONTROL_PLANE_AUTH_PROVIDER"])' "$conf")" = hmac ]
	cp "$conf" plane/registries/plane.conf
	run --separate-stderr -0 cp-authz -C plane --json --token "$(tok ada)" create
	jq -e '.provider == "hmac" and .provider_chosen_by == "plane"' <<<"$output"
	[ -z "$stderr" ]
	for p in passthrough PASSTHROUGH oidc ' '; do
		CONTROL_PLANE_AUTH_PROVIDER=$p run --separate-stderr -2 cp-authz -C plane create
		[ -z "$output" ]
		[[ "$stderr" == "cp-authz: "* ]]
	done
	# hostile files: each one an error naming the file (and line), never passthrough
	for text in 'CONTROL_PLANE_AUTH_PROVIDER=' 'CONTROL_PLANE_AUTH_PROVIDER=hmac\nnot a setting' \
		'CONTROL_PLANE_AUTH_PROVIDER="hmac' 'CONTROL_PLANE_AUTH_PROVIDER=hmac\0' \
		'CONTROL_PLANE_AUTH_PROVIDER=hmac\nCONTROL_PLANE_AUTH_PROVIDER=Hmac' '1BAD=x'; do
		printf "$text\n" > plane/registries/plane.conf
		run --separate-stderr cp-authz -C plane --token "$(tok ada)" create
		no_signal
		[ "$status" -eq 2 ] || { echo "<$text>: status $status"; false; }
		[[ "$stderr" == *"registries/plane.conf:"[12]": "* ]] || { echo "<$text>: $stderr"; false; }
	done
	rm plane/registries/plane.conf
	mkdir plane/registries/plane.conf
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" create
	[[ "$stderr" == *"registries/plane.conf: Is a directory" ]]
	rmdir plane/registries/plane.conf
	{ printf 'X='; head -c 5000 /dev/zero | tr '\0' x; echo; } > plane/registries/plane.conf
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" create
	[[ "$stderr" == *"registries/plane.conf:1: "* ]]
	[ ! -e plane/ledger/governance.jsonl ]
}

@test "the plane: -C, else CONTROL_PLANE_ROOT, else the current directory" {
	hmac_plane
	t=$(tok ada)
	CONTROL_PLANE_ROOT=$PLANE run -0 cp-authz --token "$t" create
	(cd plane && cp-authz --token "$t" create)
	CONTROL_PLANE_ROOT=/nonexistent run -0 cp-authz -C plane --token "$t" create
	# here (no plane.conf, so hmac, the default) the secrets file lies in the "plane"
	run --separate-stderr -2 cp-authz --token "$t" create
	[[ "$stderr" == *"is inside the plane"* ]]
	# a mistyped plane is an error, not an unconfigured plane
	run --separate-stderr -2 cp-authz -C plain --token "$t" create
	[ "$stderr" = "cp-authz: plane plain: No such file or directory" ]
	CONTROL_PLANE_ROOT=plane/registries/plane.conf run -2 cp-authz create
}

@test "misconfigured (2): no secret, no key, a bad secrets file, a secret in the plane" {
	hmac_plane
	umask 077	# the files written here are private, as a secrets file must be
	rm home/.control_plane_v2/secrets.env
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"no secret for hmac: $HOME/.control_plane_v2/secrets.env: No such file"* ]]
	[ -z "$output" ]
	echo 'OTHER=1' > home/.control_plane_v2/secrets.env
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"sets no CONTROL_PLANE_SHARED_SECRET"* ]]
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\nthis is not a setting\n' "$SECRET" > home/.control_plane_v2/secrets.env
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"secrets.env:2: expected KEY=value"* ]]
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' "$SECRET" > plane/secrets.env
	CONTROL_PLANE_SECRETS_FILE=plane/secrets.env run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"is inside the plane"* ]]
	run -2 cp-authz -C plane --secrets-file "$PLANE/registries/../secrets.env" --token "$(tok ada)" verify
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' "$SECRET" >> plane/registries/plane.conf
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"plane.conf:2: CONTROL_PLANE_SHARED_SECRET in the plane's configuration"* ]]
	run -1 grep -F "$SECRET" <<<"$stderr"
}

# roles_err CSV-TEXT PATTERN: with that roles file, ada is refused with status 2 and PATTERN on stderr.
roles_err() {
	printf "$1" > plane/registries/roles.csv
	run --separate-stderr cp-authz -C plane --token "$(tok ada)" verify
	no_signal
	[ "$status" -eq 2 ] || { echo "<$1>: status $status"; false; }
	[ -z "$output" ]
	[[ "$stderr" == "cp-authz: "*$2* ]] || { echo "<$1>: $stderr"; false; }
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
}

@test "misconfigured (2): a roles file that is missing, unreadable or malformed" {
	hmac_plane
	rm plane/registries/roles.csv
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == "cp-authz: plane/registries/roles.csv: no roles file, so no user holds a role; "*"cp-plane adopt --admin USER"*"make adopt ADMIN=USER"* ]]
	mkdir plane/registries/roles.csv
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"roles.csv: not a regular file" ]]
	rmdir plane/registries/roles.csv
	mkfifo plane/registries/roles.csv	# must not hang
	run --separate-stderr -2 timeout 10 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"roles.csv: not a regular file" ]]
	rm plane/registries/roles.csv
	roles_err '' 'roles.csv:'
	roles_err 'name,roles\nada,admin\n' 'roles.csv:1: the header has no user column'
	roles_err 'user,role\r\nada,admin\r\n' 'roles.csv:1: the header has no roles column'
	roles_err 'user,roles\nada,admin\nmia,reader\nada,reader\n' 'roles.csv:4: user ada has a second row (the first is on line 2)'
	roles_err 'user,roles\nada,"admin\n' 'roles.csv:2: '
	roles_err 'user,roles\nada,"admin"x\n' 'roles.csv:2: '
	roles_err 'user,roles\nada,admin,extra\n' 'roles.csv:2: '
	roles_err 'user,roles\nada,adm!n\n' 'roles.csv:2: user ada: invalid roles "adm!n"'
	roles_err 'user,roles\nada,"admin,re ader"\n' 'roles.csv:2: user ada: invalid roles'
	roles_err 'user,roles\n,admin\n' 'roles.csv:2: invalid user ""'
	roles_err 'user,roles\n"a:b",admin\n' 'roles.csv:2: invalid user "a:b"'
	roles_err 'user,roles\n"a\nb",admin\n' 'roles.csv:2: invalid user "a\\nb"'
	roles_err 'user,roles\nad\xffa,admin\n' 'roles.csv:2: '
	roles_err 'user,roles\nada,ad\0min\n' 'roles.csv:2: '
	roles_err 'user,roles\nada,admin\rmia,reader\n' 'roles.csv:2: '
	# a field over the 64 KiB cap is refused, not read
	{ printf 'user,roles\nada,"'; head -c 70000 /dev/zero | tr '\0' a; printf '"\n'; } > plane/registries/roles.csv
	run --separate-stderr -2 cp-authz -C plane --token "$(tok ada)" verify
	[[ "$stderr" == *"roles.csv:2: "* ]]
	# nothing was ledgered: a misconfiguration is not a denial
	[ ! -e plane/ledger/governance.jsonl ]
}

@test "the roles file: CRLF or LF, a BOM, blank lines, extra columns, blanks in the list" {
	hmac_plane
	for text in 'user,roles\nada,admin\n' 'user,roles\r\nada,admin' '\xef\xbb\xbfuser,roles\r\n\r\nada,admin\r\n' \
		'team,roles,user\r\nx," maintainer , admin ,",ada\r\n' 'roles,user\nadmin,ada\n'; do
		printf "$text" > plane/registries/roles.csv
		run --separate-stderr -0 cp-authz -C plane --token "$(tok ada)" create
		[ -z "$stderr" ] || { echo "<$text>: $stderr"; false; }
	done
	# Python's csv module reads the test file the way cp-authz does
	cp "$DATA/cp-authz/roles.csv" plane/registries/roles.csv
	python3 -c 'import csv, json, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
	print(json.dumps([r["user"], [x.strip() for x in r["roles"].split(",") if x.strip()]]))' \
		plane/registries/roles.csv > want
	[ "$(wc -l < want)" -eq 8 ]
	while read -r pair; do
		user=$(jq -r '.[0]' <<<"$pair")
		run --separate-stderr cp-authz -C plane --json --token "$(tok "$user")" verify
		no_signal
		[ "$(jq -c .roles <<<"$output")" = "$(jq -c '.[1]' <<<"$pair")" ]
	done < want
}

@test "the secret from the environment and the env-file syntax of secrets.env" {
	want=$(grep '^s3cret alice ' "$DATA/tokens-cp2.txt" | cut -d' ' -f3)
	CONTROL_PLANE_SHARED_SECRET=s3cret run -0 cp-authz -C plane token alice
	[ "$output" = "$want" ]
	# A secrets file holds 16 bytes or more: the answers come from openssl (tok),
	# which test 2 checks against the vectors.
	mkdir -p home/.control_plane_v2
	f=home/.control_plane_v2/secrets.env
	want=$(tok alice s3cret-s3cret-s3cret)
	for text in \
		'CONTROL_PLANE_SHARED_SECRET=s3cret-s3cret-s3cret' \
		'export CONTROL_PLANE_SHARED_SECRET=s3cret-s3cret-s3cret' \
		'  CONTROL_PLANE_SHARED_SECRET = "s3cret-s3cret-s3cret"  ' \
		"CONTROL_PLANE_SHARED_SECRET='s3cret-s3cret-s3cret'" \
		$'# a comment\n\nCONTROL_PLANE_SHARED_SECRET=old-old-old-old-old\nCONTROL_PLANE_SHARED_SECRET=s3cret-s3cret-s3cret' \
		$'CONTROL_PLANE_SHARED_SECRET=s3cret-s3cret-s3cret\r\nOTHER=x\r'; do
		printf '%s\n' "$text" > "$f"
		chmod 600 "$f"
		run --separate-stderr -0 cp-authz -C plane token alice
		[ "$output" = "$want" ] || { echo "secrets.env <$text> gave $output"; false; }
		[ -z "$stderr" ]
	done
	# an explicit file beats the environment's secret, the environment's secret beats the default file
	printf 'CONTROL_PLANE_SHARED_SECRET=other-secret-0123456789\n' > other.env
	chmod 600 other.env
	CONTROL_PLANE_SHARED_SECRET=s3cret run -0 cp-authz -C plane --secrets-file other.env token alice
	[ "$output" = "$(tok alice other-secret-0123456789)" ]
	CONTROL_PLANE_SHARED_SECRET=other run -0 cp-authz -C plane token alice
	[ "$output" = "$(tok alice other)" ]
	CONTROL_PLANE_SECRETS_FILE=other.env run -0 cp-authz -C plane token alice
	[ "$output" = "$(tok alice other-secret-0123456789)" ]
	printf 'CONTROL_PLANE_SHARED_SECRET="unterminated\n' > "$f"
	run --separate-stderr -2 cp-authz -C plane token alice
	[[ "$stderr" == *"secrets.env:1: unterminated \" quote"* ]]
}

@test "secrets files are hostile input: not a regular file (a FIFO does not hang), a symlink, loose modes, another owner, a short secret: refused (2)" {
	hmac_plane
	f=home/.control_plane_v2/secrets.env
	refused() { # STDERR
		run --separate-stderr -2 timeout 5 cp-authz -C plane --token "$(tok ada)" create
		[ "$stderr" = "cp-authz: $1" ] || { echo "stderr: $stderr" >&2; return 1; }
		[ -z "$output" ]
		run --separate-stderr -2 timeout 5 cp-authz -C plane token ada
		[ "$stderr" = "cp-authz: $1" ]
		[ -z "$output" ]
	}
	run -0 cp-authz -C plane --token "$(tok ada)" create
	# modes: group or others may write (worst first), or read
	for m in 602 620 622 660 606 640 604 644; do
		chmod "$m" "$f"
		case $m in
		602|606) who=others; how=writable ;; 620|660) who="its group"; how=writable ;;
		622) who="its group and others"; how=writable ;; 640) who="its group"; how=readable ;;
		604) who=others; how=readable ;; 644) who="its group and others"; how=readable ;;
		esac
		case $how in
		writable) refused "secrets file $HOME/.control_plane_v2/secrets.env is writable by $who (mode 0$m): chmod 600 it, and make a new secret (cp-authz init --force)" ;;
		*) refused "secrets file $HOME/.control_plane_v2/secrets.env is readable by $who (mode 0$m): chmod 600 it" ;;
		esac
	done
	chmod 400 "$f"
	run -0 cp-authz -C plane --token "$(tok ada)" create
	# a short secret: 15 bytes refused, 16 accepted
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' 123456789012345 > "$f"
	refused "the secret in $HOME/.control_plane_v2/secrets.env is 15 bytes: at least 16 are needed (cp-authz init --force makes one of 64)"
	printf 'CONTROL_PLANE_SHARED_SECRET=x\n' > "$f"
	refused "the secret in $HOME/.control_plane_v2/secrets.env is 1 bytes: at least 16 are needed (cp-authz init --force makes one of 64)"
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' 1234567890123456 > "$f"
	run -0 cp-authz -C plane token ada
	[ "$output" = "$(tok ada 1234567890123456)" ]
	# a FIFO, a directory, a device: not regular files (and nothing blocks)
	rm "$f"
	mkfifo -m 600 "$f"
	refused "secrets file $HOME/.control_plane_v2/secrets.env is not a regular file"
	rm "$f"
	mkdir -m 700 "$f"
	refused "secrets file $HOME/.control_plane_v2/secrets.env is not a regular file"
	rmdir "$f"
	run --separate-stderr -2 timeout 5 cp-authz -C plane --secrets-file /dev/null token ada
	[ "$stderr" = "cp-authz: secrets file /dev/null is not a regular file" ]
	# a symlink, even to a good file
	printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' "$SECRET" > real.env
	chmod 600 real.env
	ln -s "$BATS_TEST_TMPDIR/real.env" "$f"
	refused "secrets file $HOME/.control_plane_v2/secrets.env is a symlink: name the file itself"
	run -0 cp-authz -C plane --secrets-file real.env token ada
	[ "$output" = "$(tok ada)" ]
	# another owner (root aside): needs root to make one
	if [ "$(id -u)" -eq 0 ]; then
		rm "$f"
		printf 'CONTROL_PLANE_SHARED_SECRET=%s\n' "$SECRET" > "$f"
		chmod 600 "$f"
		chown 12345 "$f"
		refused "secrets file $HOME/.control_plane_v2/secrets.env is owned by uid 12345, not by you (uid 0) or root"
		chown 0 "$f"
		run -0 cp-authz -C plane token ada
	else
		skip "another owner needs root to be tested"
	fi
}

@test "init: mode 0600 from creation, tokens that are accepted, --json" {
	hmac_plane
	rm -r home/.control_plane_v2
	umask 000
	run --separate-stderr -0 cp-authz -C plane init ada mia
	[ -z "$stderr" ]
	f=home/.control_plane_v2/secrets.env
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(stat -c %a home/.control_plane_v2)" = 700 ]
	[ "${#lines[@]}" -eq 2 ]
	secret=$(sed -n 's/^CONTROL_PLANE_SHARED_SECRET=//p' "$f")
	[[ "$secret" =~ ^[0-9a-f]{64}$ ]]
	[ "${lines[0]}" = "$(tok ada "$secret")" ]
	run -0 cp-authz -C plane --token "${lines[0]}" create
	run -0 cp-authz -C plane --token "$(tok mia "$secret")" install
	run -0 cp-authz -C plane --json token ada
	jq -e --arg t "$(tok ada "$secret")" '.user == "ada" and .token == $t' <<<"$output"
	run -0 cp-authz -C plane --json --secrets-file other/dir/s.env init x
	[ "$(stat -c %a other/dir/s.env)" = 600 ]
	[ "$(jq -r .user <<<"$output")" = x ]
}

@test "token --json: a user with '\"' or '\\' in its name gives JSON that parses" {
	for u in 'a"b' 'c\d' '"'; do
		run -0 env CONTROL_PLANE_SHARED_SECRET="$SECRET" cp-authz -C plane --json token "$u"
		jq -e --arg u "$u" --arg t "$(tok "$u")" '.user == $u and .token == $t' <<<"$output"
	done
}

@test "init refuses a path inside the plane, however it is spelt" {
	ln -s "$PLANE" link
	for p in plane/s.env "$PLANE/new/dir/s.env" link/s.env link/new/s.env \
		"home/../plane/s.env" plane; do
		run --separate-stderr -2 cp-authz -C plane --secrets-file "$p" init alice
		[[ "$stderr" == *"inside the plane"* ]] || { echo "$p: $stderr"; false; }
		[ -z "$output" ]
	done
	CONTROL_PLANE_ROOT=$PLANE run -2 cp-authz --secrets-file plane/s.env init alice
	(cd plane && HOME=$PLANE run -2 cp-authz init alice)
	[ -z "$(find plane -name '*.env')" ]
	[ ! -e plane/new ]
}

@test "init refuses to overwrite without --force; --force rotates atomically" {
	f=home/.control_plane_v2/secrets.env
	run -0 cp-authz -C plane init alice
	old=$output
	before=$(sha256sum "$f")
	run --separate-stderr -2 cp-authz -C plane init alice
	[[ "$stderr" == *"exists: --force replaces it"* ]]
	[ "$(sha256sum "$f")" = "$before" ]
	ln -s elsewhere home/.control_plane_v2/link.env
	run -2 cp-authz -C plane --secrets-file home/.control_plane_v2/link.env init alice
	[ ! -e home/.control_plane_v2/elsewhere ]
	run -0 cp-authz -C plane init --force alice
	[ "$output" != "$old" ]
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(ls -A home/.control_plane_v2)" = "$(printf 'link.env\nsecrets.env')" ]
	run -0 cp-authz -C plane token alice
	[ "$output" != "$old" ]
}

@test "bad usage exits 2 with a message on stderr" {
	run --separate-stderr -2 cp-authz
	[[ "$stderr" == *"usage: cp-authz"* ]]
	[ -z "$output" ]
	run --separate-stderr -2 cp-authz delete
	[[ "$stderr" == *"unknown action 'delete'"* ]]
	run -2 cp-authz install verify
	run -2 cp-authz --no-such-option install
	run -2 cp-authz --token a --token-file b install
	run -2 cp-authz --force install
	run -2 cp-authz --json -q install
	run -2 cp-authz token
	run -2 cp-authz token 'bad user'
	run -2 cp-authz init --token x alice
	run -2 cp-authz init $'new\nline'
	run -2 cp-authz mac extra
	[ ! -e home/.control_plane_v2 ]
}

@test "--help and --version go to stdout and exit 0" {
	run --separate-stderr -0 cp-authz --help
	[[ "$output" == "usage: cp-authz"* ]]
	[ -z "$stderr" ]
	run -0 cp-authz --version
	[[ "$output" == "cp-authz (Control Plane v2 in C) "* ]]
}

@test "a write error on stdout is reported and exits 2" {
	run --separate-stderr -2 bash -c 'CONTROL_PLANE_AUTH_PROVIDER=passthrough CONTROL_PLANE_ALLOW_PASSTHROUGH=1 cp-authz -C plane verify > /dev/full'
	[[ "$stderr" == *"cp-authz: write error: No space left on device"* ]]
	run -2 bash -c 'CONTROL_PLANE_SHARED_SECRET=s cp-authz token a > /dev/full'
}

@test "a message about a path of 1200 bytes keeps the path and ends with the reason" {
	hmac_plane
	long=$BATS_TEST_TMPDIR/$(printf 'd%.0s' {1..200})
	for i in 1 2 3 4 5; do long=$long/$(printf 'e%.0s' {1..200}); done
	run --separate-stderr -2 cp-authz -C plane --secrets-file "$long/x.env" --token "$(tok ada)" verify
	[ "$stderr" = "cp-authz: no secret for hmac: $long/x.env: No such file or directory" ]
}
