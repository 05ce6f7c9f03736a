"""Experiments (experiments/runner.h): run a config, read its results."""

import csv
import ctypes
import os

from . import _lib
from ._lib import lib


def run(config, outdir, shard=None, threads=0, limit=0, images=0):
    """Runs (or resumes) an experiment config into folder `outdir`, as `camreg experiment run
    CONFIG -o DIR`: shard=(k, n) or "k/n" runs trials t with t % n == k - 1; threads: trials in
    parallel (0: OpenMP's default); limit: stop after this many new trials (0: none); images:
    the first N registration trials also save their photo and overlay. Returns {total,
    resumed, run, failed, csv}. The GIL is released while it runs."""
    k, n = 1, 1
    if shard is not None:
        if isinstance(shard, str):
            try:
                k, n = (int(x) for x in shard.split("/"))
            except ValueError:
                raise ValueError(f"shard: expected 'K/N', got {shard!r}") from None
        else:
            k, n = shard
    stats = (ctypes.c_long * 4)()
    path = ctypes.create_string_buffer(4200)
    _lib.check(lib.cr_py_experiment_run(_lib.fspath(config, "config"), _lib.fspath(outdir, "outdir"),
                                        int(k), int(n), int(threads), int(limit), int(images),
                                        stats, path, len(path)), "experiment")
    return {"total": stats[0], "resumed": stats[1], "run": stats[2], "failed": stats[3],
            "csv": os.fsdecode(path.value)}


def _number(s):
    for conv in (int, float):
        try:
            return conv(s)
        except ValueError:
            pass
    return s


def results(path):
    """The rows of a results CSV (or of DIR/results.csv) as dicts, numbers converted; the
    '#' header lines (version, config, hash, shard) are skipped."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.csv")
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(lines)]
