#!/usr/bin/env bash
# ci/deps.sh: install every Debian package the build, the tests and the
# benchmarks need.  Idempotent: when all are present it changes nothing.
# SPDX-License-Identifier: ISC
set -eu

packages=(
	build-essential pkg-config	# cc, make, ar; library flags
	libarchive-dev libssl-dev zlib1g-dev libjansson-dev libyajl-dev libcjose-dev	# the libraries
	libisal-dev			# ISA-L inflate for cp-tar (optional to the build: ISAL=no)
	bats jq python3 mandoc		# tests: runner, JSON checks, golden answers, man lint
	parallel			# tests/run.sh: bats runs the suites side by side (--jobs)
	python3-cryptography		# independent Ed25519 checks (signed checkpoints), as /usr/bin/python3
	python3-jwt			# independent ID tokens (cp-authz oidc), as /usr/bin/python3
	signify-openbsd			# interop baseline: OpenBSD signify (cp-sign)
	libarchive-tools tar gzip coreutils findutils	# interop baselines: bsdtar, GNU tar, sha256sum
	openssl time isal		# benchmark baselines: openssl dgst, /usr/bin/time -v, igzip
	clang libclang-rt-dev		# tests/fuzz: libFuzzer harnesses (make fuzz, tests/fuzz.bats)
	strace bsdutils bsdextrautils	# kill trials at a system call (strace); script(1) in the progress tests; column(1) in make bench
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "ci/deps.sh: all ${#packages[@]} packages present"
	exit 0
fi
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "ci/deps.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
