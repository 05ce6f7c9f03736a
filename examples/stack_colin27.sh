#!/usr/bin/env bash
# The stack example on Colin27: cut the MRI into every 5th axial slice (float TIFFs, as
# a microscope or an OCT export would give), rebuild the volume with cubic interpolation
# between the slices, and make a surface of it.
#   bash examples/stack_colin27.sh [build/cli/camreg] [out/stack]
set -eu
camreg="${1:-build/cli/camreg}"
out="${2:-out/stack}"
mri=datasets/data/colin27/ch2.nii.gz
mkdir -p "$out/slices"
# Axial planes z = -71, -66, ..., 109 mm; the reslice image of an axial plane has u along
# L and v along P (a camera looking up the S axis), so the stack's orientation is LPS.
for i in $(seq 0 36); do
  z=$((-71 + 5 * i))
  "$camreg" reslice -v "$mri" --centre 0,-17,$z --normal 0,0,1 --up 0,1,0 --size 181,217 \
    --spacing 1 -o "$out/slices/axial_$i.tif" 2>/dev/null
done
# Pixel (0,0) of the first slice lies at (90, 91, -71) (centre + half the image along -u, -v).
"$camreg" stack -o "$out/colin27_from_slices.nii.gz" --orientation LPS --pixel 1 \
  --slice-spacing 5 --out-slice 1 --origin 90,91,-71 --interp cubic "$out/slices"
"$camreg" mesh -i "$out/colin27_from_slices.nii.gz" -o "$out/colin27_from_slices.ply" --iso 50 --largest --smooth 10
