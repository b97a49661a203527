"""The numpy side of the interop tests: plain numpy, no SharedArrays package.

Usage (one JSON argument, one JSON line of output):
  numpy_peer.py '{"op": "check_and_write", "path": "/dev/shm/NAME", "descr": "<f8", "shape": [2, 3], "seed": 5}'
      numpy.load(path, mmap_mode="r+"): checks dtype, shape and that every element equals
      pattern(seed), then writes pattern(seed + 1) in place and flushes.
  numpy_peer.py '{"op": "save", "path": "/dev/shm/NAME", "descr": "<i4", "shape": [4], "seed": 2, "fortran": false}'
      numpy.save()s pattern(seed) to path (a plain .npy numpy wrote itself).
  numpy_peer.py '{"op": "sum", "path": ..., "set": [[3, 4], 7]}'  loads, optionally sets one element, prints the sum.

pattern(seed)[i] for flat C-order index i: (i * 7 + seed) % 100, as the dtype; bool: (i * 7 + seed) % 3 == 0;
complex: real part as above, imaginary part i % 5. The C# tests compute the same.
"""
import json
import os
import sys

import numpy as np


def pattern(descr, shape, seed):
    n = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    i = np.arange(n, dtype=np.int64)
    base = (i * 7 + seed) % 100
    dt = np.dtype(descr)
    if dt.kind == "b":
        values = base % 3 == 0
    elif dt.kind == "c":
        values = base.astype(dt) + 1j * (i % 5).astype(dt)
    else:
        values = base.astype(dt)
    return values.reshape(shape)


def main():
    req = json.loads(sys.argv[1])
    op = req["op"]
    if op == "check_and_write":
        a = np.load(req["path"], mmap_mode="r+")
        shape = tuple(req["shape"])
        if a.dtype != np.dtype(req["descr"]):
            raise SystemExit(f"dtype {a.dtype.str} != {req['descr']}")
        if a.shape != shape:
            raise SystemExit(f"shape {a.shape} != {shape}")
        expected = pattern(req["descr"], shape, req["seed"])
        if not np.array_equal(a, expected):
            raise SystemExit(f"values differ: {a.ravel()[:8]} vs {expected.ravel()[:8]}")
        a[...] = pattern(req["descr"], shape, req["seed"] + 1)
        a.flush()
        print(json.dumps({"ok": True, "numpy": np.__version__}))
    elif op == "save":
        # Owner-only, as SharedArrays requires by default for names in a shared directory.
        os.umask(0o077 if req.get("private", True) else 0o022)
        values = pattern(req["descr"], tuple(req["shape"]), req["seed"])
        if req.get("fortran"):
            values = np.asfortranarray(values)
        with open(req["path"], "wb") as f:
            np.save(f, values)
        print(json.dumps({"ok": True}))
    elif op == "sum":
        a = np.load(req["path"], mmap_mode="r+")
        before = float(a.sum())
        if "set" in req:
            index, value = req["set"]
            a[tuple(index)] = value
            a.flush()
        print(json.dumps({"ok": True, "sum_before": before, "sum": float(a.sum()), "max": float(a.max())}))
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
