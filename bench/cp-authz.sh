#!/usr/bin/env bash
# bench/cp-authz.sh: the cost of one decision, which Make pays before every
# state-changing step, against baselines measured in the same run:
#   200 x `cp-authz verify` (hmac, small roles file) vs 200 x `openssl dgst -hmac`
#   (one process computing one HMAC) and 200 x /bin/true (a bare process start);
#   the same decision with a 10,000-user roles file (the user on the last row);
#   200 denials (each appended to the ledger, fdatasync included) vs 200 x
#   `cp-ledger append` of a similar event (the same library, the same sync).
# SPDX-License-Identifier: ISC
set -eu
. "$(dirname "$0")/lib.sh"

d=$BENCH_DIR/cp-authz
rm -rf "$d" && mkdir -p "$d/plane/registries" "$d/plane/ledger" "$d/home"
cd "$d"
export HOME=$d/home
unset CONTROL_PLANE_TOKEN CONTROL_PLANE_AUTH_PROVIDER CONTROL_PLANE_SHARED_SECRET \
	CONTROL_PLANE_SECRETS_FILE CONTROL_PLANE_ROOT
echo CONTROL_PLANE_AUTH_PROVIDER=hmac > plane/registries/plane.conf
cp-authz -C plane init u9999 > token
printf 'user,roles\r\nu9999,maintainer\r\n' > plane/registries/roles.csv
cp plane/registries/roles.csv small.csv
{
	printf 'user,roles\r\n'
	for i in $(seq 0 9998); do printf 'u%d,"auditor,reader"\r\n' "$i"; done
	printf 'u9999,maintainer\r\n'
} > big.csv
cp-authz -C plane -q --token-file token verify	# must be allowed, or the timings mean nothing
cp-authz -C plane token nobody > deny.token
if cp-authz -C plane -q --token-file deny.token install; then echo "nobody was allowed" >&2; exit 1; fi

n=200
loop() { printf 'for i in $(seq %d); do %s; done' "$n" "$1"; }
t_true=$(best_of "$(loop /bin/true)")
t_ossl=$(best_of "$(loop 'printf u9999 | openssl dgst -sha256 -hmac k >/dev/null')")
t_small=$(best_of "$(loop 'cp-authz -C plane -q --token-file token verify')")
cp big.csv plane/registries/roles.csv
t_big=$(best_of "$(loop 'cp-authz -C plane -q --token-file token verify')")
cp small.csv plane/registries/roles.csv
t_deny=$(best_of "$(loop 'cp-authz -C plane -q --token-file deny.token install')")
t_lapp=$(best_of "$(loop 'cp-ledger -C plane append -q --event-type authz_denied --submission-id "" --decision DENIED --reason "the user holds no role" --metadata "{\"user\":\"nobody\",\"roles\":[],\"action\":\"install\",\"provider\":\"hmac\"}"')")

per() { awk -v t="$1" -v n="$n" 'BEGIN { printf "%.2f", t / n * 1000 }'; }
echo "$n decisions: cp-authz ${t_small}s ($(per "$t_small") ms each)   openssl dgst -hmac ${t_ossl}s   /bin/true ${t_true}s"
echo "  cp-authz vs openssl dgst -hmac: $(ratio "$t_ossl" "$t_small")x (higher is faster)"
echo "  cp-authz vs a bare process start: $(ratio "$t_small" "$t_true")x the time"
echo "10,000-user roles file: ${t_big}s ($(per "$t_big") ms each), $(ratio "$t_big" "$t_small")x the small file's time"
echo "  peak RSS, 10,000-user roles file: $(cp big.csv plane/registries/roles.csv; peak_rss_kb "cp-authz -C plane -q --token-file token verify") KiB"
echo "$n denials (ledgered): ${t_deny}s ($(per "$t_deny") ms each)   cp-ledger append ${t_lapp}s ($(per "$t_lapp") ms each)"
echo "  a denial vs a bare cp-ledger append: $(ratio "$t_deny" "$t_lapp")x the time"
cp-ledger -C plane verify > /dev/null	# the benchmark's own ledger must still be intact
