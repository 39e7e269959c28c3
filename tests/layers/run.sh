#!/bin/sh
# run.sh -- tests scripts/check-layers.py on the fixture trees beside this file
# (the CTest test layers_fixtures). Each case runs the script on one tree, with
# or without an allowlist, and compares its exit status and its whole output
# with NAME.expected:
#   good           every allowed include form: exit 0, warnings only
#   bad            one violation per rule and include form: exit 1
#   bad-allow      some violations allowed, one stale allowance: exit 1
#   bad-allow-all  every violation allowed: exit 0
#   unknown        a folder under src/ that is in no layer: exit 1
set -u
here=$(cd "$(dirname "$0")" && pwd)
script="$here/../../scripts/check-layers.py"
python=${PYTHON:-python3}
cd "$here" || exit 1
fail=0

check() { # NAME EXPECTED_EXIT ARGS...
    name=$1 want=$2
    shift 2
    out=$("$python" "$script" "$@")
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"
        fail=1
    fi
    if ! printf '%s\n' "$out" | diff -u "$name.expected" -; then
        echo "FAIL $name: output differs from $name.expected"
        fail=1
    fi
}

check good 0 --root good
check bad 1 --root bad
check bad-allow 1 --root bad --allow bad-allow.txt
check bad-allow-all 0 --root bad --allow bad-allow-all.txt
check unknown 1 --root unknown
[ "$fail" -eq 0 ] && echo "layers fixtures: 5 cases ok"
exit "$fail"
