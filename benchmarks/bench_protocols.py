"""Benchmark of part II: source training, its throughput, and a TL + RF learning curve.

Targets (issue 3), at N = K = 400 on this 2-core machine:

- the source network at P_s = 10 N trained (full-batch Adam, 1000 epochs) in <= 60 s;
- the training loop's throughput >= 50% of the bare PyTorch matrix-multiply rate (same dtype and
  shapes, measured in the same run so that the machine's load affects both alike);
- a TL + RF learning curve (8 sizes x 3 seeds, 10 000 test samples per seed) in <= 60 s.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_protocols.py [--epochs E] [--jobs J]``.
Prints seconds (wall and CPU: the machine may be shared), the throughput fraction (per CPU
second, for training and bare products alike) and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import torch

import tlcourse as tl
from tlcourse import curves, networks, stats


def matmul_rate(n: int, N: int, K: int, dtype=networks.DTYPE, repeats: int = 30) -> float:
    """Flop/s of the two products of a training step, bare: X W^T (n,N)x(N,K) and G^T X.

    Per CPU second of this process, like the training rate below: on a shared machine, wall
    time also counts the other processes' turns."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, N, generator=g, dtype=dtype)
    W = torch.randn(K, N, generator=g, dtype=dtype)
    G = torch.randn(n, K, generator=g, dtype=dtype)
    for _ in range(3):
        X @ W.T, G.T @ X
    start = time.process_time()
    for _ in range(repeats):
        X @ W.T
        G.T @ X
    return 4.0 * n * N * K * repeats / (time.process_time() - start)


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss`` is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=400)
    parser.add_argument("--D", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1, help="joblib workers for the curve")
    args = parser.parse_args(argv)
    N = K = args.N
    P_s = 10 * N
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, dtype {networks.DTYPE}, "
          f"device {networks.default_device()}")

    rate_before = matmul_rate(P_s, N, K)
    src = tl.make_source(args.D, N, rng=0)
    start, cpu = time.perf_counter(), time.process_time()
    net = networks.train_source(src, P_s, K, rng=1, epochs=args.epochs)
    t_train, cpu_train = time.perf_counter() - start, time.process_time() - cpu
    rate_after = matmul_rate(P_s, N, K)
    rate = 0.5 * (rate_before + rate_after)
    achieved = 4.0 * P_s * N * K * args.epochs / cpu_train
    X, y = src.sample(20_000, rng=2)
    err, se = networks.test_error(net, X, y)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"source network: D={args.D}, N=K={N}, P_s={P_s}, {args.epochs} epochs: "
          f"{t_train:.1f} s wall, {cpu_train:.1f} s CPU (target <= 60 s); "
          f"source test error {err:.4f} +- {se:.4f}")
    print(f"throughput: {achieved / 1e9:.1f} GFlop/s in training vs {rate / 1e9:.1f} GFlop/s "
          f"bare matmul ({rate_before / 1e9:.1f} before, {rate_after / 1e9:.1f} after): "
          f"{achieved / rate:.0%} (target >= 50%)")

    target = tl.make_target(src, teacher_perturbation=0.3, rng=3)
    alphas = [0.25, 0.5, 1, 1.5, 2, 3, 4, 6]
    start, cpu = time.perf_counter(), time.process_time()
    df = curves.learning_curves(net, target, protocols=("TL", "RF"), alphas=alphas,
                                seeds=(0, 1, 2), n_test=10_000, n_jobs=args.jobs,
                                progress=False)
    t_curve, cpu_curve = time.perf_counter() - start, time.process_time() - cpu
    print(f"TL + RF curve: {len(alphas)} sizes x 3 seeds (n up to {max(df['n'])}), "
          f"n_jobs={args.jobs}: {t_curve:.1f} s wall, {cpu_curve:.1f} s CPU in this process "
          f"(target <= 60 s); load average {os.getloadavg()[0]:.1f}")
    print(stats.summarize(df).round(4).to_string(index=False))
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
