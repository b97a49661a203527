#!/usr/bin/env python3
"""The seed's 3.2 GB numpy shared-memory demo, rebuilt faithfully with today's standard library.

The seed (shared/seeds/000_*.txt) allocates 400,000,000 float64 (10,000 x 40,000) in shared memory,
fills them with 42, lets a multiprocessing.Pool of 4 workers overwrite 10 chunks of 1,000 rows with
their PIDs, and counts the values with np.unique(..., return_counts=True). This is the same program
with multiprocessing.shared_memory (Python 3.8+) instead of the 2009 sharedmem module, the fork start
method the seed had on Linux, no keypress waits, and each phase timed with time.perf_counter() so that
bench/SharedArrays.Benchmarks can put it side by side with `sharr demo --json`.

It prints one JSON object on stdout. The segment is unlinked at the end, on error and on SIGTERM too.
"""

import argparse
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from multiprocessing import shared_memory

import numpy as np

FILL_VALUE = 42.0

# Set in the parent before the pool forks, as the seed's global shared array was: the workers inherit them.
_name = None
_shape = None
_rows_per_chunk = None


def worker_fn(idx):
    """Attach the segment by name and write this worker's PID into rows idx .. idx + rows_per_chunk."""
    shm = shared_memory.SharedMemory(name=_name)
    try:
        a = np.ndarray(_shape, dtype=np.float64, buffer=shm.buf)
        a[idx:idx + _rows_per_chunk, :] = os.getpid()
        del a  # the buffer must have no exports left before close()
    finally:
        shm.close()
    return os.getpid()


def _raise_on_sigterm(signum, frame):
    # The default SIGTERM action skips `finally`; turn it into an exception so the segment is unlinked.
    raise SystemExit(128 + signum)


def main():
    global _name, _shape, _rows_per_chunk
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=40_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--name", default=None, help="segment name (default: sharrbench-py-PID)")
    args = parser.parse_args()
    if args.rows % args.chunks != 0:
        parser.error(f"--rows ({args.rows}) must be a multiple of --chunks ({args.chunks}), as in the seed")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)

    _name = args.name or f"sharrbench-py-{os.getpid()}"
    _shape = (args.rows, args.cols)
    _rows_per_chunk = args.rows // args.chunks
    n = args.rows * args.cols
    nbytes = n * 8
    phases = {}
    total_start = time.perf_counter()
    shm = None
    pool = None
    a = None
    try:
        t = time.perf_counter()
        shm = shared_memory.SharedMemory(name=_name, create=True, size=nbytes)
        a = np.ndarray(_shape, dtype=np.float64, buffer=shm.buf)
        phases["create"] = time.perf_counter() - t

        t = time.perf_counter()
        a[:] = FILL_VALUE
        phases["fill"] = time.perf_counter() - t

        t = time.perf_counter()
        pool = mp.get_context("fork").Pool(args.workers)
        pool_start = time.perf_counter() - t
        starts = list(range(0, args.rows, _rows_per_chunk))
        pids = pool.map(worker_fn, starts)
        phases["workers"] = time.perf_counter() - t

        t = time.perf_counter()
        values, counts = np.unique(a, return_counts=True)
        phases["verify"] = time.perf_counter() - t

        per_chunk = _rows_per_chunk * args.cols
        expected = {}
        for pid in pids:
            expected[pid] = expected.get(pid, 0) + per_chunk
        found = {int(v): int(c) for v, c in zip(values, counts)}
        ok = found == expected and FILL_VALUE not in values

        t = time.perf_counter()
        pool.close()
        pool.join()
        pool = None
        del a
        a = None
        shm.close()
        shm.unlink()
        shm = None
        phases["teardown"] = time.perf_counter() - t
        total = time.perf_counter() - total_start
    finally:
        if pool is not None:
            pool.terminate()
        if shm is not None:
            a = None
            try:
                shm.unlink()
            finally:
                try:
                    shm.close()
                except BufferError:
                    pass  # a view is still alive on the error path; the process exit unmaps it

    json.dump({
        "name": _name,
        "shape": list(_shape),
        "elements": n,
        "bytes": nbytes,
        "workers": args.workers,
        "chunks": len(starts),
        "ok": ok,
        "counts": {str(k): v for k, v in sorted(found.items())},
        "chunk_pids": pids,
        "phases": phases,
        "pool_start_seconds": pool_start,
        "total_seconds": total,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }, sys.stdout)
    sys.stdout.write("\n")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
