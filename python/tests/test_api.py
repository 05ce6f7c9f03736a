"""The Python module's own contract: volumes as nibabel sees them, camera and pose files and
conventions, render outputs against the camera model, zero-copy outputs, memory that
outlives close(), the GIL released during long calls, synth determinism."""

import os
import threading
import time

import numpy as np
import pytest

import camreg


def test_volume_matches_nibabel(scene):
    nib = pytest.importorskip("nibabel")
    path = str(scene["dir"] / "ph.nii.gz")
    img = nib.load(path)
    vol = scene["volume"]
    assert np.array_equal(vol.affine, img.affine)
    assert vol.shape == img.shape and vol.data.shape == img.shape
    assert np.array_equal(vol.data, np.asarray(img.dataobj, dtype=np.float32))
    assert np.allclose(vol.spacing, img.header.get_zooms()[:3])


def test_colin27_matches_nibabel():
    nib = pytest.importorskip("nibabel")
    path = os.path.join(os.environ.get("CAMREG_SOURCE_DIR", ""), "datasets/data/colin27/ch2bet.nii.gz")
    if not os.path.isfile(path):
        pytest.skip("Colin27 not downloaded")
    img = nib.load(path)
    with camreg.Volume.load(path) as vol:
        assert vol.datatype == "uint8"
        assert np.array_equal(vol.affine, img.affine)
        assert np.array_equal(vol.data, img.get_fdata(dtype=np.float32))


def test_volume_from_array_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 6, 7)).astype(np.float32)
    aff = np.array([[0, -2, 0, 10], [1.5, 0, 0, -3], [0, 0, 1, 7], [0, 0, 0, 1.0]])
    v = camreg.Volume.from_array(a, aff)
    assert np.array_equal(v.data, a) and np.array_equal(v.affine, aff)
    assert v.spacing == (1.5, 2.0, 1.0)
    v.save(tmp_path / "v.nii.gz")
    w = camreg.Volume.load(tmp_path / "v.nii.gz")
    assert np.array_equal(w.data, a) and np.allclose(w.affine, aff, atol=1e-6)


def test_volume_data_is_a_view_that_outlives_close(scene):
    v = camreg.Volume.load(scene["dir"] / "ph.nii.gz")
    d1, d2 = v.data, v.data
    assert np.shares_memory(d1, d2) and not d1.flags.writeable
    total = float(d1.sum())
    v.close()
    assert v.closed and float(d1.sum()) == total  # the view keeps the library's memory
    with pytest.raises(ValueError, match="closed"):
        v.data


def test_camera_file_roundtrip_and_scaling(scene, tmp_path):
    cam = scene["camera"]
    assert cam.width == 96 and cam.height == 80 and cam.K[1, 1] == 182
    cam.write(tmp_path / "c.yml")
    back = camreg.Camera.read(tmp_path / "c.yml")
    assert np.array_equal(back.K, cam.K) and np.array_equal(back.dist, cam.dist)
    half = cam.scaled(0.5)  # pixel-centre convention: c' = (c + 0.5) s - 0.5
    assert (half.width, half.height) == (48, 40)
    assert half.K[0, 2] == (47.5 + 0.5) * 0.5 - 0.5 and half.K[0, 0] == 90


def test_camera_project_is_the_pinhole():
    cam = camreg.Camera([[500, 0, 100.5], [0, 400, 60], [0, 0, 1]], None, 200, 120)
    assert np.allclose(cam.project([10, -20, 250]), [100.5 + 500 * 0.04, 60 - 400 * 0.08])
    assert cam.project([0, 0, -5]) is None
    fov = camreg.Camera.from_fov(256, 256, 90)
    assert np.isclose(fov.K[0, 0], 128) and fov.K[0, 2] == 127.5


def test_pose_files_and_algebra(scene, tmp_path):
    p = camreg.Pose.from_rvec_tvec([0.1, -0.2, 0.3], [5, 6, 250])
    assert np.allclose(p.rvec, [0.1, -0.2, 0.3]) and np.array_equal(p.tvec, [5, 6, 250])
    p.write(tmp_path / "p.txt")
    assert np.array_equal(np.loadtxt(tmp_path / "p.txt"), p.matrix)  # numpy reads pose files
    q = camreg.Pose.read(tmp_path / "p.txt")
    assert np.allclose(q.matrix, p.matrix, atol=1e-15)
    assert np.allclose((p @ p.inverse()).matrix, np.eye(4), atol=1e-12)
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(p.apply(x), p.R @ x + p.t)
    assert np.allclose(p.apply(p.centre), 0, atol=1e-12)  # the centre is the camera origin


def test_render_follows_the_camera_model(scene):
    vol, cam, pose = scene["volume"], scene["camera"], scene["truth"]
    out = camreg.render(vol, cam, pose, mode="surface", outputs=("depth", "xyz", "normal"),
                        background=-7)
    hit = out["hit"]
    assert hit.dtype == np.bool_ and 0 < hit.sum() < hit.size
    # Misses: background, depth 0, NaN xyz and normal.
    assert np.all(out["image"][~hit] == -7) and np.all(out["depth"][~hit] == 0)
    assert np.all(np.isnan(out["xyz"][~hit])) and np.all(np.isnan(out["normal"][~hit]))
    # Hits: xyz (world) in the camera frame has z = depth and projects onto its own pixel
    # (with the lens distortion).
    v, u = np.nonzero(hit)
    sel = np.linspace(0, len(u) - 1, 50).astype(int)
    for i in sel:
        xc = pose.apply(out["xyz"][v[i], u[i]].astype(np.float64))
        assert abs(xc[2] - out["depth"][v[i], u[i]]) < 1e-3
        assert np.allclose(cam.project(xc), [u[i], v[i]], atol=0.01)
    assert np.allclose(np.linalg.norm(out["normal"][hit], axis=1), 1, atol=1e-3)


def test_renderer_writes_into_given_arrays(scene):
    r = camreg.Renderer(scene["volume"], "surface")
    a = r.render(scene["camera"], scene["truth"])
    ids = {k: id(x) for k, x in a.items()}
    keep = {k: x.copy() for k, x in a.items()}
    b = r.render(scene["camera"], scene["start"], out=a)
    assert all(id(b[k]) == ids[k] for k in ("image", "depth", "xyz"))
    c = r.render(scene["camera"], scene["truth"], out=b)
    assert all(np.array_equal(c[k], keep[k], equal_nan=True) for k in keep)
    assert r.last_seconds > 0 and r.outputs == ("depth", "xyz", "normal")
    # A pixel mask: pixels outside it are misses.
    pm = np.zeros((80, 96), np.uint8)
    pm[20:60, 30:70] = 1
    m = r.render(scene["camera"], scene["truth"], pixel_mask=pm)
    assert not m["hit"][pm == 0].any() and np.array_equal(m["hit"][pm == 1], keep["hit"][pm == 1])


def test_point_light(scene):
    """A point light at the camera centre is the headlight; moved, the shading changes; the
    DRR takes no light."""
    r = camreg.Renderer(scene["volume"], "surface")
    head = r.render(scene["camera"], scene["truth"])["image"]
    at_centre = r.render(scene["camera"], scene["truth"], light_at=(0, 0, 0))["image"]
    moved = r.render(scene["camera"], scene["truth"], light_at=(80, 0, 0))["image"]
    hit = np.isfinite(head) & (head > 0)
    assert hit.sum() > 100
    assert np.allclose(at_centre[hit], head[hit], atol=1e-6)
    assert np.abs(moved[hit] - head[hit]).max() > 0.05
    with pytest.raises(ValueError):
        r.render(scene["camera"], scene["truth"], light_at=(0, 0))
    with pytest.raises(camreg.InvalidArgument, match="takes no light position"):
        camreg.Renderer(scene["volume"], "drr").render(scene["camera"], scene["truth"],
                                                       light_at=(0, 0, 0))


def test_renderer_keeps_a_closed_volume_alive(scene):
    v = camreg.Volume.load(scene["dir"] / "ph.nii.gz")
    r = camreg.Renderer(v, "drr")
    want = r.render(scene["camera"], scene["truth"])["image"]
    v.close()
    del v
    assert np.array_equal(r.render(scene["camera"], scene["truth"])["image"], want)
    r.close()
    with pytest.raises(ValueError, match="closed"):
        r.render(scene["camera"], scene["truth"])


def test_close_during_a_call_is_safe(scene):
    # Another thread closes the volume while a registration runs on it: the call keeps the
    # library's memory until it returns (under ASan a use after free would abort).
    v = camreg.Volume.load(scene["dir"] / "ph.nii.gz")
    started, result = threading.Event(), []

    def work():
        started.set()
        result.append(camreg.register(v, scene["camera"], scene["photo"], scene["start"],
                                      mask=scene["mask"], levels=1, max_evals=150, starts=1))

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    v.close()
    t.join()
    assert v.closed and result and result[0][1]["evaluations"] > 0


def test_focus_distance_is_the_principal_ray_depth(scene):
    cam, pose = scene["camera"], scene["truth"]
    d = camreg.focus_distance(scene["volume"], cam, pose)
    out = camreg.render(scene["volume"], cam, pose)
    # The principal point (47.5, 39.5) lies between four pixels: their xyz bracket the hit.
    xyz = out["xyz"][39:41, 47:49].reshape(-1, 3).astype(np.float64)
    dist = np.linalg.norm(xyz - pose.centre, axis=1)
    assert dist.min() - 0.5 <= d <= dist.max() + 0.5


def test_gil_is_released_during_library_calls(scene):
    # While one thread registers (one long call into the library), the main thread keeps
    # running Python: the longest gap between its loop iterations stays far below the call.
    started, done, span = threading.Event(), threading.Event(), []

    def work():
        started.set()
        t0 = time.perf_counter()
        camreg.register(scene["volume"], scene["camera"], scene["photo"], scene["start"],
                        mask=scene["mask"], levels=2, max_evals=200, starts=3)
        span.append(time.perf_counter() - t0)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    last, gap = time.perf_counter(), 0.0
    while not done.is_set():
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
    t.join()
    assert span[0] > 0.1, "the registration was too short to tell"
    assert gap < span[0] / 2, f"main thread stalled {gap:.3f} s of a {span[0]:.3f} s call"


def test_threads_render_the_same(scene):
    cam, pose = scene["camera"], scene["truth"]
    want = camreg.render(scene["volume"], cam, pose, mode="probe")["image"]
    got = [None] * 4

    def work(i):
        r = camreg.Renderer(scene["volume"], "probe")
        got[i] = r.render(cam, pose)["image"]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(g, want) for g in got)


def test_synth_is_seeded(scene):
    vol, cam, pose = scene["volume"], scene["camera"], scene["truth"]
    a, ma = camreg.synth(vol, cam, pose, seed=3, occluders=0)
    b, mb = camreg.synth(vol, cam, pose, seed=3, occluders=0)
    c, _ = camreg.synth(vol, cam, pose, seed=4, occluders=0)
    assert np.array_equal(a, b) and np.array_equal(ma, mb) and not np.array_equal(a, c)
    assert a.shape == (80, 96, 3) and a.min() >= 0 and a.max() <= 255
    assert set(np.unique(ma)) <= {0.0, 1.0} and ma.sum() > 0


def test_method_keys_are_the_cli_keys():
    keys = camreg.method_keys()
    assert keys["metric"] == "ngf" and keys["mode"] == "surface" and "max-evals" in keys
    assert len(keys) > 30
