"""`cmake --install BUILD --prefix P` puts the package, with libcamreg.so inside it, where
that prefix's Python looks (Debian: P/lib/python3.X/dist-packages), and the installed
package finds its library without CAMREG_LIBRARY."""

import os
import re
import shutil
import subprocess
import sys

import pytest


def test_installed_package_imports(tmp_path):
    build = os.environ.get("CAMREG_BINARY_DIR")
    if not build or not shutil.which("cmake"):
        pytest.skip("needs CAMREG_BINARY_DIR and cmake")
    cache = open(os.path.join(build, "CMakeCache.txt")).read()
    site = re.search(r"^CAMREG_PYTHON_INSTALL_DIR:STRING=(.*)$", cache, re.M).group(1)
    subprocess.run(["cmake", "--install", build, "--prefix", str(tmp_path)], check=True,
                   capture_output=True)
    pkg = tmp_path / site / "camreg"
    assert (pkg / "libcamreg.so").is_file() and (pkg / "__init__.py").is_file()
    env = {k: v for k, v in os.environ.items() if k not in ("CAMREG_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tmp_path / site)
    code = ("import camreg, camreg._lib as l; print(l.lib._name); "
            "print(camreg.Camera.from_fov(64, 48, 60).K[0, 0])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lib, f = out.stdout.split()
    assert lib == str(pkg / "libcamreg.so") and abs(float(f) - 32 / 0.5773502691896257) < 1e-9
