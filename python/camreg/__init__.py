"""camreg from Python: a thin ctypes layer over libcamreg, the library of the camreg tools.

    import camreg
    vol = camreg.Volume.load("ch2bet.nii.gz")             # world = RAS mm, vol.affine, vol.data
    cam = camreg.Camera.read("camera.yml")                # OpenCV pinhole, K and distortion
    start = camreg.Pose.read("start.txt")                 # cam_from_world
    photo = camreg.read_image("photo.png")                # float32, as the CLI reads it
    pose, report = camreg.register(vol, cam, photo, start, metric="ngf")

Arrays go to the library without copies (float32, C-contiguous; anything else raises
TypeError/ValueError before C is called), outputs are NumPy arrays the library writes into,
and library errors raise camreg.Error subclasses carrying the library's message. Every call
into the library releases the GIL (ctypes.CDLL).
"""

from ._lib import (EmptyError, Error, FileError, FormatError, InvalidArgument, NumericError,
                   UnsupportedError)
from .core import Camera, Pose, Volume, read_image, write_image
from .metrics import Metric, metric
from .registration import method_keys, register
from .render import Renderer, focus_distance, render
from .synth import synth
from . import experiment

__all__ = ["Volume", "Camera", "Pose", "read_image", "write_image", "Renderer", "render",
           "focus_distance", "Metric", "metric", "register", "method_keys", "synth",
           "experiment", "Error", "FileError", "FormatError", "InvalidArgument", "EmptyError",
           "NumericError", "UnsupportedError"]
