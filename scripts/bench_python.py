"""What a Python call adds to a render (issue 18: <= 5 % over the library's own time at
256^2). For each mode, renders 256^2 frames of Colin27 through camreg.Renderer and compares
the wall time of each Python call with the time the library spent inside cr_render during
that call (Renderer.last_seconds, measured in C around cr_render): the difference is all the
Python side does (argument checks, ctypes structs, output arrays, the lock). Two variants:
new output arrays per frame, and arrays reused through out=. Medians over the frames.

Run: bash scripts/bench_python.sh [frames] (builds nothing; needs build/ and Colin27)."""

import os
import statistics
import sys
import time

import camreg

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
frames = int(sys.argv[1]) if len(sys.argv) > 1 else 50
vol = camreg.Volume.load(os.path.join(root, "datasets/data/colin27/ch2bet.nii.gz"))
cam = camreg.Camera.read(os.path.join(root, "experiments/configs/camera_256x256.yml"))
pose = camreg.Pose.read(os.path.join(root, "experiments/configs/pose_colin27_top.txt"))
print(f"{cam.width}x{cam.height}, {frames} frames per mode, load {os.getloadavg()[0]:.2f}")
print(f"{'mode':8s} {'variant':12s} {'library ms':>10s} {'python ms':>10s} {'added ms':>9s} "
      f"{'overhead':>8s}")
for mode in ("surface", "probe", "drr"):
    r = camreg.Renderer(vol, mode)
    out = r.render(cam, pose)  # warm-up: per-camera set-up, first touch of the arrays
    for variant in ("new arrays", "out= reused"):
        lib_s, wall_s = [], []
        for _ in range(frames):
            t0 = time.perf_counter()
            r.render(cam, pose, out=out if variant != "new arrays" else None)
            wall_s.append(time.perf_counter() - t0)
            lib_s.append(r.last_seconds)
        lib, wall = statistics.median(lib_s), statistics.median(wall_s)
        added = statistics.median(w - l for w, l in zip(wall_s, lib_s))
        print(f"{mode:8s} {variant:12s} {1e3 * lib:10.3f} {1e3 * wall:10.3f} {1e3 * added:9.3f} "
              f"{100 * added / lib:7.2f}%")
    r.close()
# What a call costs on its own: 8x8 frames, where the library's part is mostly OpenMP's.
tiny = cam.scaled(1 / 32)
r = camreg.Renderer(vol, "surface")
out = r.render(tiny, pose)
lib_s, wall_s = [], []
for _ in range(40 * frames):
    t0 = time.perf_counter()
    r.render(tiny, pose, out=out)
    wall_s.append(time.perf_counter() - t0)
    lib_s.append(r.last_seconds)
print(f"{tiny.width}x{tiny.height} surface: {1e6 * statistics.median(wall_s):.1f} us per call, "
      f"{1e6 * statistics.median(lib_s):.1f} us in the library, added "
      f"{1e6 * statistics.median(w - l for w, l in zip(wall_s, lib_s)):.1f} us")
