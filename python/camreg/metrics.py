"""Similarity metrics on arrays (metrics/metric.h), with masks."""

import ctypes
import threading

from . import _lib
from ._lib import lib

NAMES = ("ssd", "ncc", "lncc", "mi", "nmi", "gc", "gd", "pi", "ngf", "edge", "dice")
# The metric keys of the method table (`camreg register --help`), '_' for '-'.
OPTIONS = ("bins", "hist", "lncc_radius", "pi_radius", "pi_sigma", "ngf_eta", "canny",
           "dice_threshold")
_CHANNELS = {"grey": -1, "gray": -1, "r": 0, "g": 1, "b": 2}


def _channel(c):
    if isinstance(c, str) and c in _CHANNELS:
        return _CHANNELS[c]
    if isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 3:
        return c
    raise ValueError(f"channel: expected 'grey', 'r', 'g', 'b' or 0..3, got {c!r}")


class _Grey:
    """A 1-channel cr_image of an array: a view of a 1-channel array, else the library's
    cr_image_to_grey (BT.601 grey or one channel), exactly as `camreg metric` converts."""

    def __init__(self, arr, what, channel):
        self._arr = arr
        self._view = _lib.image_view(arr, what)
        self._owned = None
        if self._view.channels > 1:
            self._owned = _lib.check_ptr(
                lib.cr_image_to_grey(ctypes.byref(self._view), channel, None), what)

    def ref(self):
        return self._owned if self._owned is not None else ctypes.byref(self._view)

    def __del__(self):
        if getattr(self, "_owned", None) is not None:
            lib.cr_image_free(self._owned)
            self._owned = None


class Metric:
    """A metric with its fixed image (the photo) precomputed (cr_metric_new): evaluate many
    moving images (renders) of the same size. Pixels count where `mask` (any channels,
    channel 0) is non-zero and both values are finite (a render's NaN misses drop out).
    Colour images become BT.601 grey, or one channel with channel='r'|'g'|'b'|0..3.
    Options are the metric keys of `camreg register` ('_' for '-'): bins, hist, lncc_radius,
    pi_radius, pi_sigma, ngf_eta, canny=(low, high), dice_threshold."""

    def __init__(self, name, fixed, mask=None, channel="grey", **options):
        self.name = str(name)
        self._channel = _channel(channel)
        self._m = None
        method = _lib.check_ptr(lib.cr_py_method_new(), "Metric")
        try:
            if self.name not in NAMES:
                raise _lib.InvalidArgument(
                    f"unknown metric '{self.name}' (known: {' '.join(NAMES)})", -3)
            _lib.check(lib.cr_reg_method_set(method, b"metric", self.name.encode()))
            for k, v in options.items():
                if k.replace("-", "_") not in OPTIONS:
                    raise _lib.InvalidArgument(
                        f"unknown metric option '{k}' (known: {', '.join(OPTIONS)})", -3)
                _lib.check(lib.cr_reg_method_set(method, k.encode(), _lib.text(v).encode()))
            self._type = lib.cr_py_method_metric(method)
            fixed_grey = _Grey(fixed, "fixed", self._channel)
            mask_view = _lib.image_view(mask, "mask") if mask is not None else None
            self.shape = fixed.shape[:2]
            self._m = _lib.check_ptr(
                lib.cr_metric_new(self._type, fixed_grey.ref(),
                                  ctypes.byref(mask_view) if mask_view is not None else None,
                                  lib.cr_py_method_metric_options(method)), "Metric")
        finally:
            lib.cr_py_method_free(method)
        self._lock = threading.Lock()
        self.larger_is_better = lib.cr_metric_cost(self._type, 1.0) < 0

    def value(self, moving):
        """The metric value of `moving` (same height and width as the fixed image)."""
        if getattr(moving, "shape", None) is not None and moving.shape[:2] != self.shape:
            raise ValueError(f"moving: shape {moving.shape} does not match the fixed image's "
                             f"{self.shape}")
        g = _Grey(moving, "moving", self._channel)
        v = ctypes.c_double()
        with self._lock:
            if not self._m:
                raise ValueError("the metric is closed")
            rc = lib.cr_metric_eval(self._m, g.ref(), ctypes.byref(v))
            err = _lib.error(rc) if rc else None
        if err:
            raise err
        return v.value

    def cost(self, moving):
        """The optimizers' convention: smaller is better (-value where larger is better)."""
        return lib.cr_metric_cost(self._type, self.value(moving))

    def close(self):
        with self._lock:
            if self._m:
                lib.cr_metric_free(self._m)
            self._m = None

    def __del__(self):
        if getattr(self, "_m", None):
            lib.cr_metric_free(self._m)
            self._m = None


def metric(name, fixed, moving, mask=None, channel="grey", **options):
    """The value of metric `name` of `moving` against `fixed` (as `camreg metric FIXED MOVING
    --metric NAME [--mask M] [--channel C]`)."""
    m = Metric(name, fixed, mask, channel, **options)
    try:
        return m.value(moving)
    finally:
        m.close()
