#!/bin/sh
# compile_mpi.sh MPIRUN... -- NP RILL SPEC DOCS: `rill compile` under mpirun
# with NP ranks, in a scratch folder: the first run full, then incremental
# after a document changed, each proven equal to a full compile (--verify,
# in one process) and to the same compiles run in one process.
set -eu
mpirun=""
while [ "$1" != "--" ]; do mpirun="$mpirun $1"; shift; done
shift
np=$1 rill=$2 spec=$3 docs=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
mkdir one spread
for d in one spread; do
  cp -r "$docs" "$d/docs"
  sed "s|examples/data/docs|docs|" "$spec" > "$d/spec.yaml"
  (cd "$d" && "$rill" catalog import -q docs docs)
done
(cd one && "$rill" compile -q spec.yaml)
(cd spread && $mpirun -np "$np" "$rill" compile spec.yaml) 2> spread.err
grep -q "full: output 'postings' has no compile's commit yet" spread.err
for d in one spread; do
  first=$(ls "$d/docs" | head -n 1)
  echo "zebra and a yak, new words of $d" | sed "s/ of $d//" >> "$d/docs/$first"
  (cd "$d" && "$rill" catalog import -q docs docs)
done
(cd one && "$rill" compile -q spec.yaml)
(cd spread && $mpirun -np "$np" "$rill" compile spec.yaml) 2> spread.err
grep -q "incremental: from input 'docs' 1 to 2" spread.err
test "$(grep -c . spread.err)" -eq 2  # rank 0 alone speaks: the reason, the figures
(cd spread && "$rill" compile -q --verify spec.yaml)
(cd one && "$rill" catalog ls -q postings) > one.ls
(cd spread && "$rill" catalog ls -q postings) > spread.ls
cmp one.ls spread.ls
echo "$np ranks compile what one process compiles ($(wc -l < one.ls) postings), incrementally"
