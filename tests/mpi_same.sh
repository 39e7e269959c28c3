#!/bin/sh
# mpi_same.sh MPIRUN... -- NP PROGRAM [ARGS...]: runs PROGRAM alone, then
# under MPIRUN with NP ranks, and fails unless both print the same.
set -eu
mpirun=""
while [ "$1" != "--" ]; do mpirun="$mpirun $1"; shift; done
shift
np=$1; shift
alone=$("$@")
spread=$($mpirun -np "$np" "$@")
if [ "$alone" != "$spread" ]; then
  echo "one process printed:"; echo "$alone"
  echo "$np ranks printed:"; echo "$spread"
  exit 1
fi
echo "$np ranks print what one process prints ($(printf '%s\n' "$alone" | wc -l) lines)"
