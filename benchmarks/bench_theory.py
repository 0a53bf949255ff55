"""Benchmark of part III: a 20-point logistic TL theory curve at K = N = 1000, and the curve at
the best penalty at K = N = 200.

Targets: Gaussian-equivalent covariances (analytic) plus 20 saddle-point solves in <= 5 s on
this 2-core machine (issue 4); the 20 solves in <= 0.2 s CPU after the covariances (issue 23:
``theory.learning_curve`` on the batch solver, measured in the same run as the sequential
``theory.solve_gcm`` it replaces, with the largest difference of their test errors); the
20-point curve at each size's best penalty (``theory.best_penalty``) in <= 1 s CPU at
K = N = 200 (issue 21). CPU times of this process (one thread): on a busy machine the wall time
says more about the other processes. The first layers are source networks', trained briefly
(their training time is printed apart and not part of the targets). Accuracy against an
independent slow evaluation is tested in tests/test_theory_gcm.py.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_theory.py
"""

import os
import time

import numpy as np
import torch

import tlcourse as tl
from tlcourse import networks, theory

D, N, K = 500, 1000, 1000
ALPHAS = np.geomspace(0.1, 10, 20)  # n / K
LAM = 0.1


def main() -> None:
    torch.set_num_threads(2)
    src = tl.make_source(D, N, rng=0)
    t0 = time.perf_counter()
    net = networks.train_source(src, 2 * N, K, rng=1, epochs=200)
    print(f"source network (P_s = {2 * N}, 200 epochs): trained in "
          f"{time.perf_counter() - t0:.1f} s (not part of the target)")
    W = net.weights()[0]
    target = tl.make_target(src, teacher_perturbation=0.3, rng=2)

    t0, c0 = time.perf_counter(), time.process_time()
    Omega, Phi = theory.feature_covariances(W, target, activation="erf", method="analytic")
    t_cov, c_cov = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    # before: the sequential solver; K = N, so the GCM's n / K is the course's alpha = n / N
    results = theory.solve_gcm(Omega, Phi, target.theta, samples_per_feature=list(ALPHAS),
                               lam=LAM)
    t_solve, c_before = time.perf_counter() - t0, time.process_time() - c0
    c0 = time.process_time()
    after = theory.learning_curve(W, target, alphas=ALPHAS, lam=LAM, covariances=(Omega, Phi))
    c_after = time.process_time() - c0
    total = t_cov + t_solve
    diff = np.abs(after["test_error"].to_numpy() - [r.test_error for r in results]).max()

    print(f"\nK = N = {N}, D = {D}, logistic loss, lam = {LAM}, {len(ALPHAS)} points")
    print(f"covariances (analytic):            {t_cov:6.2f} s  ({c_cov:.2f} s CPU)")
    print(f"20 solves (one eigh, warm starts): {t_solve:6.2f} s  "
          f"({1e3 * t_solve / len(ALPHAS):.0f} ms per point)")
    print(f"total:                             {total:6.2f} s  (target <= 5 s: "
          f"{'met' if total <= 5 else 'NOT met'})")
    print(f"CPU after the covariances, before (solve_gcm):           {c_before:5.2f} s")
    print(f"CPU after the covariances, after (learning_curve, batch): {c_after:5.2f} s  "
          f"(target <= 0.2 s: {'met' if c_after <= 0.2 else 'NOT met'}); largest difference "
          f"of the test errors {diff:.1e}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall time counts "
          "other jobs)")
    print("\n alpha   test error  iterations  residual")
    for r in results:
        print(f"{r.samples_per_feature:6.2f}   {r.test_error:.5f}    {r.iterations:5d}     "
              f"{r.residual:.1e}")
    print(f"all converged: {all(r.converged for r in results)}; "
          f"largest residual {max(r.residual for r in results):.1e}")
    best_penalty_curve()


def best_penalty_curve() -> None:
    """The 20-point TL curve at each size's best penalty, K = N = 200 (chapters' full size)."""
    n, k = 200, 200
    src = tl.make_source(100, n, rng=0)
    W = networks.train_source(src, 10 * n, k, rng=1).weights()[0]
    target = tl.make_target(src, teacher_perturbation=0.3, rng=2)
    cov = theory.feature_covariances(W, target)
    alphas = np.geomspace(0.2, 20, 20)
    c0 = time.process_time()
    best = theory.best_penalty(W, target, alphas=alphas, covariances=cov)
    cpu = time.process_time() - c0
    fixed = theory.learning_curve(W, target, alphas=alphas, lam=LAM, covariances=cov)
    print(f"\nK = N = {n}: 20-point curve at the best penalty in {cpu:.2f} s CPU after the "
          f"covariances (target <= 1 s: {'met' if cpu <= 1 else 'NOT met'})")
    print(" alpha   best lam   test error   at lam = 0.1")
    for r, e in zip(best.itertuples(), fixed["test_error"], strict=True):
        print(f"{r.alpha:6.2f}   {r.lam:8.4f}   {r.test_error:.5f}      {e:.5f}")


if __name__ == "__main__":
    main()
