#!/bin/sh
# sweep_mpi.sh MPIRUN... -- NP RILL: runs a noisy sweep (the sweep of
# examples/sweep/noisy.yaml, its trials grown to 10%) with rill sweep alone,
# then under MPIRUN with NP ranks, and fails unless both print the same table
# (the same to the last digit: within its error bars, then) and the trials
# ran in NP processes (each trial logs its parent, the rank's rill); then
# once more over the ranks with checkpoints every 50 ms, the same again.
set -eu
mpirun=""
while [ "$1" != "--" ]; do mpirun="$mpirun $1"; shift; done
shift
np=$1
rill=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/s.yaml" <<EOF
parameters:
  a: [0, 1, 2, 3]
  b: {from: 0.5, to: 1.5, step: 0.5}
outputs: [value, twice]
trial:
  command: [sh, -c, 'echo \$PPID >> $tmp/who.log; awk -v a={a} -v b={b} -v s={seed} "BEGIN {{ srand(s % 2147483647); print a * a + b + 2 * rand() - 1, 2 * a }}"']
trials: {rel_error: 0.1, min: 8, max: 300}
seed: 5
EOF
alone=$("$rill" sweep -q -f csv -w 1 "$tmp/s.yaml")
rm -f "$tmp/who.log"
spread=$($mpirun -np "$np" "$rill" sweep -q -f csv -w 1 "$tmp/s.yaml")
if [ "$alone" != "$spread" ]; then
  echo "one process printed:"; echo "$alone"
  echo "$np ranks printed:"; echo "$spread"
  exit 1
fi
# Open MPI gives the ranks a terminal even with > file: CSV unless -f says
rm -f "$tmp/who.log"
plain=$($mpirun -np "$np" "$rill" sweep -q -w 1 "$tmp/s.yaml")
if [ "$alone" != "$plain" ]; then
  echo "without -f under mpirun, not CSV:"; echo "$plain"
  exit 1
fi
procs=$(sort -u "$tmp/who.log" | wc -l)
trials=$(wc -l < "$tmp/who.log")
if [ "$procs" -ne "$np" ]; then
  echo "the $trials trials ran in $procs processes, not $np"
  exit 1
fi
ckpt=$($mpirun -np "$np" "$rill" sweep -q -f csv -w 1 --checkpoint "$tmp/ck.db" \
       --checkpoint-interval 0.05 "$tmp/s.yaml")
if [ "$alone" != "$ckpt" ]; then
  echo "one process printed:"; echo "$alone"
  echo "$np ranks with checkpoints printed:"; echo "$ckpt"
  exit 1
fi
echo "$np ranks print the table one process prints, with checkpoints too ($trials trials, run by $procs processes)"
