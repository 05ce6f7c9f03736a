#!/usr/bin/env bash
# Installs what the tests need, builds camreg with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-test/, fetches the datasets and runs the whole
# test suite with ctest. Extra arguments go to ctest (e.g. -R core).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# python3-nibabel: the independent NIfTI reader the tests cross-check against;
# python3-opencv: reads camreg's rig files with cv2.FileStorage and redoes the stereo
# calibration with cv2.stereoCalibrate; clang-format: tests/cli_format.sh checks the code format;
# chromium: headless, opens the HTML experiment report (test_experiments_report);
# python3-numpy and python3-pytest: the Python module (python/camreg) and its tests.
apt_ensure "${CAMREG_BUILD_PACKAGES[@]}" python3-nibabel python3-opencv clang-format chromium \
  python3-numpy python3-pytest
bash "$CAMREG_ROOT/datasets/fetch.sh"
build_camreg "$CAMREG_ROOT/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAMREG_SANITIZE=ON
# OpenMP's thread pool is reported as a leak by LeakSanitizer in some runtimes; real
# leaks in camreg code still show because the suppression names only libgomp.
export LSAN_OPTIONS="suppressions=$CAMREG_ROOT/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$CAMREG_ROOT/build-test"
ctest --output-on-failure -j2 --timeout 600 "$@"
