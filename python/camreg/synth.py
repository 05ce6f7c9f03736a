"""Synthetic intraoperative photos with a known pose (experiments/synth.h)."""

import ctypes

import numpy as np

from . import _lib
from ._lib import lib


def synth(volume, camera, pose, target=None, **options):
    """A synthetic photo of `volume` seen by `camera` at `pose` (cam_from_world), made by an
    appearance model registration does not use, as `camreg synth`. Returns (photo, mask):
    photo float32 (h, w, 3) RGB 0..255 (not rounded to 8 bits: `camreg synth` writes it as
    an 8-bit PNG), mask float32 (h, w), 1 where the cortex is seen in the opening.
    target: world point (mm) the opening is centred on (default: the centroid of the cortex
    seen in the central third). options: `camreg synth`'s ('_' for '-'): iso, opening,
    occluders, vessels, sulci, specular, illumination, cast, noise, blur, light_tilt, jpeg,
    seed, and supersample."""
    mem = volume._ref("synth")  # held until the call returns
    vptr = mem.ptr
    tgt = None
    if target is not None:
        tgt = np.ascontiguousarray(target, dtype=np.float64)
        if tgt.shape != (3,):
            raise ValueError(f"target: expected 3 numbers (world mm), got shape {tgt.shape}")
    opts = _lib.check_ptr(lib.cr_py_synth_options_new(), "synth")
    try:
        for k, v in options.items():
            _lib.check(lib.cr_py_synth_options_set(opts, k.encode(), _lib.text(v).encode()))
        photo = np.empty((camera.height, camera.width, 3), np.float32)
        mask = np.empty((camera.height, camera.width), np.float32)
        pv, mv = _lib.image_view(photo, "photo"), _lib.image_view(mask, "mask")
        cam, ps = camera._c(), pose._c()
        rc = lib.cr_py_synth(vptr, ctypes.byref(cam), ctypes.byref(ps),
                             tgt.ctypes.data_as(_lib.c_dbl_p) if tgt is not None else None, opts,
                             ctypes.byref(pv), ctypes.byref(mv))
        err = _lib.error(rc, "synth") if rc else None
    finally:
        lib.cr_py_synth_options_free(opts)
    if err:
        raise err
    return photo, mask
