"""Python and the camreg program agree bit for bit: renders, metric values, registration
results, synthetic photos and experiment rows, with the same inputs, options and seed."""

import json

import numpy as np
import pytest

import camreg
from conftest import cli, same


def nifti_image(path):
    """A camreg 2-D NIfTI render (x = u, y = v, channels in dim 5) as (h, w[, c]), read by
    nibabel: a reader independent of camreg's."""
    nib = pytest.importorskip("nibabel")
    a = np.asanyarray(nib.load(str(path)).dataobj)
    assert a.dtype == np.float32
    a = a.reshape(a.shape[0], a.shape[1], -1).transpose(1, 0, 2)
    return a[:, :, 0] if a.shape[2] == 1 else a


@pytest.mark.parametrize("mode,cli_opts,py_opts", [
    ("surface", [], {}),
    ("probe", ["--probe-depth", "2", "--probe-mean", "--surface-smooth", "0.5"],
     {"probe_depth": 2, "probe_mean": True, "surface_smooth": 0.5}),
    ("drr", ["--step", "1.25", "--window", "100,900", "--undistorted"],
     {"step": 1.25, "window": (100, 900), "undistorted": True}),
])
def test_render_matches_cli(scene, tmp_path, mode, cli_opts, py_opts):
    d = scene["dir"]
    extra = ["--depth", tmp_path / "depth.nii", "--xyz", tmp_path / "xyz.nii"] \
        if mode != "drr" else []
    cli("render", "-v", d / "ph.nii.gz", "-c", d / "cam.yml", "-p", d / "truth.txt", "-m", mode,
        "-o", tmp_path / "img.tif", *extra, *cli_opts)
    out = camreg.render(scene["volume"], scene["camera"], scene["truth"], mode=mode, **py_opts)
    assert out["hit"].any()
    assert same(out["image"], camreg.read_image(tmp_path / "img.tif"))
    assert same(out["image"], nifti_image_or_tif(tmp_path, mode, out, d, cli_opts))
    if mode != "drr":
        assert same(out["depth"], nifti_image(tmp_path / "depth.nii"))
        assert same(out["xyz"], nifti_image(tmp_path / "xyz.nii"))
    else:
        assert "depth" not in out and "xyz" not in out


def nifti_image_or_tif(tmp_path, mode, out, d, cli_opts):
    # The image as NIfTI too (nibabel), so the comparison does not rest on camreg's reader.
    cli("render", "-v", d / "ph.nii.gz", "-c", d / "cam.yml", "-p", d / "truth.txt", "-m", mode,
        "-o", tmp_path / "img.nii", *cli_opts)
    return nifti_image(tmp_path / "img.nii")


def cli_metric_value(*args):
    line = cli("metric", *args).stdout.split("\n")[0].split()
    return float(line[1])


def test_metric_matches_cli(scene, tmp_path):
    d = scene["dir"]
    ren = camreg.render(scene["volume"], scene["camera"], scene["start"])["image"]
    camreg.write_image(tmp_path / "ren.tif", ren, 32)
    for name, args, opts in [("ngf", [], {}), ("ncc", [], {}),
                             ("mi", ["--bins", "16", "--channel", "g"],
                              {"bins": 16, "channel": "g"}),
                             ("lncc", ["--lncc-radius", "3"], {"lncc_radius": 3})]:
        want = cli_metric_value(d / "photo.png", tmp_path / "ren.tif", "--mask", d / "mask.png",
                                "--metric", name, *args)
        got = camreg.metric(name, scene["photo"], ren, mask=scene["mask"], **opts)
        assert got == want, name  # exact: the CLI prints round-trip digits


def test_register_matches_cli(scene, tmp_path):
    d = scene["dir"]
    cli("register", "-v", d / "ph.nii.gz", "-c", d / "cam.yml", "-p", d / "photo.png", "--mask",
        d / "mask.png", "--init", d / "start.txt", "-o", tmp_path / "pose.txt", "--report",
        tmp_path / "rep.json", "--levels", "2", "--max-evals", "30", "--starts", "2", "--seed",
        "7", "--metric", "ncc", "--focus-distance", "180", "--focus-sigma", "2")
    want = json.loads((tmp_path / "rep.json").read_text())
    pose, rep = camreg.register(scene["volume"], scene["camera"], scene["photo"], scene["start"],
                                mask=scene["mask"], focus_distance=180, focus_sigma=2, levels=2,
                                max_evals=30, starts=2, seed=7, metric="ncc")
    # The pose file has 17 digits (exact); the JSON reports come from one cJSON printer.
    assert np.array_equal(pose.matrix, np.loadtxt(tmp_path / "pose.txt"))
    assert rep["final_pose"] == want["final_pose"] and rep["start_pose"] == want["start_pose"]
    for k in ("final_cost", "prior_penalty", "evaluations", "best_start", "pivot", "pose_change",
              "metric", "mode", "method", "focus", "optimizer"):
        assert rep[k] == want[k], k
    strip = [{k: v for k, v in lv.items() if k != "seconds"} for lv in rep["levels"]]
    assert strip == [{k: v for k, v in lv.items() if k != "seconds"} for lv in want["levels"]]
    assert set(want) - set(rep) == {"volume", "photo"}
    # The budget: 2 starts x 30 at the coarse level, then max(30 / 2, 40) at the fine one.
    assert 0 < rep["evaluations"] <= 2 * 30 + 40


def test_synth_matches_cli(scene):
    photo, mask = camreg.synth(scene["volume"], scene["camera"], scene["truth"], seed=5)
    # `camreg synth` writes 8-bit PNGs (rounded to nearest, ties to even, saturated).
    assert same(np.clip(np.rint(photo), 0, 255), scene["photo"])
    assert same(mask * 255, scene["mask"])


CONFIG = """trials = 4;
seed = 5;
registration = { max_evals = 60; levels = 1; };
methods = ( { name = "nm"; optimizer = "nelder-mead"; } );
start = { bins_mm = [0.0, 3.0]; };
"""


def test_experiment_matches_cli(tmp_path):
    cfg = tmp_path / "x.cfg"
    cfg.write_text(CONFIG)
    cli("experiment", "run", cfg, "-o", tmp_path / "cli")
    st = camreg.experiment.run(cfg, tmp_path / "py", threads=1)
    assert st["total"] == 4 and st["run"] == 4 and st["failed"] == 0 and st["resumed"] == 0
    a, b = (camreg.experiment.results(tmp_path / x) for x in ("cli", "py"))
    key = lambda r: r["trial"]  # noqa: E731
    for r in a + b:
        r.pop("time_s")
    assert sorted(a, key=key) == sorted(b, key=key) and len(a) == 4
    assert camreg.experiment.run(cfg, tmp_path / "py")["resumed"] == 4
