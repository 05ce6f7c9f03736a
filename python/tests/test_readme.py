"""The README's Python example (the first ```python block of its "## Python" section) is
under ten lines and runs: it registers a synthetic photo of Colin27 close to the truth."""

import os
import re

import numpy as np
import pytest

ROOT = os.environ.get("CAMREG_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def example():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_example_is_short():
    lines = [ln for ln in example().splitlines() if ln.strip()]
    assert 3 <= len(lines) < 10
    assert any("camreg.register(" in ln for ln in lines)


def test_example_runs(monkeypatch, capsys):
    if not os.path.isfile(os.path.join(ROOT, "datasets/data/colin27/ch2bet.nii.gz")):
        pytest.skip("Colin27 not downloaded (datasets/fetch.sh)")
    monkeypatch.chdir(ROOT)
    scope = {}
    exec(compile(example(), "README.md", "exec"), scope)
    assert capsys.readouterr().out.strip()
    pose, truth, start = scope["pose"], scope["truth"], scope["start"]
    err = np.linalg.norm(pose.centre - truth.centre)
    print(f"camera centre {err:.2f} mm from the truth")
    assert err < 2.0 < np.linalg.norm(start.centre - truth.centre), err
