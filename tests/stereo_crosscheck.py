#!/usr/bin/env python3
"""Cross-check of `camreg calibrate --stereo` with Python OpenCV (run by
tests/cli_calibrate_stereo.sh; issue 14's acceptance: baseline within 1 %, rotation
within 0.1 deg of cv2.stereoCalibrate on the same corners).

usage: stereo_crosscheck.py RIG.yml CORNERS.csv PHOTO_DIR

1. Reads camreg's rig file with cv2.FileStorage (sizes, M1 D1 M2 D2 R T).
2. Same corners: from camreg's --corners CSV, calibrates each camera with
   cv2.calibrateCamera on the corners camreg's per-camera calibration used, then
   cv2.stereoCalibrate (CALIB_FIX_INTRINSIC) on the corners of the stereo calibration.
3. Own corners: detects the boards in PHOTO_DIR's photos itself (the parameters of
   calib/cv_calib.cpp) and repeats 2 (reported, and held to the same bounds).
4. For information: a joint cv2.stereoCalibrate that also refines the intrinsics.
Exit 0 when the bounds hold, 1 otherwise, 77 when cv2 cannot be imported."""
import csv
import math
import os
import sys

try:
    import cv2
    import numpy as np
except ImportError as e:
    print(f"SKIP: python3-opencv not importable ({e})")
    sys.exit(77)

CRIT = (cv2.TERM_CRITERIA_COUNT + cv2.TERM_CRITERIA_EPS, 100, sys.float_info.epsilon)
BASELINE_REL = 0.01
ROTATION_DEG = 0.1


def read_rig(path):
    fs = cv2.FileStorage(path, cv2.FILE_STORAGE_READ)
    if not fs.isOpened():
        sys.exit(f"FAIL: cv2.FileStorage cannot open {path}")
    rig = {k: fs.getNode(k).mat() for k in ("M1", "D1", "M2", "D2", "R", "T", "E", "F")}
    for k in ("image_width", "image_height", "image_width2", "image_height2", "rms"):
        rig[k] = fs.getNode(k).real()
    rig["units"] = fs.getNode("units").string()
    return rig


def read_corners(path):
    """{side: {pair: (photo, [(x, y, u, v, used_camera, used_stereo)])}}"""
    out = {"left": {}, "right": {}}
    with open(path) as f:
        for row in csv.DictReader(f):
            pair = int(row["pair"])
            entry = out[row["side"]].setdefault(pair, (row["photo"], []))
            entry[1].append((float(row["x_mm"]), float(row["y_mm"]), float(row["u"]),
                             float(row["v"]), int(row["used_camera"]), int(row["used_stereo"])))
    return out


def points(rows, col):
    obj = np.array([[r[0], r[1], 0] for r in rows if r[col]], np.float32)
    img = np.array([[r[2], r[3]] for r in rows if r[col]], np.float32)
    return obj, img


def calibrate(corners, sizes, flags_joint=False):
    """Per-camera calibrateCamera, then stereoCalibrate; returns R, T, rms, K/D."""
    cams = {}
    for side in ("left", "right"):
        objs, imgs = [], []
        for pair in sorted(corners[side]):
            obj, img = points(corners[side][pair][1], 4)
            if len(obj):
                objs.append(obj), imgs.append(img)
        rms, K, D, _, _ = cv2.calibrateCamera(objs, imgs, sizes[side], None, None, flags=0,
                                              criteria=CRIT)
        cams[side] = (K, D, rms)
    objs, il, ir = [], [], []
    for pair in sorted(corners["left"]):
        lrows, rrows = corners["left"][pair][1], corners["right"][pair][1]
        obj, a = points(lrows, 5)
        _, b = points(rrows, 5)
        if len(obj):
            objs.append(obj), il.append(a), ir.append(b)
    (K1, D1, _), (K2, D2, _) = cams["left"], cams["right"]
    flags = cv2.CALIB_USE_INTRINSIC_GUESS if flags_joint else cv2.CALIB_FIX_INTRINSIC
    rms, K1, D1, K2, D2, R, T, E, F = cv2.stereoCalibrate(objs, il, ir, K1, D1, K2, D2,
                                                          sizes["left"], flags=flags,
                                                          criteria=CRIT)
    return {"R": R, "T": T.ravel(), "rms": rms, "K1": K1, "D1": D1, "K2": K2, "D2": D2,
            "cams": cams}


def detect(photo_dir, corners, cols=9, rows=6):
    """The boards of the same photos detected by cv2 with calib/cv_calib.cpp's parameters
    (photos of at most 1600 px: no resizing), in the CSV's structure."""
    own = {"left": {}, "right": {}}
    worst = 0.0
    flags = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE | cv2.CALIB_CB_FAST_CHECK
    for side in ("left", "right"):
        for pair, (photo, rows_cr) in corners[side].items():
            img = cv2.imread(os.path.join(photo_dir, os.path.basename(photo)), cv2.IMREAD_GRAYSCALE)
            if img is None or max(img.shape) > 1600:
                sys.exit(f"FAIL: cannot use {photo} for the own-detection check")
            found, pts = cv2.findChessboardCorners(img, (cols, rows), flags=flags)
            if not found:
                sys.exit(f"FAIL: cv2 finds no board in {photo}, camreg did")
            p = pts.reshape(-1, 2)
            d = min(np.linalg.norm(p.reshape(rows, cols, 2)[:, 1:] - p.reshape(rows, cols, 2)[:, :-1],
                                   axis=2).min(),
                    np.linalg.norm(p.reshape(rows, cols, 2)[1:] - p.reshape(rows, cols, 2)[:-1],
                                   axis=2).min())
            half = max(2, min(11, int(0.4 * d)))
            pts = cv2.cornerSubPix(img, pts, (half, half), (-1, -1),
                                   (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_COUNT, 30, 0.01))
            p = pts.reshape(-1, 2)
            new_rows = []
            for k, r in enumerate(rows_cr):
                worst = max(worst, math.hypot(p[k, 0] - r[2], p[k, 1] - r[3]))
                new_rows.append((r[0], r[1], float(p[k, 0]), float(p[k, 1]), r[4], r[5]))
            own[side][pair] = (photo, new_rows)
    return own, worst


def rotation_angle_deg(Ra, Rb):
    c = (np.trace(Ra.T @ Rb) - 1) / 2
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def compare(label, ref, rig, check):
    base_cr, base_py = np.linalg.norm(rig["T"]), np.linalg.norm(ref["T"])
    rel = abs(base_cr - base_py) / base_py
    rot = rotation_angle_deg(rig["R"], ref["R"])
    ang_cr = rotation_angle_deg(np.eye(3), rig["R"])
    ang_py = rotation_angle_deg(np.eye(3), ref["R"])
    print(f"{label}: baseline camreg {base_cr:.6f} python {base_py:.6f} (rel diff {rel:.2e}); "
          f"angle between cameras camreg {ang_cr:.5f} deg python {ang_py:.5f} deg; "
          f"R difference {rot:.2e} deg; rms camreg {rig['rms']:.5f} python {ref['rms']:.5f} px")
    if check and (rel > BASELINE_REL or rot > ROTATION_DEG):
        print(f"FAIL: {label}: baseline differs by {100 * rel:.3f} % (bound 1 %) or rotation by "
              f"{rot:.4f} deg (bound 0.1 deg)")
        return 1
    return 0


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rig = read_rig(sys.argv[1])
    corners = read_corners(sys.argv[2])
    if rig["units"] != "mm":
        sys.exit(f"FAIL: units is '{rig['units']}'")
    sizes = {"left": (int(rig["image_width"]), int(rig["image_height"])),
             "right": (int(rig["image_width2"]), int(rig["image_height2"]))}
    fails = 0
    same = calibrate(corners, sizes)
    # The intrinsics camreg wrote are what cv2 finds on the same corners.
    for k in ("M1", "D1", "M2", "D2"):
        ref = same[{"M1": "K1", "D1": "D1", "M2": "K2", "D2": "D2"}[k]].ravel()
        diff = np.abs(rig[k].ravel() - ref).max()
        print(f"{k}: max |camreg - python| = {diff:.2e}")
        if diff > 1e-3 * max(1.0, np.abs(ref).max()):
            print(f"FAIL: {k} differs from cv2.calibrateCamera's by {diff}")
            fails += 1
    fails += compare("same corners", same, rig, True)
    own, worst = detect(sys.argv[3], corners)
    print(f"own detection: largest corner difference to camreg's {worst:.2e} px")
    fails += compare("own corners", calibrate(own, sizes), rig, True)
    compare("joint (intrinsics refined too, information only)", calibrate(corners, sizes, True),
            rig, False)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
