"""Shared fixtures: the camreg program, a phantom volume, a small camera, poses and a
synthetic photo made by the CLI (no dataset needed)."""

import os
import subprocess

import numpy as np
import pytest

import camreg

CAMERA_YML = """%YAML:1.0
---
image_width: 96
image_height: 80
camera_matrix: !!opencv-matrix
   rows: 3
   cols: 3
   dt: d
   data: [ 180., 0., 47.5, 0., 182., 39.5, 0., 0., 1. ]
distortion_coefficients: !!opencv-matrix
   rows: 1
   cols: 5
   dt: d
   data: [ -0.04, 0.01, 0., 0., 0. ]
"""


def exe():
    path = os.environ.get("CAMREG_EXE")
    if not path or not os.path.isfile(path):
        pytest.skip("CAMREG_EXE (the built camreg program) is not set")
    return path


def cli(*args, check=True):
    """Runs `camreg ARGS`; returns the CompletedProcess (text)."""
    p = subprocess.run([exe(), *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"camreg {' '.join(map(str, args))} failed ({p.returncode}):\n"
                             f"{p.stderr}")
    return p


@pytest.fixture(scope="session")
def scene(tmp_path_factory):
    """A phantom (3.5 mm voxels), a 96x80 camera with distortion, the true pose looking down
    at the phantom's top from 230 mm, a start pose 2-3 mm off, and the CLI's synthetic photo."""
    d = tmp_path_factory.mktemp("scene")
    (d / "cam.yml").write_text(CAMERA_YML)
    (d / "truth.txt").write_text("1 0 0 -10\n0 -1 0 20\n0 0 -1 230\n0 0 0 1\n")
    (d / "start.txt").write_text("1 0 0 -8\n0 -1 0 19\n0 0 -1 231\n0 0 0 1\n")
    cli("phantom", "-o", d / "ph.nii.gz", "--size", "48,56,48", "--spacing", "3.5")
    cli("synth", "--volume", d / "ph.nii.gz", "--camera", d / "cam.yml", "--pose",
        d / "truth.txt", "-o", d / "photo.png", "--mask", d / "mask.png", "--seed", "5")
    vol = camreg.Volume.load(d / "ph.nii.gz")
    yield {"dir": d, "volume": vol, "camera": camreg.Camera.read(d / "cam.yml"),
           "truth": camreg.Pose.read(d / "truth.txt"), "start": camreg.Pose.read(d / "start.txt"),
           "photo": camreg.read_image(d / "photo.png"), "mask": camreg.read_image(d / "mask.png")}
    vol.close()


def same(a, b):
    """Bit-for-bit equality of two float arrays (NaN where both are NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
