#!/usr/bin/env bash
# What a cold build of one of `make test`'s trees costs, in CPU seconds (user + sys of every
# compiler and linker: what 2 cores divide, unlike wall time on a shared machine), with ccache
# off so that nothing comes from the cache. Prints the total and the most expensive steps
# (from ninja's .ninja_log, wall milliseconds per step).
# usage: scripts/build-cost.sh normal|asan|fuzz [BUILD_DIR] [-- CMAKE_ARGS...]
#   BUILD_DIR defaults to a fresh folder under /tmp, removed afterwards. From the environment:
#   JOBS (default 1), TOP (default 15), TARGET (one target instead of the tree's), DEBUG_INFO
#   (the normal tree's; default -g1, as the Makefile).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: build-cost.sh normal|asan|fuzz [BUILD_DIR] [-- CMAKE_ARGS...]}
shift
dir=
if (($#)) && [[ "$1" != "--" ]]; then
  dir=$1
  shift
fi
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
keep=true
if [[ -z "$dir" ]]; then
  dir=$(mktemp -d "/tmp/hubgate-cost-$tree.XXXXXX")
  keep=false
fi
jobs=${JOBS:-1}

# The same configurations as the Makefile's `build`, `asan` and `fuzz`.
configure=(cmake -S "$repo" -B "$dir" -G Ninja)
target=()
debug=${DEBUG_INFO:--g1}
release_flags=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 $debug -DNDEBUG"
               -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $debug -DNDEBUG")
case "$tree" in
  normal) configure+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "${release_flags[@]}") ;;
  asan)
    configure+=(-DCMAKE_BUILD_TYPE=Debug -DHUBGATE_SANITIZE=ON -DCMAKE_C_FLAGS_DEBUG=-g1
                -DCMAKE_CXX_FLAGS_DEBUG=-g1)
    target=(--target hubgate_unit_tests)
    ;;
  fuzz)
    export CC=clang CXX=clang++
    configure+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DHUBGATE_FUZZ=ON)
    ;;
  *) echo "build-cost: unknown tree $tree (normal | asan | fuzz)" >&2; exit 2 ;;
esac

[[ -n "${TARGET:-}" ]] && target=(--target "$TARGET")
export CCACHE_DISABLE=1
"${configure[@]}" "${extra[@]}" >/dev/null
times=$(mktemp)
nice -n 19 /usr/bin/time -f '%U %S %e' -o "$times" \
  cmake --build "$dir" -j"$jobs" "${target[@]}" >"$dir/build-cost.log" 2>&1 ||
  { tail -30 "$dir/build-cost.log" >&2; exit 1; }
read -r user sys wall < "$times"
rm -f "$times"
steps=$(awk 'NR > 1' "$dir/.ninja_log" | wc -l)
printf '%s: %.0f CPU s (user %.0f, sys %.0f), wall %.0f s at -j%s, %s steps\n' \
  "$tree" "$(echo "$user + $sys" | awk '{print $1 + $3}')" "$user" "$sys" "$wall" "$jobs" "$steps"
# The most expensive steps (a step is one object file, link, or generated file).
awk 'NR > 1 {ms[$4] = $2 - $1} END {for (o in ms) printf "%8.1f s  %s\n", ms[o] / 1000, o}' \
  "$dir/.ninja_log" | sort -rn | head -"${TOP:-15}"
$keep || rm -rf "$dir"
