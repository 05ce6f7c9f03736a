#!/usr/bin/env bash
# The curved-reslicing example on Colin27: straighten the corpus callosum along the
# shipped midline curve (a 3D Slicer markups curve, LPS), write the slice transforms, one
# ITK transform per slice, the displacement field and a panoramic MIP; then map a mask
# drawn on the straightened volume (here: a threshold of it) back to the MRI's grid.
#   bash examples/reslice_colin27.sh [build/cli/camreg] [out/reslice]
set -eu
camreg="${1:-build/cli/camreg}"
out="${2:-out/reslice}"
mri=datasets/data/colin27/ch2.nii.gz
mkdir -p "$out"
"$camreg" reslice -v "$mri" --curve examples/curve_colin27_callosum.mrk.json --size 160,120 \
  --spacing 1 --step 1 -o "$out/straight.nii.gz" --transforms "$out/slices.json" \
  --itk-dir "$out/tfm" --field "$out/straight_to_mri.nii.gz" --mip "$out/panorama_mip.png" \
  --drr "$out/panorama_drr.nii.gz" --axis u --slab 20
"$camreg" unreslice -i "$out/straight.nii.gz" -t "$out/slices.json" -r "$mri" -o "$out/back.nii.gz"
