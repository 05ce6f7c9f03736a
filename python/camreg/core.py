"""Volumes, cameras, poses and image files (core/volume.h, camera.h, pose.h, image.h)."""

import ctypes

import numpy as np

from . import _lib
from ._lib import CCamera, CImage, CPose, CVolume, lib


class _VolumeMemory:
    """Owns one cr_volume; freed when the last Volume, array view or renderer using it goes."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        if self.ptr:
            lib.cr_volume_free(self.ptr)
            self.ptr = None


class _ArrayHolder:
    """Exposes library memory to numpy and keeps its owner alive as the array's base."""

    def __init__(self, owner, address, shape, strides, typestr="<f4", readonly=True):
        self._owner = owner
        self.__array_interface__ = {"data": (address, readonly), "shape": shape,
                                    "strides": strides, "typestr": typestr, "version": 3}


class Volume:
    """A scalar volume in world space: float32 voxels and the voxel->world affine (RAS mm).

    `data[i, j, k]` is voxel (i, j, k) (nibabel's indexing), a read-only view of the
    library's memory (no copy). `affine` maps (i, j, k, 1) to world RAS mm like nibabel's
    `img.affine` (the sform, else the qform, else the pixdim diagonal). `close()` (or a
    `with` block) releases the volume as soon as no array view or Renderer still uses it;
    a closed Volume raises ValueError wherever it is passed.
    """

    def __init__(self, _mem, datatype="float32"):
        self._mem = _mem
        self.datatype = datatype

    @classmethod
    def load(cls, path, volume_index=-1):
        """Loads a NIfTI-1/2 file (.nii, .nii.gz); a 4-D file needs volume_index >= 0."""
        out = ctypes.POINTER(CVolume)()
        dtn = ctypes.c_char_p()
        _lib.check(lib.cr_volume_load(_lib.fspath(path), int(volume_index), ctypes.byref(out),
                                      ctypes.byref(dtn)))
        return cls(_VolumeMemory(out), dtn.value.decode() if dtn.value else "float32")

    @classmethod
    def from_array(cls, data, affine=None):
        """A volume from a 3-D array indexed [i, j, k] (copied as float32) and a 4x4
        voxel->world affine (RAS mm; None = identity)."""
        a = np.asarray(data)
        if a.ndim != 3:
            raise ValueError(f"data: expected a 3-D array [i, j, k], got shape {a.shape}")
        if not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
            raise TypeError(f"data: expected real numbers, got dtype {a.dtype.name}")
        aff = None
        if affine is not None:
            aff = np.ascontiguousarray(affine, dtype=np.float64)
            if aff.shape != (4, 4):
                raise ValueError(f"affine: expected shape (4, 4), got {aff.shape}")
        ptr = lib.cr_volume_new(a.shape[0], a.shape[1], a.shape[2],
                                aff.ctypes.data_as(_lib.c_dbl_p) if aff is not None else None)
        _lib.check_ptr(ptr, "Volume.from_array")
        vol = cls(_VolumeMemory(ptr))
        n = a.size
        dst = np.ctypeslib.as_array(ptr.contents.data, shape=(n,))
        dst[:] = np.asarray(a, dtype=np.float32).ravel(order="F")
        return vol

    # -- state --
    def _ref(self, what="volume"):
        """The memory owner; a caller keeps it in a local variable for the whole library
        call, so a close() on another thread cannot free the volume under it."""
        mem = self._mem
        if mem is None:
            raise ValueError(f"{what}: the volume is closed")
        return mem

    @property
    def closed(self):
        return self._mem is None

    def close(self):
        self._mem = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self.closed:
            return "<camreg.Volume closed>"
        return f"<camreg.Volume {self.shape} spacing {tuple(round(s, 4) for s in self.spacing)} mm>"

    # -- contents --
    @property
    def shape(self):
        mem = self._ref()
        return tuple(mem.ptr.contents.dim)

    @property
    def spacing(self):
        mem = self._ref()
        return tuple(mem.ptr.contents.spacing)

    @property
    def affine(self):
        """The 4x4 voxel->world matrix (a copy)."""
        mem = self._ref()
        return np.array(mem.ptr.contents.world_from_voxel, dtype=np.float64)

    @property
    def data(self):
        mem = self._ref()
        nx, ny, nz = mem.ptr.contents.dim
        addr = ctypes.cast(mem.ptr.contents.data, ctypes.c_void_p).value
        holder = _ArrayHolder(mem, addr, (nx, ny, nz), (4, 4 * nx, 4 * nx * ny))
        return np.asarray(holder)

    def save(self, path):
        """Writes float32 NIfTI-1 (sform = qform, code 1), atomically."""
        mem = self._ref()
        _lib.check(lib.cr_volume_save(_lib.fspath(path), mem.ptr))


def _vec(x, n, what):
    a = np.asarray(x, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{what}: expected {n} numbers, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what}: values must be finite")
    return a


class Camera:
    """The OpenCV pinhole camera: K (3x3), distortion (k1, k2, p1, p2, k3), image size.

    Pixel centres at integer (u, v), u right, v down, the camera looks along +z.
    """

    def __init__(self, K, dist=None, width=None, height=None):
        K = np.array(K, dtype=np.float64)
        if K.shape != (3, 3):
            raise ValueError(f"K: expected shape (3, 3), got {K.shape}")
        if K[0, 1] != 0 or K[1, 0] != 0 or K[2, 0] != 0 or K[2, 1] != 0 or K[2, 2] != 1:
            raise ValueError("K: expected [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (no skew)")
        d = np.zeros(5) if dist is None else np.array(dist, dtype=np.float64).ravel()
        if d.size == 4:
            d = np.append(d, 0.0)
        if d.shape != (5,):
            raise ValueError(f"dist: expected 4 or 5 coefficients (k1 k2 p1 p2 [k3]), got {d.size}")
        if width is None or height is None:
            raise ValueError("width and height (pixels) are required")
        self.K, self.dist = K, d
        self.width, self.height = int(width), int(height)
        _lib.check(lib.cr_camera_validate(ctypes.byref(self._c())), "Camera")

    @classmethod
    def read(cls, path):
        """Reads OpenCV FileStorage YAML/XML/JSON (camera_matrix, distortion_coefficients,
        image_width, image_height)."""
        c = CCamera()
        _lib.check(lib.cr_camera_read(_lib.fspath(path), ctypes.byref(c)))
        return cls._from_c(c)

    @classmethod
    def from_fov(cls, width, height, fov_x_deg):
        """Square pixels, principal point at the centre ((w-1)/2, (h-1)/2), no distortion."""
        f = (width / 2.0) / np.tan(np.radians(fov_x_deg) / 2.0)
        return cls([[f, 0, (width - 1) / 2.0], [0, f, (height - 1) / 2.0], [0, 0, 1]],
                   None, width, height)

    @classmethod
    def _from_c(cls, c):
        return cls([[c.fx, 0, c.cx], [0, c.fy, c.cy], [0, 0, 1]], list(c.dist), c.width,
                   c.height)

    def _c(self):
        return CCamera(self.width, self.height, self.K[0, 0], self.K[1, 1], self.K[0, 2],
                       self.K[1, 2], (ctypes.c_double * 5)(*self.dist))

    def write(self, path):
        _lib.check(lib.cr_camera_write(_lib.fspath(path), ctypes.byref(self._c())))

    def scaled(self, scale):
        """The camera of the image resampled by `scale`, keeping the pixel-centre convention
        (as cr_camera_scaled and `camreg render --scale`)."""
        if not (float(scale) > 0):
            raise ValueError(f"scale must be > 0, got {scale}")
        out = CCamera()
        lib.cr_py_camera_scaled(ctypes.byref(self._c()), float(scale), ctypes.byref(out))
        return Camera._from_c(out)

    def project(self, x_cam):
        """Pixel (u, v) of a point in the camera frame (mm), with distortion; None if z <= 0."""
        x = _vec(x_cam, 3, "x_cam")
        uv = np.zeros(2)
        if lib.cr_camera_project(ctypes.byref(self._c()), x.ctypes.data_as(_lib.c_dbl_p),
                                 uv.ctypes.data_as(_lib.c_dbl_p)):
            return None
        return uv

    def __repr__(self):
        return (f"<camreg.Camera {self.width}x{self.height} fx {self.K[0, 0]:g} fy "
                f"{self.K[1, 1]:g} c ({self.K[0, 2]:g}, {self.K[1, 2]:g}) dist {list(self.dist)}>")


class Pose:
    """A rigid pose cam_from_world: x_cam = R x_world + t (OpenCV's rvec/tvec, mm)."""

    def __init__(self, R=None, t=None):
        R = np.eye(3) if R is None else np.array(R, dtype=np.float64)
        t = np.zeros(3) if t is None else np.array(t, dtype=np.float64).ravel()
        if R.shape != (3, 3) or t.shape != (3,):
            raise ValueError(f"Pose: expected R (3, 3) and t (3,), got {R.shape} and {t.shape}")
        M = np.eye(4)
        M[:3, :3], M[:3, 3] = R, t
        p = CPose()
        # cr_pose_from_mat4 checks the rotation (and re-orthonormalizes it exactly).
        _lib.check(lib.cr_pose_from_mat4(ctypes.byref(p), M.ctypes.data_as(_lib.c_dbl_p)), "Pose")
        self._set(p)

    def _set(self, p):
        self.R = np.array(p.R, dtype=np.float64)
        self.t = np.array(p.t, dtype=np.float64)

    @classmethod
    def _from_c(cls, p):
        obj = cls.__new__(cls)
        obj._set(p)
        return obj

    def _c(self):
        p = CPose()
        for i in range(3):
            for j in range(3):
                p.R[i][j] = self.R[i, j]
            p.t[i] = self.t[i]
        return p

    @classmethod
    def from_matrix(cls, M):
        M = np.asarray(M, dtype=np.float64)
        if M.shape != (4, 4):
            raise ValueError(f"Pose.from_matrix: expected shape (4, 4), got {M.shape}")
        M = np.ascontiguousarray(M)
        p = CPose()
        _lib.check(lib.cr_pose_from_mat4(ctypes.byref(p), M.ctypes.data_as(_lib.c_dbl_p)), "Pose")
        return cls._from_c(p)

    @classmethod
    def from_rvec_tvec(cls, rvec, tvec):
        r, t = _vec(rvec, 3, "rvec"), _vec(tvec, 3, "tvec")
        p = CPose()
        lib.cr_py_pose_from_rvec_tvec(r.ctypes.data_as(_lib.c_dbl_p), t.ctypes.data_as(_lib.c_dbl_p),
                                      ctypes.byref(p))
        return cls._from_c(p)

    @classmethod
    def read(cls, path):
        """Reads a camreg pose file (the 4x4 cam_from_world matrix; numpy.loadtxt reads it too)."""
        p = CPose()
        _lib.check(lib.cr_pose_read(_lib.fspath(path), ctypes.byref(p)))
        return cls._from_c(p)

    def write(self, path, comment=None):
        _lib.check(lib.cr_pose_write(_lib.fspath(path), ctypes.byref(self._c()),
                                     comment.encode() if comment else None))

    @property
    def matrix(self):
        M = np.eye(4)
        M[:3, :3], M[:3, 3] = self.R, self.t
        return M

    @property
    def rvec(self):
        r, t = np.zeros(3), np.zeros(3)
        lib.cr_pose_to_rvec_tvec(ctypes.byref(self._c()), r.ctypes.data_as(_lib.c_dbl_p),
                                 t.ctypes.data_as(_lib.c_dbl_p))
        return r

    @property
    def tvec(self):
        return self.t.copy()

    @property
    def centre(self):
        """The camera centre in world mm: -R^T t."""
        return -self.R.T @ self.t

    def inverse(self):
        return Pose(self.R.T, -self.R.T @ self.t)

    def __matmul__(self, other):
        """a_from_c = a_from_b @ b_from_c."""
        if not isinstance(other, Pose):
            return NotImplemented
        return Pose(self.R @ other.R, self.R @ other.t + self.t)

    def apply(self, x):
        """R x + t for a point (3,) or points (n, 3)."""
        x = np.asarray(x, dtype=np.float64)
        return x @ self.R.T + self.t

    def __repr__(self):
        return f"<camreg.Pose rvec {np.round(self.rvec, 6).tolist()} tvec {np.round(self.t, 4).tolist()}>"


def read_image(path):
    """Reads a PNG (8/16-bit), JPEG or TIFF (float too) as float32 (h, w) or (h, w, c), values
    as stored (0..255, 0..65535 or float), RGB(A) channel order: what `camreg` commands read."""
    out = ctypes.POINTER(CImage)()
    bits = ctypes.c_int()
    _lib.check(lib.cr_image_read(_lib.fspath(path), ctypes.byref(out), ctypes.byref(bits)))
    try:
        return _lib.array_from_cimage(out)
    finally:
        lib.cr_image_free(out)


def write_image(path, image, bits=8):
    """Writes an image atomically: bits 8 or 16 (rounded, saturated) for PNG/JPEG/TIFF, 32 for
    float TIFF; .nii/.nii.gz writes a float NIfTI."""
    view = _lib.image_view(image, "image")
    _lib.check(lib.cr_image_write(_lib.fspath(path), ctypes.byref(view), int(bits)))
