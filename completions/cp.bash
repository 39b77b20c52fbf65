# bash completion for the Control Plane v2 in C programs (cp-hash, cp-tar, ...).
# Installed once per program name under share/bash-completion/completions, so
# bash-completion loads it on first use; or source it from ~/.bashrc.
# Options come from each program's own --help, so they never drift from it.

# The long options a program's --help names.
_cp_options()
{
	"$1" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

# The verbs a program takes as its first operand.
_cp_verbs()
{
	case $1 in
	cp-regrow) echo get select set add upsert del sync validate ;;
	cp-ledger) echo append verify head vkey cat repair ;;
	cp-merkle) echo proof verify-proof consistency verify-consistency ;;
	cp-authz) echo init token mac ;;
	# cp-plane's commands are the indented words of its --help: new ones appear by themselves.
	cp-plane) "$1" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)\{0,1\}$/\1/p' ;;
	esac
}

# The package ids of the plane (-C DIR, else $CONTROL_PLANE_ROOT, else .), read by cp-regrow.
_cp_package_ids()
{
	local root=${CONTROL_PLANE_ROOT:-.} i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -C && $((i + 1)) -lt COMP_CWORD ]] && root=${COMP_WORDS[i + 1]}
	done
	[[ -f $root/registries/packages_registry.csv ]] || return
	cp-regrow -f "$root/registries/packages_registry.csv" --field id select 2>/dev/null
}

_cp_complete()
{
	local prog=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]} verb= i
	COMPREPLY=()
	case $prev in
	-C | --directory | --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-f | --file | -i | -o | --output | -T | --files-from | --cache | --state | --registry | --token-file | \
	    --secrets-file | -p | -s | -m | -x) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--kind) COMPREPLY=($(compgen -W 'packages control-plane' -- "$cur")); return ;;
	--scheme) COMPREPLY=($(compgen -W 'rfc6962 cp2' -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_cp_options "$prog")" -- "$cur"))
		return
	fi
	# The verb already given, if any: the first word that is not an option or an option's value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-C | -f | -i | -k | -o | --output | -T | -j | -l | --token | --token-file | --secrets-file | --kind | \
		    --root | --field | --base | --origin | --admin | --user) ((i++)) ;;
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	local verbs
	verbs=$(_cp_verbs "$prog")
	if [[ -n $verbs && -z $verb ]]; then
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
	elif [[ $prog == cp-plane && $verb =~ ^(install|update|remove|show)$ ]]; then
		COMPREPLY=($(compgen -W "$(_cp_package_ids)" -- "$cur"))
	fi
	# Nothing else to offer: bash falls back to file names (-o default).
}

complete -o default -F _cp_complete cp-hash cp-tar cp-regrow cp-ledger cp-merkle \
	cp-authz cp-integrity cp-plane cp-sign
