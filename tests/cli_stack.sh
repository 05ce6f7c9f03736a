#!/usr/bin/env bash
# camreg stack: a folder of 16-bit PNGs in natural name order stays 16-bit and places the
# slices at the given spacing (read back by nibabel); jet-coloured RGB images invert to
# their scalar; --crop, --positions and shape-based masks work; images of different sizes,
# an unknown colour map or a colour image without a map fail cleanly with no output.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
py=/usr/bin/python3
$py -c 'import nibabel, numpy' 2>/dev/null || { echo "SKIP: python3-nibabel missing"; exit 77; }

mkdir -p "$tmp/grey" "$tmp/jet" "$tmp/mask" "$tmp/odd"
# PNGs written by a few lines of zlib (independent of camreg and OpenCV).
$py - "$tmp" <<'PY'
import sys, zlib, struct
import numpy as np
d = sys.argv[1]
def png(path, a, depth):
    a = np.asarray(a); h, w = a.shape[:2]; ch = 1 if a.ndim == 2 else a.shape[2]
    dt = ">u2" if depth == 16 else "u1"
    raw = b"".join(b"\0" + a[i].astype(dt).tobytes() for i in range(h))
    def chunk(t, x): return struct.pack(">I", len(x)) + t + x + struct.pack(">I", zlib.crc32(t + x) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, 0 if ch == 1 else 2, 0, 0, 0)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
yy, xx = np.mgrid[0:20, 0:30]
for s in range(1, 13):  # s1 .. s12: natural order, value 1000 * s + x
    png(f"{d}/grey/s{s}.png", 1000 * s + xx, 16)
def jet(t):
    c = lambda x: np.clip(1.5 - np.abs(4 * t - x), 0, 1)
    return np.stack([c(3), c(2), c(1)], -1)
for s in range(3):
    t = (xx + 30 * s) / 89.0
    png(f"{d}/jet/j{s}.png", np.rint(255 * jet(t)), 8)
for s in range(5):  # a disc shrinking with the slice
    png(f"{d}/mask/m{s}.png", ((xx - 15) ** 2 + (yy - 10) ** 2 <= (8 - s) ** 2) * 1, 8)
png(f"{d}/odd/a.png", xx * 0 + 5, 8); png(f"{d}/odd/b.png", np.zeros((21, 30)), 8)
png(f"{d}/rgb.png", np.rint(255 * jet(xx / 29.0)), 8)
PY

check "stack 16-bit folder" 0 "$camreg" stack -o "$tmp/g.nii.gz" --pixel 0.5,0.25 --slice-spacing 3 --out-slice 1 \
  --origin 10,20,30 --interp linear "$tmp/grey"
grep -q "16-bit; 12 images" "$tmp/err" || fail "stack does not report 16-bit / 12 images: $(cat "$tmp/err")"
check "stack cubic" 0 "$camreg" stack -o "$tmp/gc.nii.gz" --slice-spacing 3 --out-slice 1 --interp cubic "$tmp/grey"
check "stack crop" 0 "$camreg" stack -o "$tmp/crop.nii.gz" --crop 5,2,10,8 --bits 32 "$tmp/grey"/s1.png "$tmp/grey"/s10.png "$tmp/grey"/s2.png
printf '0\n2.5\n# comment\n10\n' > "$tmp/pos.txt"
check "stack positions" 0 "$camreg" stack -o "$tmp/pos.nii.gz" --positions "$tmp/pos.txt" "$tmp/grey"/s1.png "$tmp/grey"/s2.png "$tmp/grey"/s3.png
check "stack jet" 0 "$camreg" stack -o "$tmp/jet.nii.gz" --colormap jet --range 0,89 "$tmp/jet"
check "stack shape-based mask" 0 "$camreg" stack -o "$tmp/mask.nii.gz" --slice-spacing 4 --interp shape "$tmp/mask"
$py - "$tmp" <<'PY' || fails=$((fails + 1))
import sys
import numpy as np, nibabel as nb
d = sys.argv[1]
g = nb.load(f"{d}/g.nii.gz")
assert g.get_data_dtype() == np.uint16, g.get_data_dtype()
assert g.shape == (30, 20, 34), g.shape                       # 11 gaps of 3 mm at 1 mm
assert np.allclose(g.affine, [[0.5, 0, 0, 10], [0, 0.25, 0, 20], [0, 0, 1, 30], [0, 0, 0, 1]]), g.affine
a = g.get_fdata()
z = np.arange(34) / 3.0                                       # slice index at each output z
want = np.rint(1000 * (1 + z)[None, None, :] + np.arange(30)[:, None, None])
assert np.abs(a - want).max() <= 0.5, np.abs(a - want).max()  # s2 after s1, s10 after s9
gc = nb.load(f"{d}/gc.nii.gz").get_fdata()
assert np.abs(gc - want).max() <= 0.5                          # a linear ramp: cubic exact too
c = nb.load(f"{d}/crop.nii.gz").get_fdata()
assert c.shape == (10, 8, 3) and c[0, 0, 0] == 1005 and c[0, 0, 1] == 2005 and c[0, 0, 2] == 10005, c[0, 0]
p = nb.load(f"{d}/pos.nii.gz")
assert p.shape[2] == 11 and abs(p.get_fdata()[0, 0, 1] - 1400) <= 0.5  # z = 1 mm of 0..2.5
j = nb.load(f"{d}/jet.nii.gz")
assert j.get_data_dtype() == np.float32
err = np.abs(j.get_fdata()[:, :, 0].T - np.arange(30)[None, :]).max()
print(f"jet inversion: worst error {err:.3f} of range 89")
assert err <= 0.89, err
m = nb.load(f"{d}/mask.nii.gz")
assert m.get_data_dtype() == np.uint8 and m.shape == (30, 20, 17)
area = m.get_fdata().sum(axis=(0, 1))
assert np.all(np.diff(area) <= 0) and area[0] > area[-1] > 0, area  # shrinks smoothly
PY

# Bad input: a message naming the file and the problem, non-zero exit, no output.
check "sizes differ" 1 "$camreg" stack -o "$tmp/bad.nii.gz" "$tmp/odd"
expect_err "sizes differ" "b.png is 30 x 21 but .*a.png is 30 x 20"
check "unknown colour map" 2 "$camreg" stack -o "$tmp/bad.nii.gz" --colormap rainbow "$tmp/jet"
expect_err "unknown colour map" 'unknown colour map "rainbow" (known: gray, jet, parula, viridis)'
check "colour without a map" 1 "$camreg" stack -o "$tmp/bad.nii.gz" "$tmp/rgb.png" "$tmp/rgb.png"
expect_err "colour without a map" "rgb.png: a colour image"
check "crop outside" 1 "$camreg" stack -o "$tmp/bad.nii.gz" --crop 25,0,10,5 "$tmp/grey"
expect_err "crop outside" "lies outside the 30 x 20 image"
check "bad orientation" 2 "$camreg" stack -o "$tmp/bad.nii.gz" --orientation RRS "$tmp/grey"
check "positions count" 1 "$camreg" stack -o "$tmp/bad.nii.gz" --positions "$tmp/pos.txt" "$tmp/grey"
expect_err "positions count" "3 positions for 12 images"
mkdir -p "$tmp/empty"
check "empty folder" 1 "$camreg" stack -o "$tmp/bad.nii.gz" "$tmp/empty"
check "8 bits too few" 1 "$camreg" stack -o "$tmp/bad.nii.gz" --bits 8 "$tmp/grey"
expect_err "8 bits too few" "does not fit 8-bit unsigned integers"
absent "$tmp/bad.nii.gz"
check "stack --help" 0 "$camreg" stack --help
exit $((fails > 0))
