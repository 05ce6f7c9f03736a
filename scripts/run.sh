#!/usr/bin/env bash
# The main job: installs and builds camreg (scripts/setup.sh), fetches the datasets and
# runs the default demo on the Colin27 brain MRI. Outputs go to out/demo/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$CAMREG_ROOT/scripts/setup.sh"
bash "$CAMREG_ROOT/datasets/fetch.sh"
exec bash "$CAMREG_ROOT/scripts/demo.sh" "$@"
