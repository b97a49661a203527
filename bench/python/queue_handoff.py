#!/usr/bin/env python3
"""How long Python takes to hand a float64 array to a worker process through multiprocessing.Queue.

A warm worker (forked once, as a Pool's would be) gets the array through a Queue, sums it and puts the
sum back; each measured round is put() to get() of the sum, so it holds the pickling, the pipe transfer,
the unpickling and the sum. The same sum done in this process is timed too, so that the hand-off itself
can be told apart. bench/SharedArrays.Benchmarks compares it with a SharedArrays pool, which hands over
a handle of a few dozen bytes instead of the bytes themselves.

Prints one JSON object on stdout.
"""

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time

import numpy as np


def worker(inbox, outbox):
    while True:
        a = inbox.get()
        if a is None:
            return
        outbox.put(float(a.sum()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=100_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    n = args.bytes // 8
    a = np.arange(n, dtype=np.float64)  # the same values as the C# side: a[i] = i
    expected = float(n) * (n - 1) / 2

    ctx = mp.get_context("fork")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    process = ctx.Process(target=worker, args=(inbox, outbox), daemon=True)
    process.start()
    try:
        queue_seconds = []
        for i in range(args.warmup + args.repeat):
            t = time.perf_counter()
            inbox.put(a)
            total = outbox.get()
            elapsed = time.perf_counter() - t
            if total != expected:
                raise SystemExit(f"worker summed {total}, expected {expected}")
            if i >= args.warmup:
                queue_seconds.append(elapsed)

        sum_seconds = []
        for i in range(args.warmup + args.repeat):
            t = time.perf_counter()
            a.sum()
            elapsed = time.perf_counter() - t
            if i >= args.warmup:
                sum_seconds.append(elapsed)
    finally:
        inbox.put(None)
        process.join(10)
        if process.is_alive():
            process.kill()

    json.dump({
        "bytes": n * 8,
        "elements": n,
        "queue_seconds": queue_seconds,
        "queue_median_seconds": statistics.median(queue_seconds),
        "numpy_sum_seconds": sum_seconds,
        "numpy_sum_median_seconds": statistics.median(sum_seconds),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
