#!/usr/bin/env bash
# Installs what hubgate needs to build, test and run its demo on Debian 12.
# Idempotent: asks dpkg first and does nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates openssl
  libmosquitto-dev mosquitto mosquitto-dev mosquitto-clients
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev
  libtomlplusplus-dev libspdlog-dev doctest-dev
  nlohmann-json3-dev libcpp-httplib-dev libsystemd-dev
  python3 clang clang-format libclang-rt-14-dev nodejs npm
  man-db  # the package tests read the installed man pages
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # A tool already on PATH by other means (e.g. a newer node) counts as present.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
      python3) command -v python3 >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The local broker must never run as the system service during tests: tests start their own.
# Debian starts mosquitto on install; that is harmless (port 1883) but we never depend on it.

# Test clients from npm (pinned by package-lock.json), only where a test folder declares them.
here=$(cd "$(dirname "$0")/.." && pwd)
for lock in "$here"/test/*/package-lock.json; do
  [ -e "$lock" ] || continue
  dir=$(dirname "$lock")
  if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in ${dir#"$here"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
