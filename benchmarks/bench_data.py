"""Benchmark: sampling the hidden manifold model against the bare matrix product it needs.

Target (issue 2): n = 100 000 inputs at D = 500, N = 1000 within 2x the time of the product
C @ F (C: n x D, F: D x N), holding at most twice the output's memory. Prints its figures.

    .venv/bin/python benchmarks/bench_data.py
"""

import time
import tracemalloc

import numpy as np

import tlcourse as tl


def best_of(f, repeat: int = 3) -> float:
    """Shortest wall time of ``repeat`` calls of ``f``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def time_product(task: tl.Task, n: int) -> float:
    """Time of the bare product C @ F with C (n, D) already drawn."""
    C = np.random.default_rng(1).standard_normal((n, task.D))
    return best_of(lambda: C @ task.F)


def main(n: int = 100_000, D: int = 500, N: int = 1000) -> None:
    task = tl.make_source(D, N, rng=0)
    t_matmul = time_product(task, n)
    t_sample = best_of(lambda: task.sample(n, rng=2))

    tracemalloc.start()
    X, y = task.sample(n, rng=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    output = X.nbytes + y.nbytes

    print(f"sample n={n}, D={D}, N={N} (float64)")
    print(f"  bare product C @ F : {t_matmul:6.2f} s")
    print(f"  Task.sample        : {t_sample:6.2f} s  "
          f"({t_sample / t_matmul:.2f}x the product; target <= 2x)")
    print(f"  output             : {output / 2**20:8.1f} MiB")
    print(f"  peak allocated     : {peak / 2**20:8.1f} MiB  "
          f"({peak / output:.2f}x the output; target <= 2x)")


if __name__ == "__main__":
    main()
