"""Rendering a volume through a camera (render/render.h) into NumPy arrays."""

import ctypes
import threading

import numpy as np

from . import _lib
from ._lib import CImage, CRenderOut, lib

_OUT_DEPTH, _OUT_XYZ, _OUT_NORMAL, _OUT_COLOUR = 1, 2, 4, 8
_BITS = {"depth": _OUT_DEPTH, "xyz": _OUT_XYZ, "normal": _OUT_NORMAL}
_ALL = ("image", "depth", "xyz", "normal", "hit")


class Renderer:
    """A renderer of one mode for one volume (cr_renderer_new), reused across frames.

    It keeps the volume's memory alive, precomputes what its mode needs (bricks, the
    smoothed field of the surface modes, the mesh) and caches per-camera work, so repeated
    `render` calls allocate nothing in the library. `options` are `camreg render`'s options
    with '_' for '-': step, nearest, window=(lo, hi), iso, tf, unlit, probe_depth,
    probe_mean, probe_normal, surface_smooth, smooth, probe, undistorted, background,
    and colour (volume mode: RGB image). An unknown option raises camreg.InvalidArgument.
    One Renderer serves one thread at a time (a lock guards it); the GIL is released
    while the library renders.
    """

    def __init__(self, volume, mode="surface", **options):
        mem = volume._ref("Renderer")
        vptr = mem.ptr
        self._r = None
        self.mode = str(mode)
        self._colour = bool(options.pop("colour", options.pop("color", False)))
        opts = _lib.check_ptr(lib.cr_py_render_options_new(self.mode.encode()), "mode")
        try:
            for k, v in options.items():
                _lib.check(lib.cr_py_render_options_set(opts, k.encode(), _lib.text(v).encode()))
            self._r = _lib.check_ptr(lib.cr_renderer_new(vptr, None, opts), "Renderer")
        finally:
            lib.cr_py_render_options_free(opts)
        self._mem = mem  # the volume must outlive the renderer (borrowed in C)
        self._bits = lib.cr_py_renderer_outputs(self._r)
        self._lock = threading.Lock()
        self.last_seconds = 0.0  # library time of the last render (cr_render alone)

    def close(self):
        with self._lock:
            if self._r:
                lib.cr_renderer_free(self._r)
            self._r = None
            self._mem = None

    def __del__(self):
        if getattr(self, "_r", None):
            lib.cr_renderer_free(self._r)
            self._r = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def outputs(self):
        """The outputs this mode makes, besides image and hit."""
        return tuple(k for k, b in _BITS.items() if self._bits & b)

    def _wanted(self, outputs):
        if outputs is None:
            return ["image", "hit"] + [k for k in ("depth", "xyz") if self._bits & _BITS[k]]
        if isinstance(outputs, str):
            outputs = (outputs,)
        wanted = ["image", "hit"]
        for k in outputs:
            if k not in _ALL:
                raise ValueError(f"outputs: unknown output '{k}' (known: {', '.join(_ALL)})")
            if k in _BITS and not self._bits & _BITS[k]:
                raise _lib.InvalidArgument(f"outputs: the {self.mode} mode makes no {k} output",
                                           -3)
            if k not in wanted:
                wanted.append(k)
        return wanted

    def render(self, camera, pose, outputs=None, out=None, pixel_mask=None, light_at=None):
        """Renders one frame of `camera` at `pose` (cam_from_world). Returns a dict of arrays:
        image (h, w) float32 ((h, w, 3) with colour), hit (h, w) bool, and, by default, depth
        (h, w) and xyz (h, w, 3) when the mode makes them ('normal' on request through
        `outputs`). Misses: image = background, depth 0, xyz NaN. `out` (a dict of such arrays,
        e.g. the previous result) is written in place instead of new arrays; `pixel_mask`
        (h, w) uint8/bool renders only where it is non-zero; `light_at` (x, y, z mm, camera
        frame) lights a surface render by a point light there instead of the headlight."""
        h, w = camera.height, camera.width
        wanted = self._wanted(outputs)
        shapes = {"image": (h, w, 3) if self._colour and self._bits & _OUT_COLOUR else (h, w),
                  "depth": (h, w), "xyz": (h, w, 3), "normal": (h, w, 3), "hit": (h, w)}
        res, views = {}, {}
        for k in wanted:
            dtype = np.uint8 if k == "hit" else np.float32
            if out is not None and k in out:
                a = out[k]
                if k == "hit" and isinstance(a, np.ndarray) and a.dtype == np.bool_:
                    a = a.view(np.uint8)
                if not isinstance(a, np.ndarray) or a.dtype != dtype or a.shape != shapes[k]:
                    raise ValueError(f"out['{k}']: expected a {np.dtype(dtype).name} array of "
                                     f"shape {shapes[k]}")
                if not a.flags.c_contiguous or not a.flags.writeable:
                    raise ValueError(f"out['{k}']: must be C-contiguous and writable")
            else:
                a = np.empty(shapes[k], dtype=dtype)
            res[k] = a
            if k != "hit":
                views[k] = _lib.image_view(a, k, writable=True)
        pm = None
        if pixel_mask is not None:
            pm = np.asarray(pixel_mask)
            if pm.dtype == np.bool_:
                pm = pm.view(np.uint8)
            if pm.dtype != np.uint8 or pm.shape != (h, w):
                raise ValueError(f"pixel_mask: expected a uint8 or bool array of shape {(h, w)}, "
                                 f"got {pm.dtype.name} {pm.shape}")
            if not pm.flags.c_contiguous:
                raise ValueError("pixel_mask: the array is not C-contiguous")
        light = None
        if light_at is not None:
            la = np.asarray(light_at, dtype=np.float64).ravel()
            if la.shape != (3,):
                raise ValueError(f"light_at: expected 3 numbers (x, y, z mm), got {la.size}")
            light = (ctypes.c_double * 3)(*la)
        ptr = ctypes.POINTER(CImage)
        cout = CRenderOut(*(ctypes.pointer(views[k]) if k in views else ptr()
                            for k in ("image", "depth", "xyz", "normal")),
                          pm.ctypes.data if pm is not None else None, res["hit"].ctypes.data,
                          ctypes.cast(light, ctypes.POINTER(ctypes.c_double)) if light else None)
        cam, ps = camera._c(), pose._c()
        secs = ctypes.c_double()
        with self._lock:
            if not self._r:
                raise ValueError("the renderer is closed")
            rc = lib.cr_py_render(self._r, ctypes.byref(cam), ctypes.byref(ps), ctypes.byref(cout),
                                  ctypes.byref(secs))
            err = _lib.error(rc) if rc else None
        if err:
            raise err
        self.last_seconds = secs.value
        res["hit"] = res["hit"].view(np.bool_)
        return res

    def focus_distance(self, camera, pose):
        """The focus distance (mm) of `camera` at `pose` as a microscope reports it
        (docs/design.md): camera centre to the first surface hit along the principal ray,
        else the median over the central window; the mode must make xyz (surface, probe,
        mesh). Raises camreg.EmptyError when the centre of the view sees no surface."""
        d = ctypes.c_double()
        cam, ps = camera._c(), pose._c()
        with self._lock:
            rc = lib.cr_reg_focus_distance(self._r, ctypes.byref(cam), ctypes.byref(ps),
                                           ctypes.byref(d))
            err = _lib.error(rc) if rc else None
        if err:
            raise err
        return d.value


def render(volume, camera, pose, mode="surface", outputs=None, **options):
    """One frame: Renderer(volume, mode, **options).render(camera, pose, outputs). Use a
    Renderer for many frames (its set-up, e.g. the surface modes' smoothing, is done once)."""
    with Renderer(volume, mode, **options) as r:
        return r.render(camera, pose, outputs)


def focus_distance(volume, camera, pose, **options):
    """The focus distance (mm) of a surface render (options as Renderer's)."""
    with Renderer(volume, "surface", **options) as r:
        return r.focus_distance(camera, pose)
