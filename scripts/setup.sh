#!/usr/bin/env bash
# Installs camreg's Debian dependencies (when missing) and builds the release binaries
# into build/. Idempotent and quiet when everything is already there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
apt_ensure "${CAMREG_BUILD_PACKAGES[@]}"
build_camreg "$CAMREG_ROOT/build" -DCMAKE_BUILD_TYPE=Release
