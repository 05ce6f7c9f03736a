#!/usr/bin/env bash
# The default demo on Colin27 (run by scripts/run.sh after set-up). Outputs: out/demo/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
camreg="$CAMREG_ROOT/build/cli/camreg"
mri="$CAMREG_ROOT/datasets/data/colin27/ch2bet.nii.gz"
out="$CAMREG_ROOT/out/demo"
mkdir -p "$out"
"$camreg" info "$CAMREG_ROOT/datasets/data/colin27/ch2.nii.gz" "$mri"
