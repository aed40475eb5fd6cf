#!/bin/bash
# Slurm Prolog: records which job holds which GPU, one file per GPU ordinal
# holding the job id, for `ceems_exporter --collector.slurm.gpu-job-map-path`.
# Install as (or call from) slurmd's Prolog; pair it with the epilog next to it.
set -u
DEST=${CEEMS_GPU_JOB_MAP_DIR:-/run/gpujobmap}
[ -n "${SLURM_JOB_ID:-}" ] || exit 0
[ -e "$DEST" ] || mkdir -m 755 -p "$DEST" || exit 0

# In the prolog these hold the node's real GPU indices (inside the job CUDA
# renumbers them from 0), so they match nvidia-smi/rocm-smi order.
ordinals="${GPU_DEVICE_ORDINAL:-},${CUDA_VISIBLE_DEVICES:-}"
for i in ${ordinals//,/ }; do
  case "$i" in
    *[!0-9.]* | "") continue ;;  # skip UUIDs and anything that is not an index
  esac
  # Write then rename, so the exporter never reads a half-written file.
  tmp="$DEST/.$i.$SLURM_JOB_ID"
  echo "$SLURM_JOB_ID" > "$tmp" && mv -f "$tmp" "$DEST/$i"
done
# A prolog failure drains the node: never fail because of the GPU map.
exit 0
