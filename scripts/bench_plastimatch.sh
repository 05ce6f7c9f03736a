#!/usr/bin/env bash
# Times Debian's `plastimatch drr` and `camreg render --mode drr` on the same volume with
# the same detector size and geometry, and prints the time ratio and the correlation of
# the two images.
#
# usage: scripts/bench_plastimatch.sh [CAMREG] [VOLUME] [PIXELS]
#   CAMREG  the camreg executable (default build/cli/camreg)
#   VOLUME  NIfTI volume (default datasets/data/colin27/ch2bet.nii.gz)
#   PIXELS  detector rows = columns (default 256)
#
# plastimatch ignores the NIfTI orientation (it uses origin and spacing only), so the
# script first writes a copy of the volume whose header is diag(-1,-1,1) in RAS, i.e. the
# identity in DICOM LPS, centred on the origin: both programs then place it identically.
# Geometry: isocenter at the origin, source at SAD mm anterior (RAS +y), detector at SID
# mm from the source, image up = superior. `-P none` keeps MR values (no HU mapping).
# The detector may be mirrored between the two programs' conventions: the correlation
# is reported for the best of the four flips, and which one it was.
set -eu
camreg="${1:-build/cli/camreg}"
volume="${2:-datasets/data/colin27/ch2bet.nii.gz}"
res="${3:-256}"
sad=1000 sid=1500 det=300
command -v plastimatch >/dev/null || { echo "plastimatch is not installed (apt-get install plastimatch)"; exit 77; }
[ -x "$camreg" ] || { echo "no camreg at $camreg"; exit 2; }
[ -f "$volume" ] || { echo "no volume $volume (run datasets/fetch.sh)"; exit 77; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 - "$volume" "$tmp/vol.nii" <<'PY'
import gzip, struct, sys
src, dst = sys.argv[1], sys.argv[2]
raw = (gzip.open if src.endswith('.gz') else open)(src, 'rb').read()
h = bytearray(raw[:348])
if struct.unpack_from('<i', h, 0)[0] != 348:
    sys.exit('only little-endian NIfTI-1 volumes are handled')
dim = struct.unpack_from('<8h', h, 40)
sp = struct.unpack_from('<8f', h, 76)
c = [(dim[1 + a] - 1) / 2.0 * sp[1 + a] for a in range(3)]
origin = (c[0], c[1], -c[2])            # RAS offset of voxel 0: LPS identity, centred
struct.pack_into('<f', h, 76, 1.0)      # qfac
struct.pack_into('<hh', h, 252, 1, 1)   # qform_code, sform_code
struct.pack_into('<3f', h, 256, 0.0, 0.0, 1.0)  # quaternion b c d: 180 deg about z
struct.pack_into('<3f', h, 268, *origin)
struct.pack_into('<4f', h, 280, -sp[1], 0, 0, origin[0])
struct.pack_into('<4f', h, 296, 0, -sp[2], 0, origin[1])
struct.pack_into('<4f', h, 312, 0, 0, sp[3], origin[2])
open(dst, 'wb').write(bytes(h) + raw[348:])
PY

fx=$(python3 -c "print($sid / ($det / $res))")
cc=$(python3 -c "print(($res - 1) / 2)")
cat > "$tmp/cam.yml" <<YML
%YAML:1.0
---
image_width: $res
image_height: $res
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ $fx, 0., $cc, 0., $fx, $cc, 0., 0., 1. ]
distortion_coefficients: !!opencv-matrix
   rows: 5
   cols: 1
   dt: d
   data: [ 0., 0., 0., 0., 0. ]
YML
printf -- "-1 0 0 0\n0 0 -1 0\n0 -1 0 %s\n0 0 0 1\n" "$sad" > "$tmp/pose.txt"

now() { date +%s.%N; }
t0=$(now)
plastimatch drr -i exact -P none -t raw -o "0 0 0" -n "0 -1 0" --vup "0 0 1" --sad $sad --sid $sid \
  -r "$res $res" -z "$det $det" -O "$tmp/pm" "$tmp/vol.nii" > "$tmp/pm.log" 2>&1
t1=$(now)
"$camreg" render --volume "$tmp/vol.nii" --camera "$tmp/cam.yml" --pose "$tmp/pose.txt" --mode drr \
  --out "$tmp/cr.nii" > "$tmp/cr.log" 2>&1
t2=$(now)
pm_raw=$(ls "$tmp"/pm*.raw | head -1)
cr_ms=$(sed -n 's/.* in \([0-9.]*\) ms.*/\1/p' "$tmp/cr.log" | head -1)
python3 - "$pm_raw" "$tmp/cr.nii" "$res" "$t0" "$t1" "$t2" "$cr_ms" <<'PY'
import struct, sys, math
pm_path, cr_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0, t1, t2, cr_ms = map(float, sys.argv[4:8])
pm = struct.unpack('<%df' % (n * n), open(pm_path, 'rb').read()[: 4 * n * n])
d = open(cr_path, 'rb').read()
off = int(struct.unpack_from('<f', d, 108)[0])
cr = struct.unpack_from('<%df' % (n * n), d, off)
def corr(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a); sbb = sum((y - mb) ** 2 for y in b)
    return sab / math.sqrt(saa * sbb) if saa > 0 and sbb > 0 else float('nan')
def flip(img, fu, fv):
    return [img[(n - 1 - v if fv else v) * n + (n - 1 - u if fu else u)] for v in range(n) for u in range(n)]
best = max(((corr(flip(pm, fu, fv), cr), fu, fv) for fu in (0, 1) for fv in (0, 1)))
print('detector %dx%d, SAD 1000 mm, SID 1500 mm, 300 mm detector' % (n, n))
print('plastimatch drr (exact):  %8.1f ms (whole process)' % (1e3 * (t1 - t0)))
print('camreg render --mode drr: %8.1f ms (whole process), %.1f ms render' % (1e3 * (t2 - t1), cr_ms))
print('time ratio plastimatch / camreg: %.2f (process), %.2f (vs camreg render only)'
      % ((t1 - t0) / (t2 - t1), 1e3 * (t1 - t0) / cr_ms))
print('correlation %.4f (plastimatch image flipped u:%d v:%d)' % best)
PY
