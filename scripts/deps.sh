#!/usr/bin/env bash
# deps.sh — installs the Debian packages rill needs that are missing, and
# nothing else. `apt-get update` runs once, only when something is missing.
#   scripts/deps.sh           what building and the demo need
#   scripts/deps.sh --test    also what only the tests use (strace, Chromium)
#   scripts/deps.sh --fuzz    also clang's libFuzzer runtime
#   scripts/deps.sh --ci      the tests' and clang (CI builds with it, scripts/ci-builds.sh)
set -euo pipefail

pkgs=(build-essential cmake pkg-config python3 libxxhash-dev libyaml-dev libsqlite3-dev libzstd-dev libcmocka-dev valgrind
      libpcre2-dev libjansson-dev
      libopenmpi-dev openmpi-bin)
if [ "${1:-}" = "--fuzz" ]; then
  pkgs+=(clang libclang-rt-dev)
fi
if [ "${1:-}" = "--ci" ]; then
  pkgs+=(clang)
fi
# Only the tests: the syncs are watched with strace (test_durability), and
# the rill command's --report page is opened in headless Chromium.
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--ci" ] || [ "${1:-}" = "--fuzz" ]; then
  pkgs+=(strace chromium)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root to install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
