#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/<harness>/): small valid
files of every format, prefixed by the selector byte a harness reads first (see the
fuzz_*.c files). Run from the repository root with the phantom and mesh files of
`camreg phantom`/`camreg mesh` in SEEDS (default /tmp/rel-seeds; see fuzz/README.md);
the committed corpus is its output, so the CI needs neither."""
import gzip, os, struct, sys

seeds = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rel-seeds"
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    d = os.path.join(root, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def rd(name):
    with open(os.path.join(seeds, name), "rb") as f:
        return f.read()


# NIfTI: selector (0 .nii, 1 .hdr/.img, 2 gzip-compressed by the harness, 3 raw .nii.gz),
# then the volume index byte (0 -> -1: a 3-D file).
nii = rd("p.nii")
put("nifti", "plain", bytes([0, 0]) + nii)
hdr = bytearray(nii[:348])
hdr[344:348] = b"ni1\0"  # a pair: magic ni1, data in the .img
put("nifti", "pair", bytes([1, 0]) + bytes(hdr) + nii[352:])
put("nifti", "gz", bytes([2, 0]) + nii)
put("nifti", "rawgz", bytes([3, 0]) + rd("p.nii.gz"))
# a big-endian copy of the header (nibabel reads it; sizeof_hdr tells the byte order)
be = bytearray(nii)
fields = [(0, "i")] + [(40 + 2 * i, "h") for i in range(8)] + [(70, "h"), (72, "h")] \
    + [(76 + 4 * i, "f") for i in range(8)] + [(108, "f"), (112, "f"), (116, "f")] \
    + [(252, "h"), (254, "h")] + [(256 + 4 * i, "f") for i in range(6)] \
    + [(280 + 4 * i, "f") for i in range(12)]
for off, t in fields:
    n = struct.calcsize(t)
    be[off:off + n] = struct.pack(">" + t, struct.unpack("<" + t, nii[off:off + n])[0])
for i in range(352, len(nii), 4):
    be[i:i + 4] = be[i:i + 4][::-1]
put("nifti", "bigendian", bytes([0, 0]) + bytes(be))

# Images: selector = index of the extension in fuzz_image.c.
import zlib
def png(w, h, px):
    raw = b"".join(b"\0" + bytes(px[y * w:(y + 1) * w]) for y in range(h))
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
put("image", "png", bytes([0]) + png(4, 3, list(range(0, 240, 20))))
put("image", "pgm", bytes([3]) + b"P5\n4 3\n255\n" + bytes(range(12)))
put("image", "ppm", bytes([4]) + b"P6\n2 2\n255\n" + bytes(range(12)))
put("image", "pgm16", bytes([3]) + b"P5\n2 2\n65535\n" + bytes(range(8)))

# Camera files: selector 0 .yml, 2 .xml, 3 .json.
with open("experiments/configs/camera_320x240.yml", "rb") as f:
    put("camera", "yml", bytes([0]) + f.read())
put("camera", "xml", bytes([2]) + b"""<?xml version="1.0"?>
<opencv_storage>
<image_width>64</image_width><image_height>48</image_height>
<camera_matrix type_id="opencv-matrix"><rows>3</rows><cols>3</cols><dt>d</dt>
<data>100. 0. 31.5 0. 100. 23.5 0. 0. 1.</data></camera_matrix>
<distortion_coefficients type_id="opencv-matrix"><rows>1</rows><cols>4</cols><dt>d</dt>
<data>0.01 0. 0. 0.</data></distortion_coefficients>
</opencv_storage>
""")
put("camera", "json", bytes([3]) + b"""{
"image_width": 64, "image_height": 48,
"camera_matrix": {"type_id": "opencv-matrix", "rows": 3, "cols": 3, "dt": "d",
  "data": [100.0, 0.0, 31.5, 0.0, 100.0, 23.5, 0.0, 0.0, 1.0]},
"distortion_coefficients": {"type_id": "opencv-matrix", "rows": 5, "cols": 1, "dt": "d",
  "data": [0.0, 0.0, 0.0, 0.0, 0.0]}
}
""")

# Pose files.
with open("experiments/configs/pose_colin27_top.txt", "rb") as f:
    put("pose", "top", f.read())
put("pose", "rvec", b"# camreg pose: cam_from_world\n0.36 -0.48 0.8 10\n0.8 0.6 0 -20\n"
    b"-0.48 0.64 0.6 250\n0 0 0 1\n# rvec: 0.1 0.2 0.3\n# tvec: 10 -20 250\n")

# Landmarks: selector 0 .mrk.json, 1 .fcsv, 2 .csv (3-D), 3 .csv (2-D).
put("landmarks", "mrk", bytes([0]) + b'{"@schema": "x", "markups": [{"type": "Fiducial", '
    b'"coordinateSystem": "LPS", "controlPoints": [{"id": "1", "label": "A", "position": '
    b'[1.5, -2.0, 3.0], "positionStatus": "defined"}, {"id": "2", "label": "B", "position": '
    b'[0, 0, 0], "positionStatus": "undefined"}, {"id": "3", "label": "C", "position": '
    b'[4, 5, -6]}]}]}')
put("landmarks", "fcsv", bytes([1]) + b"# Markups fiducial file version = 4.11\n"
    b"# CoordinateSystem = 1\n# columns = id,x,y,z,ow,ox,oy,oz,vis,sel,lock,label,desc,associatedNodeID\n"
    b"vtkMRMLMarkupsFiducialNode_0,10.5,-20,30,0,0,0,1,1,1,0,F-1,,\n"
    b"vtkMRMLMarkupsFiducialNode_1,1,2,3,0,0,0,1,1,1,0,F-2,,\n")
put("landmarks", "csv3", bytes([2]) + b"label,x,y,z\n# a comment\nA,1,2,3\nB,4,5,6\nC,-7,8.5,9e1\n")
put("landmarks", "csv3n", bytes([2]) + b"1,2,3\n4,5,6\n")
put("landmarks", "csv2", bytes([3]) + b"label,u,v\nA,10,20.5\nB,30,40\n")

# Meshes: selector 0 .ply, 1 .stl, 2 .obj, 3 .vtk.
put("mesh", "ply_ascii", bytes([0]) + rd("m.ply"))
put("mesh", "ply_bin", bytes([0]) + rd("mb.ply"))
put("mesh", "stl_bin", bytes([1]) + rd("m.stl"))
put("mesh", "stl_ascii", bytes([1]) + b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n"
    b"vertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n")
put("mesh", "obj", bytes([2]) + rd("m.obj"))
put("mesh", "obj_small", bytes([2]) + b"# SPACE=RAS\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\n"
    b"vn 0 0 1\nf 1//1 2//1 3//1\nf 1 2 4\nf -1 -2 -3\n")
put("mesh", "vtk", bytes([3]) + rd("m.vtk"))
put("mesh", "ply_be", bytes([0]) + b"ply\nformat binary_big_endian 1.0\ncomment SPACE=RAS\n"
    b"element vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
    b"element face 1\nproperty list uchar int vertex_indices\nend_header\n"
    + struct.pack(">9f", 0, 0, 0, 1, 0, 0, 0, 1, 0) + struct.pack(">B3i", 3, 0, 1, 2))

# ITK transforms.
put("itk", "affine", b"#Insight Transform File V1.0\n#Transform 0\n"
    b"Transform: AffineTransform_double_3_3\n"
    b"Parameters: 0 -1 0 1 0 0 0 0 1 1 2 3\nFixedParameters: 5 6 7\n")
put("itk", "identity", b"#Insight Transform File V1.0\n#Transform 0\n"
    b"Transform: AffineTransform_double_3_3\n"
    b"Parameters: 1 0 0 0 1 0 0 0 1 10 20 -30\nFixedParameters: 0 0 0\n")

# Experiment configs (no volume file: the phantom).
put("expconfig", "small", b'name = "fuzz"; trial = "registration";\n'
    b'camera = { width = 64; height = 48; fov_deg = 30.0; };\n'
    b'views = { distance_mm = [150.0, 250.0]; axis = [0.0, 0.0, 1.0]; axis_cone_deg = 40.0;'
    b' view_cone_deg = 15.0; roll_deg = [-180.0, 180.0]; };\n'
    b'registration = { mode = "surface"; metric = "ngf"; optimizer = "nelder-mead"; levels = 2;'
    b' starts = 1; max_evals = 50; };\n'
    b'methods = ( { name = "a"; }, { name = "b"; metric = "ncc"; } );\n'
    b'start = { bins_mm = [0.0, 5.0, 10.0]; };\ntrials = 4; success_mm = 2.0; seed = 1;\n')
for name in ("demo.cfg", "render_modes.cfg", "metrics.cfg", "photometric.cfg", "optimizers.cfg"):
    with open(os.path.join("experiments/configs", name), "rb") as f:
        put("expconfig", name.replace(".cfg", ""), f.read())

# Render: the header of fuzz_render.c, then voxel floats.
def render_seed(dims, flags, geo, extra, voxels):
    return bytes(dims) + bytes([flags, geo]) + extra + struct.pack("<%df" % len(voxels), *voxels)
ball = [100.0 if (x - 2) ** 2 + (y - 2) ** 2 + (z - 2) ** 2 < 5 else 0.0
        for z in range(5) for y in range(5) for x in range(5)]
# geo 0: diagonal spacing bytes (3), fov byte, rvec bytes (3), step, smooth, probe, distance
put("render", "ball", render_seed([4, 4, 4], 2, 0, bytes([49, 49, 49, 30, 128, 128, 128, 0, 50, 76, 10]), ball))
put("render", "ball_nn", render_seed([4, 4, 4], 1 | 16 | 32 | 128, 0,
    bytes([19, 29, 39, 60, 100, 140, 128, 13, 50, 76, 5]), ball))
aff = struct.pack("<12f", 9, 1, 0, -20, 0, 10, 0, -20, 0, 0, 11, -20)
cam = struct.pack("<9f", 40, 41, 15.5, 16, -0.1, 0.01, 0.001, 0, 0)
put("render", "oblique", render_seed([4, 4, 4], 2 | 4 | 64, 1 | 2, aff + bytes([30]) + cam
    + bytes([128, 140, 128, 10, 25, 50, 20]), ball))
