"""Bad input raises a clear exception (the library's message, or a check before the call)
and never crashes the interpreter (the suite runs under ASan+UBSan in scripts/test.sh)."""

import numpy as np
import pytest

import camreg


def test_wrong_dtype(scene):
    cam, start = scene["camera"], scene["start"]
    with pytest.raises(TypeError, match=r"photo: expected dtype float32, got uint8"):
        camreg.register(scene["volume"], cam, scene["photo"].astype(np.uint8), start)
    with pytest.raises(TypeError, match=r"moving: expected dtype float32, got float64"):
        camreg.metric("ncc", scene["photo"], scene["photo"].astype(np.float64))
    with pytest.raises(TypeError, match=r"mask: expected a numpy array, got list"):
        camreg.metric("ncc", scene["photo"], scene["photo"], mask=[[1]])


def test_wrong_shape(scene):
    cam, start, vol = scene["camera"], scene["start"], scene["volume"]
    with pytest.raises(ValueError, match=r"photo is 48x80 but the camera is 96x80"):
        camreg.register(vol, cam, np.zeros((80, 48), np.float32), start)
    with pytest.raises(ValueError, match=r"expected shape \(height, width\) or"):
        camreg.metric("ncc", np.zeros((4, 4, 4, 4), np.float32), np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match=r"does not match the fixed image"):
        camreg.metric("ncc", scene["photo"], np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError, match=r"out\['image'\]: expected a float32 array of shape"):
        camreg.Renderer(vol).render(cam, start, out={"image": np.zeros((3, 3), np.float32)})
    with pytest.raises(ValueError, match=r"affine: expected shape \(4, 4\)"):
        camreg.Volume.from_array(np.zeros((2, 2, 2)), np.eye(3))
    with pytest.raises(ValueError, match=r"Pose: expected R \(3, 3\)"):
        camreg.Pose(np.eye(2))


def test_non_contiguous(scene):
    photo = scene["photo"]
    with pytest.raises(ValueError, match=r"not C-contiguous.*np.ascontiguousarray"):
        camreg.metric("ncc", photo[:, ::2, 0], photo[:, ::2, 1])
    with pytest.raises(ValueError, match=r"not C-contiguous"):
        camreg.register(scene["volume"], scene["camera"], np.asfortranarray(photo), scene["start"])


def test_closed_volume(scene):
    v = camreg.Volume.load(scene["dir"] / "ph.nii.gz")
    v.close()
    for call in (lambda: camreg.render(v, scene["camera"], scene["truth"]),
                 lambda: camreg.Renderer(v, "drr"),
                 lambda: camreg.register(v, scene["camera"], scene["photo"], scene["start"]),
                 lambda: camreg.synth(v, scene["camera"], scene["truth"]),
                 lambda: v.affine):
        with pytest.raises(ValueError, match="the volume is closed"):
            call()


def test_unknown_or_bad_options(scene):
    vol, cam, pose = scene["volume"], scene["camera"], scene["truth"]
    with pytest.raises(camreg.InvalidArgument, match=r"unknown render option 'colur'"):
        camreg.render(vol, cam, pose, colur=True)
    with pytest.raises(camreg.InvalidArgument, match=r"mode.*'nope'|nope"):
        camreg.render(vol, cam, pose, mode="nope")
    with pytest.raises(camreg.InvalidArgument, match=r"window: needs LO < HI"):
        camreg.render(vol, cam, pose, mode="drr", window=(5, 1))
    with pytest.raises(camreg.InvalidArgument, match=r"the drr mode makes no depth"):
        camreg.Renderer(vol, "drr").render(cam, pose, outputs=("depth",))
    with pytest.raises(camreg.InvalidArgument, match=r"max_evals|max-evals"):
        camreg.register(vol, cam, scene["photo"], scene["start"], max_evals="lots")
    with pytest.raises(camreg.InvalidArgument, match=r"unknown"):
        camreg.register(vol, cam, scene["photo"], scene["start"], max_evalz=10)
    with pytest.raises(camreg.InvalidArgument, match=r"unknown metric 'nccc'"):
        camreg.metric("nccc", scene["photo"], scene["photo"])
    with pytest.raises(camreg.InvalidArgument, match=r"unknown metric option 'levels'"):
        camreg.metric("ncc", scene["photo"], scene["photo"], levels=2)
    with pytest.raises(camreg.InvalidArgument, match=r"bins"):
        camreg.metric("mi", scene["photo"], scene["photo"], bins=1)
    with pytest.raises(camreg.InvalidArgument, match=r"unknown synth option 'blurr'"):
        camreg.synth(vol, cam, pose, blurr=1)
    with pytest.raises(camreg.InvalidArgument, match=r"focus"):
        camreg.register(vol, cam, scene["photo"], scene["start"], focus_distance=-5)
    with pytest.raises(ValueError, match=r"shard"):
        camreg.experiment.run("x.cfg", "out", shard="3")


def test_library_errors_carry_the_message(scene, tmp_path):
    with pytest.raises(camreg.FileError, match=r"missing\.nii\.gz"):
        camreg.Volume.load(tmp_path / "missing.nii.gz")
    with pytest.raises(camreg.Error, match=r"nope\.yml"):
        camreg.Camera.read(tmp_path / "nope.yml")
    (tmp_path / "bad.txt").write_text("1 2 3 4\n5 6 7 8\n9 10 11 12\n0 0 0 1\n")
    with pytest.raises(camreg.InvalidArgument, match=r"not a rotation"):
        camreg.Pose.read(tmp_path / "bad.txt")
    with pytest.raises(camreg.InvalidArgument, match=r"not a rotation"):
        camreg.Pose(np.diag([1.0, 2.0, 1.0]))
    with pytest.raises(camreg.InvalidArgument, match=r"Camera"):
        camreg.Camera([[-5, 0, 1], [0, 5, 1], [0, 0, 1]], None, 10, 10)
    with pytest.raises(ValueError, match=r"no skew"):
        camreg.Camera([[5, 1, 1], [0, 5, 1], [0, 0, 1]], None, 10, 10)
    # The mask empty: registration has nothing to work on.
    with pytest.raises(camreg.EmptyError):
        camreg.register(scene["volume"], scene["camera"], scene["photo"], scene["start"],
                        mask=np.zeros((80, 96), np.float32))
    # Looking away from the volume: nothing seen at the start.
    away = camreg.Pose(np.diag([1.0, 1.0, 1.0]), [-10, -20, -230])
    with pytest.raises(camreg.Error, match=r"."):
        camreg.register(scene["volume"], scene["camera"], scene["photo"], away,
                        mask=scene["mask"])
    with pytest.raises(camreg.Error, match=r"x\.cfg"):
        camreg.experiment.run(tmp_path / "x.cfg", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_errors_are_per_call(scene):
    # A failure leaves nothing behind: the next call succeeds and reports its own result.
    with pytest.raises(camreg.Error):
        camreg.Volume.load("/nonexistent.nii")
    assert camreg.render(scene["volume"], scene["camera"], scene["truth"])["hit"].any()
