#!/bin/bash
# Slurm Epilog: removes the GPU job map files of the ending job (written by
# ceems-gpujobmap-prolog.sh), leaving those a later job already took over.
set -u
DEST=${CEEMS_GPU_JOB_MAP_DIR:-/run/gpujobmap}
[ -n "${SLURM_JOB_ID:-}" ] && [ -d "$DEST" ] || exit 0
for f in "$DEST"/*; do
  [ -f "$f" ] || continue
  if [ "$(cat "$f" 2>/dev/null)" = "$SLURM_JOB_ID" ]; then
    rm -f "$f"
  fi
done
exit 0
