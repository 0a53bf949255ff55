"""Benchmark of part III: a 20-point logistic TL theory curve at K = N = 1000.

Target (issue 4): Gaussian-equivalent covariances (analytic) plus 20 saddle-point solves in
<= 5 s on this 2-core machine; prints the time per point, the iterations and the residual
reached. The first layer is a source network's, trained briefly (P_s = 2 N, 200 epochs: its
training time is printed apart and not part of the target). Accuracy against an independent
slow evaluation is tested in tests/test_theory_gcm.py.

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
    t_cov = time.perf_counter() - t0
    t0 = time.perf_counter()
    # K = N: the GCM's samples per feature n / K is the course's alpha = n / N
    results = theory.solve_gcm(Omega, Phi, target.theta, samples_per_feature=list(ALPHAS),
                               lam=LAM)
    t_solve = time.perf_counter() - t0
    total, cpu = t_cov + t_solve, time.process_time() - c0

    print(f"\nK = N = {N}, D = {D}, logistic loss, lam = {LAM}, {len(ALPHAS)} points")
    print(f"covariances (analytic):            {t_cov:6.2f} s")
    print(f"20 solves (one eigh, warm starts): {t_solve:6.2f} s  "
          f"({1e3 * t_solve / len(ALPHAS):.0f} ms per point)")
    print(f"total:                             {total:6.2f} s  (target <= 5 s: "
          f"{'met' if total <= 5 else 'NOT met'})")
    print(f"CPU time of this process:          {cpu:6.2f} s  (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall time counts other jobs)")
    print("\n alpha   test error  iterations  residual")
    for r in results:
        print(f"{r.samples_per_feature:6.2f}   {r.test_error:.5f}    {r.iterations:5d}     "
              f"{r.residual:.1e}")
    print(f"all converged: {all(r.converged for r in results)}; "
          f"largest residual {max(r.residual for r in results):.1e}")


if __name__ == "__main__":
    main()
