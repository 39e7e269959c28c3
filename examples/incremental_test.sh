#!/bin/sh
# incremental_test.sh — the CTest test of examples/incremental.c: on a
# scratch folder of three documents the first run is full, and after one
# file changes the second is incremental, compiling only that file's words;
# each run's outputs equal a full compile's (verify: 0 keys differ).
#     incremental_test.sh PATH-TO-incremental
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir docs
printf 'the cat sat\non the mat\n' > docs/a.txt
printf 'the dog ate\n' > docs/b.txt
printf 'a bird sang\n' > docs/c.txt

fail() { echo "FAIL: $*"; cat out; exit 1; }
"$bin" docs --workers 2 > out || fail "first run"
grep -q "^postings: full: .*first run is full" out || fail "postings: not a first full run"
grep -q "^doc_stats: full: .*first run is full" out || fail "doc_stats: not a first full run"
[ "$(grep -c ': verify: 0 keys differ' out)" = 2 ] || fail "first run: verify"

printf 'a fish sang loud\n' > docs/c.txt
"$bin" docs --workers 2 > out || fail "second run"
grep -q "^postings: incremental: from input 'docs' 1 to 2" out || fail "postings: not incremental"
grep -q "^doc_stats: incremental: " out || fail "doc_stats: not incremental"
# the words of c.txt, old and new: a, bird, fish, loud, sang; new: fish, loud
grep -q "^postings: version 2: 5 compiled, 2 written, 1 deleted; input partitions changed: 1$" out ||
    fail "postings: compiled other than c.txt's words"
grep -q "^doc_stats: version 2: 1 compiled, 1 written, 0 deleted" out || fail "doc_stats"
[ "$(grep -c ': verify: 0 keys differ' out)" = 2 ] || fail "second run: verify"
echo ok
