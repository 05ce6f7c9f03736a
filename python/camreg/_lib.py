"""libcamreg through ctypes: loading, the mirrored structs, prototypes, errors, checks.

The library is opened with ctypes.CDLL (not PyDLL), so every call into it releases the
GIL: other Python threads run while a render, a registration or an experiment runs.
Errors come back as a negative status; the message is libcamreg's thread-local
cr_last_error(), read on the same thread right after the call.
"""

import ctypes
import ctypes.util
import os

import numpy as np

# ---- loading ----


def _find_library():
    env = os.environ.get("CAMREG_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise ImportError(f"CAMREG_LIBRARY={env}: no such file")
        return env
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libcamreg.so")
    if os.path.isfile(here):
        return here
    found = ctypes.util.find_library("camreg")
    if found:
        return found
    raise ImportError(
        "libcamreg.so not found: install camreg with `cmake --install BUILD --prefix P` "
        "(the package carries the library), or set CAMREG_LIBRARY=BUILD/python/libcamreg.so")


lib = ctypes.CDLL(_find_library())

# ---- structs mirrored from the C headers (sizes checked against the library below) ----


class CCamera(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int),
                ("fx", ctypes.c_double), ("fy", ctypes.c_double),
                ("cx", ctypes.c_double), ("cy", ctypes.c_double),
                ("dist", ctypes.c_double * 5)]


class CPose(ctypes.Structure):
    _fields_ = [("R", (ctypes.c_double * 3) * 3), ("t", ctypes.c_double * 3)]


class CImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("channels", ctypes.c_int),
                ("stride", ctypes.c_size_t), ("data", ctypes.POINTER(ctypes.c_float)),
                ("owns_data", ctypes.c_int)]


class CVolume(ctypes.Structure):
    _fields_ = [("dim", ctypes.c_int * 3), ("spacing", ctypes.c_double * 3),
                ("world_from_voxel", (ctypes.c_double * 4) * 4),
                ("voxel_from_world", (ctypes.c_double * 4) * 4),
                ("data", ctypes.POINTER(ctypes.c_float))]


class CRenderOut(ctypes.Structure):
    _fields_ = [("image", ctypes.POINTER(CImage)), ("depth", ctypes.POINTER(CImage)),
                ("xyz", ctypes.POINTER(CImage)), ("normal", ctypes.POINTER(CImage)),
                ("pixel_mask", ctypes.c_void_p), ("hit", ctypes.c_void_p),
                ("light_at", ctypes.POINTER(ctypes.c_double))]


P = ctypes.POINTER
c_int, c_long, c_double, c_char_p, c_void_p = (ctypes.c_int, ctypes.c_long, ctypes.c_double,
                                               ctypes.c_char_p, ctypes.c_void_p)
c_dbl_p = P(ctypes.c_double)


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_proto("cr_py_sizeof", c_long, c_char_p)
_proto("cr_py_init", None)
_proto("cr_py_free", None, c_void_p)
_proto("cr_last_error", c_char_p)
_proto("cr_last_status", c_int)
_proto("cr_status_name", c_char_p, c_int)
_proto("cr_error_clear", None)
# core
_proto("cr_volume_load", c_int, c_char_p, c_int, P(P(CVolume)), P(c_char_p))
_proto("cr_volume_new", P(CVolume), c_int, c_int, c_int, c_dbl_p)
_proto("cr_volume_free", None, P(CVolume))
_proto("cr_volume_save", c_int, c_char_p, P(CVolume))
_proto("cr_camera_read", c_int, c_char_p, P(CCamera))
_proto("cr_camera_write", c_int, c_char_p, P(CCamera))
_proto("cr_camera_validate", c_int, P(CCamera))
_proto("cr_py_camera_scaled", None, P(CCamera), c_double, P(CCamera))
_proto("cr_camera_project", c_int, P(CCamera), c_dbl_p, c_dbl_p)
_proto("cr_pose_read", c_int, c_char_p, P(CPose))
_proto("cr_pose_write", c_int, c_char_p, P(CPose), c_char_p)
_proto("cr_pose_from_mat4", c_int, P(CPose), c_dbl_p)
_proto("cr_pose_to_rvec_tvec", None, P(CPose), c_dbl_p, c_dbl_p)
_proto("cr_py_pose_from_rvec_tvec", None, c_dbl_p, c_dbl_p, P(CPose))
_proto("cr_image_read", c_int, c_char_p, P(P(CImage)), P(c_int))
_proto("cr_image_write", c_int, c_char_p, P(CImage), c_int)
_proto("cr_image_free", None, P(CImage))
_proto("cr_image_to_grey", P(CImage), P(CImage), c_int, P(ctypes.c_float))
# render
_proto("cr_py_render_options_new", c_void_p, c_char_p)
_proto("cr_py_render_options_free", None, c_void_p)
_proto("cr_py_render_options_set", c_int, c_void_p, c_char_p, c_char_p)
_proto("cr_renderer_new", c_void_p, P(CVolume), c_void_p, c_void_p)
_proto("cr_renderer_free", None, c_void_p)
_proto("cr_py_renderer_outputs", ctypes.c_uint, c_void_p)
_proto("cr_py_render", c_int, c_void_p, P(CCamera), P(CPose), P(CRenderOut), c_dbl_p)
# metrics
_proto("cr_metric_new", c_void_p, c_void_p, P(CImage), P(CImage), c_void_p)
_proto("cr_metric_free", None, c_void_p)
_proto("cr_metric_eval", c_int, c_void_p, P(CImage), c_dbl_p)
_proto("cr_metric_cost", c_double, c_void_p, c_double)
# registration
_proto("cr_py_method_new", c_void_p)
_proto("cr_py_method_free", None, c_void_p)
_proto("cr_py_method_metric", c_void_p, c_void_p)
_proto("cr_py_method_metric_options", c_void_p, c_void_p)
_proto("cr_reg_method_set", c_int, c_void_p, c_char_p, c_char_p)
_proto("cr_reg_method_get", c_int, c_void_p, c_char_p, c_char_p, ctypes.c_size_t)
_proto("cr_reg_method_key_count", c_int)
_proto("cr_reg_method_key_info", None, c_int, P(c_char_p), P(c_char_p), P(c_char_p))
_proto("cr_py_register", c_int, c_void_p, P(CVolume), P(CCamera), P(CImage), P(CImage),
       P(CPose), c_dbl_p, c_double, c_double, c_double, P(CPose), P(c_void_p))
_proto("cr_reg_focus_distance", c_int, c_void_p, P(CCamera), P(CPose), c_dbl_p)
# synth, experiments
_proto("cr_py_synth_options_new", c_void_p)
_proto("cr_py_synth_options_free", None, c_void_p)
_proto("cr_py_synth_options_set", c_int, c_void_p, c_char_p, c_char_p)
_proto("cr_py_synth", c_int, P(CVolume), P(CCamera), P(CPose), c_dbl_p, c_void_p, P(CImage),
       P(CImage))
_proto("cr_py_experiment_run", c_int, c_char_p, c_char_p, c_int, c_int, c_int, c_long, c_long,
       P(c_long), c_char_p, ctypes.c_size_t)

for _name, _cls in (("cr_camera", CCamera), ("cr_pose", CPose), ("cr_image", CImage),
                    ("cr_volume", CVolume), ("cr_render_out", CRenderOut)):
    if lib.cr_py_sizeof(_name.encode()) != ctypes.sizeof(_cls):
        raise ImportError(f"libcamreg's {_name} is {lib.cr_py_sizeof(_name.encode())} bytes, the "
                          f"Python module's {ctypes.sizeof(_cls)}: rebuild both from one tree")
lib.cr_py_init()

# ---- errors ----


class Error(Exception):
    """A failure reported by libcamreg: `status` is its cr_status code (negative)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class FileError(Error, OSError):
    """CR_EIO: a file missing, unreadable or unwritable."""


class FormatError(Error):
    """CR_EFORMAT: malformed file content."""


class InvalidArgument(Error, ValueError):
    """CR_EINVAL: a bad argument or option value (an unknown option too)."""


class EmptyError(Error):
    """CR_EEMPTY: nothing to work on (empty mask, no surface seen)."""


class NumericError(Error):
    """CR_ENUMERIC: a singular matrix, no convergence."""


class UnsupportedError(Error):
    """CR_EUNSUPPORTED: valid input that camreg does not handle."""


_CLASSES = {-1: FileError, -2: FormatError, -3: InvalidArgument, -5: UnsupportedError,
            -6: NumericError, -7: EmptyError}


def error(status=None, context=None):
    """The exception for the last failure on this thread (status defaults to cr_last_status)."""
    if status is None:
        status = lib.cr_last_status()
    msg = (lib.cr_last_error() or b"").decode(errors="replace")
    if not msg:
        msg = (lib.cr_status_name(status) or b"error").decode()
    if context:
        msg = f"{context}: {msg}"
    if status == -4:
        return MemoryError(msg)
    return _CLASSES.get(status, Error)(msg, status)


def check(rc, context=None):
    """Raises the library's error for a negative status."""
    if rc != 0:
        raise error(rc, context)


def check_ptr(ptr, context=None):
    if not ptr:
        raise error(None, context)
    return ptr


def fspath(path, what="path"):
    try:
        return os.fsencode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{what}: expected a file path, got {type(path).__name__}") from None


def text(value):
    """An option value as the text the library's key parsers take."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(text(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---- arrays as cr_image views (no copy) ----


def image_view(arr, what, channels=None, dtype=np.float32, writable=False):
    """A CImage over a C-contiguous float32 array of shape (h, w) or (h, w, c), c = 1..4.

    The array is borrowed (the caller keeps it alive during the call). Raises TypeError for
    another dtype, ValueError for another shape, a non-contiguous or read-only array.
    """
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{what}: expected a numpy array, got {type(arr).__name__}")
    if arr.dtype != dtype:
        raise TypeError(f"{what}: expected dtype {np.dtype(dtype).name}, got {arr.dtype.name} "
                        f"(convert with .astype(np.{np.dtype(dtype).name}))")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and not 1 <= arr.shape[2] <= 4):
        raise ValueError(f"{what}: expected shape (height, width) or (height, width, 1..4), "
                         f"got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{what}: empty image of shape {arr.shape}")
    c = 1 if arr.ndim == 2 else arr.shape[2]
    if channels is not None and c not in channels:
        raise ValueError(f"{what}: expected {' or '.join(map(str, channels))} channel(s), "
                         f"got shape {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{what}: the array is not C-contiguous (a transposed or strided "
                         f"view); pass np.ascontiguousarray({what})")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{what}: the array is read-only")
    if not arr.flags.aligned:
        raise ValueError(f"{what}: the array is not aligned")
    img = CImage(arr.shape[1], arr.shape[0], c, arr.shape[1] * c,
                 arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), 0)
    return img


def array_from_cimage(ptr):
    """A copy of a library-owned cr_image as an array (h, w) or (h, w, c); frees nothing."""
    im = ptr.contents
    h, w, c, stride = im.height, im.width, im.channels, im.stride
    flat = np.ctypeslib.as_array(im.data, shape=(h * stride,))
    a = flat.reshape(h, stride)[:, :w * c].reshape(h, w, c).copy()
    return a[:, :, 0] if c == 1 else a
