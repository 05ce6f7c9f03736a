# Shared shell helpers for camreg's scripts (sourced, not run).
set -euo pipefail
CAMREG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CAMREG_ROOT

# Debian packages camreg builds and runs with.
CAMREG_BUILD_PACKAGES=(gcc g++ make cmake pkg-config
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-calib3d-dev
  libopencv-features2d-dev
  libgsl-dev libnifti2-dev libcmocka-dev libconfig-dev libcjson-dev zlib1g-dev
  libyaml-dev  # camera/rig YAML checked before OpenCV's FileStorage parser
  libsuitesparse-dev  # CHOLMOD: the conformal flat map's sparse Cholesky
  gnuplot-nox)  # gnuplot: the experiment figures (scripts/figures)

log() { printf '[camreg] %s\n' "$*" >&2; }

# apt_ensure PKG...: installs the packages that are missing; silent when none is.
apt_ensure() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]} (run as root, or install them with apt-get)"
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# build_camreg DIR [cmake args...]: configures (once) and builds; the log stays in DIR.
build_camreg() {
  local dir="$1"; shift
  mkdir -p "$dir"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    log "configuring $dir"
    cmake -S "$CAMREG_ROOT" -B "$dir" "$@" >"$dir/configure.log" 2>&1 || { cat "$dir/configure.log" >&2; exit 1; }
  fi
  if ! cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1; then
    grep -E "error|Error" "$dir/build.log" | head -40 >&2 || true
    log "build failed: see $dir/build.log"
    exit 1
  fi
  if grep -q "warning:" "$dir/build.log"; then grep "warning:" "$dir/build.log" | sort -u >&2; fi
}
