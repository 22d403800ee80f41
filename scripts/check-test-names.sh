#!/usr/bin/env bash
# Fails when a doctest TEST_CASE name holds ';' or '[': doctest_discover_tests turns such a name
# into a ctest filter that matches nothing, so the test would silently never run.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files 'test/*.cpp' | python3 -c '
import re, sys
bad = []
for path in sys.stdin.read().split():
    text = open(path, encoding="utf-8", errors="replace").read()
    for m in re.finditer(r"TEST_CASE\(\s*\"((?:[^\"\\]|\\.)*)\"", text):
        if ";" in m.group(1) or "[" in m.group(1):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{path}:{line}: {m.group(1)}")
if bad:
    print("check-test-names: test names with ; or [ never run under ctest:", *bad, sep="\n", file=sys.stderr)
    sys.exit(1)
print("check-test-names: ok")
'
