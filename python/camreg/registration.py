"""Registering a photo to a volume (registration/method.h, cost.h, pipeline.h)."""

import ctypes
import json

import numpy as np

from . import _lib
from .core import Pose
from ._lib import CPose, lib


def method_keys():
    """Every method key with its default value as text (`camreg register --help`'s keys;
    pass them to register() with '_' for '-')."""
    m = _lib.check_ptr(lib.cr_py_method_new(), "method_keys")
    try:
        keys = {}
        buf = ctypes.create_string_buffer(256)
        for i in range(lib.cr_reg_method_key_count()):
            name = ctypes.c_char_p()
            lib.cr_reg_method_key_info(i, ctypes.byref(name), None, None)
            lib.cr_reg_method_get(m, name.value, buf, len(buf))
            keys[name.value.decode()] = buf.value.decode()
        return keys
    finally:
        lib.cr_py_method_free(m)


def _method(keys):
    m = _lib.check_ptr(lib.cr_py_method_new(), "register")
    try:
        for k, v in keys.items():
            _lib.check(lib.cr_reg_method_set(m, k.encode(), _lib.text(v).encode()))
    except BaseException:
        lib.cr_py_method_free(m)
        raise
    return m


def register(volume, camera, photo, start, mask=None, focus_distance=None, focus_sigma=1.0,
             pivot=None, prior_distance=None, **method):
    """Finds the camera pose (cam_from_world) of `photo` relative to `volume`, exactly as
    `camreg register` does with the same inputs and method keys (same seed: same pose).

    photo: float32 (h, w) or (h, w, 1..4) of the camera's size, values as read (read_image);
    mask: optional, photo-sized, channel 0 non-zero = use; start: the start Pose;
    focus_distance / focus_sigma: the microscope's focus distance and its error (mm),
    turning on the focus prior; pivot: rotation centre (world mm, default: the centroid of
    the surface seen at the start); prior_distance: working distance for prior_weight.
    method: the keys of `camreg register --help` with '_' for '-' (mode, metric, optimizer,
    levels, max_evals, starts, seed, ...); an unknown key raises camreg.InvalidArgument.
    Returns (pose, report): the report is the dict of `camreg register --report` (without the
    file names): final_cost, evaluations, seconds, levels, start_pose, final_pose, pivot,
    pose_change, metric, mode, method, focus. The GIL is released while it runs."""
    mem = volume._ref("register")  # held until the call returns
    vptr = mem.ptr
    if not isinstance(start, Pose):
        raise TypeError(f"start: expected a camreg.Pose, got {type(start).__name__}")
    ph = _lib.image_view(photo, "photo")
    mk = _lib.image_view(mask, "mask") if mask is not None else None
    for what, v in (("photo", ph), ("mask", mk)):
        if v is not None and (v.width, v.height) != (camera.width, camera.height):
            raise ValueError(f"{what} is {v.width}x{v.height} but the camera is "
                             f"{camera.width}x{camera.height}")
    piv = None
    if pivot is not None:
        piv = np.ascontiguousarray(pivot, dtype=np.float64)
        if piv.shape != (3,):
            raise ValueError(f"pivot: expected 3 numbers (world mm), got shape {piv.shape}")
    m = _method(method)
    try:
        cam, st, final = camera._c(), start._c(), CPose()
        report = ctypes.c_void_p()
        rc = lib.cr_py_register(m, vptr, ctypes.byref(cam), ctypes.byref(ph),
                                ctypes.byref(mk) if mk is not None else None, ctypes.byref(st),
                                piv.ctypes.data_as(_lib.c_dbl_p) if piv is not None else None,
                                float(prior_distance or 0), float(focus_distance or 0),
                                float(focus_sigma), ctypes.byref(final), ctypes.byref(report))
        err = _lib.error(rc, "register") if rc else None
    finally:
        lib.cr_py_method_free(m)
    if err:
        raise err
    try:
        rep = json.loads(ctypes.string_at(report.value).decode())
    finally:
        lib.cr_py_free(report)
    return Pose._from_c(final), rep
