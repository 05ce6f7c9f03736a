#!/usr/bin/env bash
# Runs python/tests/test_*.py files with pytest against the built libcamreg: ctest calls
# it once per file with CAMREG_LIBRARY (the built libcamreg.so), CAMREG_EXE (the camreg
# program, for the CLI cross-checks) and CAMREG_PYTHON set. SKIP (77) when that Python
# lacks numpy or pytest (scripts/test.sh installs python3-numpy and python3-pytest).
#
# Sanitizers: the test build (scripts/test.sh, CAMREG_SANITIZE=ON) compiles libcamreg with
# ASan+UBSan like everything else, so the Python tests exercise the library under the
# sanitizers too. An ASan library can only be loaded into an uninstrumented program (python3)
# when the ASan runtime is the first library of the process, so when libcamreg links
# libasan this preloads exactly the libasan it links (ldd), and switches leak detection off:
# the interpreter keeps its objects to the end by design, and LeakSanitizer would report
# them; the C tests keep checking the library for leaks.
set -u
py="${CAMREG_PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! "$py" -c "import numpy, pytest" 2> /dev/null; then
  echo "SKIP: $py lacks numpy or pytest (apt-get install python3-numpy python3-pytest)"
  exit 77
fi
lib="${CAMREG_LIBRARY:?CAMREG_LIBRARY must name the built libcamreg.so}"
asan="$(ldd "$lib" 2> /dev/null | awk '/libasan/ {print $3; exit}')"
if [ -n "$asan" ]; then
  export LD_PRELOAD="$asan${LD_PRELOAD:+:$LD_PRELOAD}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
export PYTHONPATH="$here/..${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
# --capture=sys: pytest captures Python's output only, so a sanitizer report (written by
# the C runtime to file descriptor 2 just before it ends the process) reaches the log.
exec "$py" -m pytest -q -p no:cacheprovider --capture=sys "$@"
