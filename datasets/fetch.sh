#!/usr/bin/env bash
# Fetches camreg's datasets into datasets/data/ (git-ignored), from Debian packages only:
#   colin27/      ch2.nii.gz, ch2bet.nii.gz, ch2better.nii.gz  (package mricron-data)
#   colin27/atlases/  label maps in Colin27's space with their tables (mricron-data):
#                 aal.nii.gz + aal.nii.txt (names) + aal.nii.lut (colours), brodmann.nii.gz
#                 + brodmann.nii.lut, HarvardOxford-cort-maxprob-thr0-1mm.nii.gz
#   chessboards/  left.jpg, left01.jpg ... left14.jpg and right.jpg, right01.jpg ...
#                 right14.jpg: OpenCV's calibration and stereo sample photos (package
#                 opencv-doc, extracted without installing the package)
# Idempotent: does nothing when the files are already there.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
data="$CAMREG_ROOT/datasets/data"
mkdir -p "$data/colin27" "$data/chessboards"

if [ ! -s "$data/colin27/ch2bet.nii.gz" ]; then
  apt_ensure mricron-data
  for f in ch2 ch2bet ch2better; do
    cp /usr/share/mricron/templates/$f.nii.gz "$data/colin27/$f.nii.gz.part"
    mv "$data/colin27/$f.nii.gz.part" "$data/colin27/$f.nii.gz"
  done
  log "Colin27 -> $data/colin27"
fi

atlases="$data/colin27/atlases"
if [ ! -s "$atlases/aal.nii.lut" ]; then
  apt_ensure mricron-data
  mkdir -p "$atlases"
  for f in aal.nii.gz aal.nii.txt brodmann.nii.gz brodmann.nii.lut \
           HarvardOxford-cort-maxprob-thr0-1mm.nii.gz aal.nii.lut; do
    cp /usr/share/mricron/templates/$f "$atlases/$f.part"
    mv "$atlases/$f.part" "$atlases/$f"
  done
  log "Colin27 atlases (AAL, Brodmann, Harvard-Oxford) -> $atlases"
fi

# right14.jpg: folders fetched before the right photos were added get them now.
if [ ! -s "$data/chessboards/left14.jpg" ] || [ ! -s "$data/chessboards/right14.jpg" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  ( cd "$tmp" && apt-get download opencv-doc >/dev/null 2>&1 ) || {
    apt-get update -q >/dev/null && ( cd "$tmp" && apt-get download opencv-doc >/dev/null ); }
  dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb |
    tar -x -C "$tmp" --wildcards './usr/share/doc/opencv-doc/examples/data/left*.jpg' \
      './usr/share/doc/opencv-doc/examples/data/right*.jpg'
  for f in "$tmp"/usr/share/doc/opencv-doc/examples/data/{left,right}*.jpg; do
    cp "$f" "$data/chessboards/$(basename "$f").part"
    mv "$data/chessboards/$(basename "$f").part" "$data/chessboards/$(basename "$f")"
  done
  log "OpenCV chessboard photos (left/right stereo pairs) -> $data/chessboards ($(ls "$data/chessboards" | wc -l) files)"
fi
