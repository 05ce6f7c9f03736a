#!/usr/bin/env bash
# camreg reslice --curve / unreslice: the curve files (CSV RAS, .fcsv LPS, .mrk.json LPS)
# give the same slices; the slice matrices, the ITK transforms and the displacement field
# read by nibabel/numpy (independent readers, ITK's LPS conventions) put every slice pixel
# where the original has the slice's value; unreslice maps back; bad input fails cleanly.
set -u
camreg="$1"
source "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
py=/usr/bin/python3
$py -c 'import nibabel, numpy' 2>/dev/null || { echo "SKIP: python3-nibabel missing"; exit 77; }

check "phantom" 0 "$camreg" phantom -o "$tmp/v.nii.gz" --size 60,70,56 --spacing 2.5 --orientation LPI --oblique 8
cat > "$tmp/c.csv" <<'CSV'
x,y,z
-30,-50,5
-10,-20,20
10,5,15
20,35,25
CSV
cat > "$tmp/c.fcsv" <<'FCSV'
# Markups fiducial file version = 4.11
# CoordinateSystem = LPS
# columns = id,x,y,z,ow,ox,oy,oz,vis,sel,lock,label,desc,associatedNodeID
1,30,50,5,0,0,0,1,1,1,0,F-1,,
2,10,20,20,0,0,0,1,1,1,0,F-2,,
3,-10,-5,15,0,0,0,1,1,1,0,F-3,,
4,-20,-35,25,0,0,0,1,1,1,0,F-4,,
FCSV
printf '# CoordinateSystem = LPS\n30,50,5\n10,20,20\n-10,-5,15\n-20,-35,25\n' > "$tmp/c_lps.csv"
cat > "$tmp/c.mrk.json" <<'JSON'
{"markups": [{"type": "Curve", "coordinateSystem": "LPS", "controlPoints": [
 {"label": "1", "position": [30, 50, 5]}, {"label": "2", "position": [10, 20, 20]},
 {"label": "3", "position": [-10, -5, 15]}, {"label": "4", "position": [-20, -35, 25]}]}]}
JSON
opts=(--size 48,40 --spacing 1.5 --step 2)
check "reslice --curve csv" 0 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c.csv" "${opts[@]}" \
  -o "$tmp/st.nii.gz" --transforms "$tmp/slices.json" --itk-dir "$tmp/tfm" --field "$tmp/field.nii.gz" \
  --mip "$tmp/mip.nii.gz" --drr "$tmp/drr.tif" --axis u --slab 10
for f in st.nii.gz slices.json tfm/slice_0000.tfm field.nii.gz mip.nii.gz drr.tif; do exists "$tmp/$f"; done
check "reslice --curve fcsv (LPS)" 0 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c.fcsv" "${opts[@]}" -o "$tmp/st_fcsv.nii.gz"
check "reslice --curve csv (LPS comment)" 0 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c_lps.csv" "${opts[@]}" -o "$tmp/st_csvlps.nii.gz"
check "reslice --curve mrk.json (LPS)" 0 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c.mrk.json" "${opts[@]}" \
  -o "$tmp/st_mrk.nii.gz" --field "$tmp/field1006.nii.gz" --field-intent dispvect

$py - "$tmp" <<'PY' || fails=$((fails + 1))
import json, sys, glob, os
import numpy as np, nibabel as nb
d = sys.argv[1]
F = np.diag([-1.0, -1.0, 1.0])
orig = nb.load(f"{d}/v.nii.gz"); V = orig.get_fdata(); vox_from_world = np.linalg.inv(orig.affine)
st = nb.load(f"{d}/st.nii.gz").get_fdata()
js = json.load(open(f"{d}/slices.json"))
M = np.array([s["world_from_pixel"] for s in js["slices"]])
w, h, n = js["width"], js["height"], len(M)
assert st.shape == (w, h, n), st.shape
for other in ("st_fcsv", "st_mrk", "st_csvlps"):  # the LPS files give the same slices as the RAS CSV
    o = nb.load(f"{d}/{other}.nii.gz").get_fdata()
    assert np.abs(o - st).max() < 1e-3, (other, np.abs(o - st).max())

def trilinear(p):  # p: world RAS points (k, 3) -> values, edge-extended by half a voxel
    ijk = (vox_from_world[:3, :3] @ p.T).T + vox_from_world[:3, 3]
    out = np.zeros(len(p)); ok = np.all((ijk >= -0.5) & (ijk <= np.array(V.shape) - 0.5), axis=1)
    q = np.clip(ijk, 0, np.array(V.shape) - 1)
    i0 = np.minimum(np.floor(q).astype(int), np.array(V.shape) - 2); f = q - i0
    for c in range(8):
        o = np.array([(c >> 0) & 1, (c >> 1) & 1, (c >> 2) & 1])
        wgt = np.prod(np.where(o, f, 1 - f), axis=1)
        out += wgt * V[i0[:, 0] + o[0], i0[:, 1] + o[1], i0[:, 2] + o[2]]
    return np.where(ok, out, 0.0)

rng = np.random.default_rng(3)
k = rng.integers(0, n, 400); u = rng.integers(0, w, 400); v = rng.integers(0, h, 400)
pix = np.stack([u, v, np.zeros(400), np.ones(400)], 1)
world = np.einsum("kij,kj->ki", M[k], pix)[:, :3]
rel = np.abs(trilinear(world) - st[u, v, k]).max() / np.ptp(V)
print(f"slice matrices: worst relative difference {rel:.2e}")
assert rel <= 1e-4, rel

# Displacement field, intent 1007: LPS vectors on the straightened grid (ITK's own layout).
fld = nb.load(f"{d}/field.nii.gz")
assert fld.shape == (w, h, n, 1, 3) and int(fld.header["intent_code"]) == 1007, (fld.shape, fld.header["intent_code"])
D = fld.get_fdata()[:, :, :, 0, :]
ijk = np.stack([u, v, k, np.ones(400)], 1)
xs = (fld.affine @ ijk.T).T[:, :3]                       # straightened voxel, RAS
x_lps = (F @ xs.T).T + D[u, v, k]                         # ITK: x_lps + d_lps
err = np.abs((F @ x_lps.T).T - world).max()
print(f"field (1007, LPS): worst error {err:.2e} mm")
assert err < 1e-3, err
f6 = nb.load(f"{d}/field1006.nii.gz")
assert int(f6.header["intent_code"]) == 1006
err6 = np.abs(xs + f6.get_fdata()[:, :, :, 0, :][u, v, k] - world).max()  # RAS vectors
assert err6 < 1e-3, err6

# ITK transforms: Slicer's RAS "to parent" = inverse(F M_lps F) places the slice frame.
sp, step = js["spacing_mm"], js["step_mm"]
for kk in (0, n // 2, n - 1):
    lines = open(f"{d}/tfm/slice_{kk:04d}.tfm").read().splitlines()
    assert lines[0] == "#Insight Transform File V1.0" and "AffineTransform_double_3_3" in lines[2]
    p = np.array(lines[3].split(":")[1].split(), float)
    A = np.eye(4); A[:3, :3] = p[:9].reshape(3, 3); A[:3, 3] = p[9:]
    F4 = np.diag([-1.0, -1, 1, 1])
    to_parent = np.linalg.inv(F4 @ A @ F4)
    for (uu, vv) in ((0, 0), (w - 1, 0), (7, h - 1)):
        a = to_parent @ np.array([uu * sp, vv * sp, 0, 1])
        b = M[kk] @ np.array([uu, vv, 0, 1])
        assert np.abs(a - b).max() < 1e-6, (kk, a, b)
print(f"{len(glob.glob(d + '/tfm/*.tfm'))} ITK transforms place their slices")
assert len(glob.glob(d + "/tfm/*.tfm")) == n
PY

check "unreslice" 0 "$camreg" unreslice -i "$tmp/st.nii.gz" -t "$tmp/slices.json" -r "$tmp/v.nii.gz" -o "$tmp/back.nii.gz"
exists "$tmp/back.nii.gz"
grep -q "voxels in the swept region" "$tmp/err" || fail "unreslice prints no region size"
check "unreslice labels" 0 "$camreg" unreslice -i "$tmp/st.nii.gz" -t "$tmp/slices.json" -r "$tmp/v.nii.gz" -o "$tmp/lab.nii.gz" --nearest --bits 16 --outside 0
check "reslice --help" 0 "$camreg" reslice --help
grep -q -- "--curve FILE" "$tmp/out" || fail "reslice --help lacks --curve"
check "unreslice --help" 0 "$camreg" unreslice --help

# Bad input: clear message, non-zero exit, nothing written.
printf 'x,y,z\n1,2,3\n' > "$tmp/one.csv"
check "one point" 1 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/one.csv" -o "$tmp/bad.nii.gz" --transforms "$tmp/bad.json"
expect_err "one point" "one.csv: curve: 1 point(s); a curve needs at least two"
absent "$tmp/bad.nii.gz"; absent "$tmp/bad.json"
printf 'x,y,z\n0,0,0\n10,0,0\n10,0,0\n20,5,0\n' > "$tmp/dup.csv"
check "zero-length segment" 1 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/dup.csv" -o "$tmp/bad.nii.gz" --field "$tmp/badf.nii.gz"
expect_err "zero-length segment" "dup.csv: curve: points 2 and 3 coincide (a zero-length segment)"
absent "$tmp/bad.nii.gz"; absent "$tmp/badf.nii.gz"
check "missing curve file" 1 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/none.csv" -o "$tmp/bad.nii.gz"
expect_err "missing curve file" "none.csv"
check "--centre with --curve" 2 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c.csv" --centre 0,0,0 -o "$tmp/bad.nii.gz"
check "--field without --curve" 2 "$camreg" reslice -v "$tmp/v.nii.gz" -o "$tmp/bad.nii.gz" --field "$tmp/f.nii.gz"
check "bad --field-intent" 2 "$camreg" reslice -v "$tmp/v.nii.gz" --curve "$tmp/c.csv" -o "$tmp/bad.nii.gz" --field "$tmp/f.nii.gz" --field-intent lps
check "unreslice wrong grid" 1 "$camreg" unreslice -i "$tmp/v.nii.gz" -t "$tmp/slices.json" -r "$tmp/v.nii.gz" -o "$tmp/bad.nii.gz"
expect_err "unreslice wrong grid" "the slices make 48 x 40"
echo '{"format": "something else"}' > "$tmp/notslices.json"
check "unreslice bad transforms" 1 "$camreg" unreslice -i "$tmp/st.nii.gz" -t "$tmp/notslices.json" -r "$tmp/v.nii.gz" -o "$tmp/bad.nii.gz"
expect_err "unreslice bad transforms" "notslices.json: not a camreg curve slices file"
absent "$tmp/bad.nii.gz"

exit $((fails > 0))
