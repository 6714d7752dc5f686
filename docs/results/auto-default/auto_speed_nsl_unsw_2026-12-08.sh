#!/bin/bash
# Paths of the session that ran it: /work/main is d260094 (after), /work/wt/before32 a worktree at c85e25a (before);
# the shared datasets folder holds NSL-KDD and UNSW-NB15 as ../shared/datasets/README.md lists.
export GAVAE_IDS_DATA=/work/shared/datasets OMP_WAIT_POLICY=PASSIVE
for table in nsl-kdd unsw-nb15; do
  for tree in /work/main /work/wt/before32; do
    echo "=== $table $tree $(git -C $tree rev-parse --short HEAD) $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    cd $tree && PYTHONPATH=src /usr/bin/time -f "wall %e s, user %U s, sys %S s" /work/main/.venv/bin/python benchmarks/auto_speed.py --table $table --only after 2>&1 | grep -v Warning
  done
done
echo "=== done $(date -u +%H:%M:%S)"
