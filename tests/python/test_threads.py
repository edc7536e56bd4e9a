"""The Python package and threads: each call releases the GIL, calls from several Python
threads at once give the bits of serial calls, the bits do not depend on simdnorm's thread
cap, and a Moments shared between threads loses no rows."""

import threading
import time

import numpy as np

import simdnorm


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def test_a_call_releases_the_gil():
    # One long call (about 60 ms: group norm with GELU over 256 MiB) on a worker thread,
    # capped to one thread so that a core stays free; the main thread records the time at
    # every loop turn meanwhile. Were the GIL held through the call, the main thread could not
    # run during it, and the largest gap between its turns would span the whole call;
    # released, the gaps stay at scheduling noise.
    x = np.tile(data(1024), 64 * 1024).reshape(64, 1024, 1024)
    span = {}

    def worker():
        span["start"] = time.perf_counter()
        simdnorm.group_norm(x, 32, activation="gelu", out=x)
        span["end"] = time.perf_counter()

    simdnorm.set_max_threads(1)
    try:
        thread = threading.Thread(target=worker)
        turns = []
        thread.start()
        while thread.is_alive():
            turns.append(time.perf_counter())
        thread.join()
    finally:
        simdnorm.set_max_threads(0)
    call = span["end"] - span["start"]
    points = [span["start"]] + [t for t in turns if span["start"] < t < span["end"]] + [span["end"]]
    largest_gap = max(b - a for a, b in zip(points, points[1:]))
    assert largest_gap < 0.5 * call, (f"the main thread waited {largest_gap * 1e3:.1f} ms of a "
                                      f"{call * 1e3:.1f} ms call")


def test_calls_from_many_python_threads_give_the_serial_bits():
    inputs = [data((64, 1024), seed) for seed in range(8)]
    serial = [simdnorm.layer_norm(x) for x in inputs]
    results = [None] * len(inputs)

    def run(i):
        for _ in range(20):
            results[i] = simdnorm.layer_norm(inputs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)


def test_the_bits_do_not_depend_on_the_thread_cap():
    x = data((8, 320, 32, 32))
    outputs = []
    try:
        for cap in (0, 1, 2, 3):
            simdnorm.set_max_threads(cap)
            outputs.append(simdnorm.group_norm(x, 32, layout="nchw", return_stats=True))
    finally:
        simdnorm.set_max_threads(0)
    for y, mean, rstd in outputs[1:]:
        np.testing.assert_array_equal(y, outputs[0][0])
        np.testing.assert_array_equal(mean, outputs[0][1])
        np.testing.assert_array_equal(rstd, outputs[0][2])


def test_a_moments_updated_from_many_threads_counts_every_row():
    batches = [data((50, 16), seed) + 100 for seed in range(16)]
    shared = simdnorm.Moments(16)

    def run(i):
        shared.update(batches[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shared.count == 800
    mean, var = shared.finalize()
    whole = np.concatenate(batches).astype(np.float64)
    # Merges in another order than a serial pass: float32 rounding of the mean (5e-6 near
    # 100) and a few ulps of the variance.
    assert np.max(np.abs(mean - whole.mean(0))) < 1e-5
    assert np.max(np.abs(var / whole.var(0) - 1)) < 1e-5
