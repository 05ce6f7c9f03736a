#!/usr/bin/env bash
# The Python module's overhead per render (scripts/bench_python.py) with the Release build
# in build/ and Debian's python3 (python3-numpy). Usage: bash scripts/bench_python.sh [frames]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export CAMREG_LIBRARY="$CAMREG_ROOT/build/python/libcamreg.so"
[ -f "$CAMREG_LIBRARY" ] || { log "build first: cmake --build build --target camreg_shared"; exit 1; }
PYTHONPATH="$CAMREG_ROOT/python" exec /usr/bin/python3 "$CAMREG_ROOT/scripts/bench_python.py" "$@"
