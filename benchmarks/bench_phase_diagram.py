"""Benchmark of part IV: theory phase diagrams (transfer-gain maps) at 30 x 30 in the full setting.

Targets: one map of eps_RF - eps_TL over 30 knob values x 30 alphas from the theory in <= 3 s
CPU on one thread (issue 23; issue 5 asked <= 60 s wall), at the full size of the chapter
*Negative transfer and phase diagrams* (D = 100, N = K = 200, P_s = 10 N, lambda = 0.1). In one
run: the map as before (``solve_gcm`` row by row) and as now (``transfer.gain_map`` on the
batch solver, warm starts across the map), their CPU times and the largest difference of their
gains; then the map at each protocol's best penalty (``lam="best"``). Saves the maps as a PNG.
The source network's training time is printed apart (not part of the target).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_phase_diagram.py [--out maps.png]
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tlcourse as tl  # noqa: E402
from tlcourse import networks, plotting, protocols, theory  # noqa: E402
from tlcourse.theory import transfer  # noqa: E402

D, N = 100, 200
K, P_S, LAM, GRID, TARGET_CPU = N, 10 * N, 0.1, 30, 3.0


def map_before(W_s, W_rf, src, knob, values, alphas) -> np.ndarray:
    """The gain map as it was computed before: covariances and solve_gcm, row by row."""
    gain = []
    for v in values:
        target = tl.make_target(src, **{knob: v}, rng=1)
        tl_rf = [theory.solve_gcm(*theory.feature_covariances(W, target), target.theta,
                                  list(alphas * N / K), lam=LAM, tol=transfer.MAP_TOL)
                 for W in (W_s, W_rf)]
        gain.append([b.test_error - a.test_error for a, b in zip(*tl_rf, strict=True)])
    return np.array(gain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/bench_phase_diagram.png", help="PNG of the maps")
    args = parser.parse_args()
    src = tl.make_source(D, N, rng=0)
    t0 = time.perf_counter()
    net = networks.train_source(src, P_S, K, rng=1)
    print(f"source network (D = {D}, N = K = {N}, P_s = {P_S}): trained in "
          f"{time.perf_counter() - t0:.1f} s (not part of the target)")
    W_s, W_rf = net.weights()[0], protocols.random_first_layer(K, N, 4)
    values, alphas = np.linspace(0, 1, GRID), np.geomspace(0.2, 20, GRID)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.6))
    worst = 0.0
    for col, knob in enumerate(("teacher_perturbation", "feature_perturbation")):
        c0 = time.process_time()
        before = map_before(W_s, W_rf, src, knob, values, alphas)
        c_before = time.process_time() - c0
        c0 = time.process_time()
        m = transfer.gain_map(W_s, W_rf, src, knob, values, alphas, LAM, n_jobs=1)
        c_after = time.process_time() - c0
        c0 = time.process_time()
        best = transfer.gain_map(W_s, W_rf, src, knob, values, alphas, "best", n_jobs=1)
        c_best = time.process_time() - c0
        worst = max(worst, c_after)
        print(f"{knob}: {GRID} x {GRID} map, CPU before {c_before:.1f} s, after {c_after:.1f} s "
              f"(largest difference of the gains {np.abs(m.gain - before).max():.1e}); gain "
              f"{m.gain.min():+.3f} .. {m.gain.max():+.3f}, negative transfer on "
              f"{(m.gain < 0).mean():.0%} of the map")
        print(f"  at each protocol's best penalty: CPU {c_best:.1f} s; gain "
              f"{best.gain.min():+.3f} .. {best.gain.max():+.3f}, negative transfer on "
              f"{(best.gain < 0).mean():.0%}; best lam TL {best.lam_tl.min():.2g} .. "
              f"{best.lam_tl.max():.2g}, RF {best.lam_rf.min():.2g} .. {best.lam_rf.max():.2g}")
        for row, (g, what) in enumerate(((m.gain, "lam = 0.1"), (best.gain, "best lam"))):
            plotting.plot_gain_map(alphas, values, g, ax=axes[row, col],
                                   knob_label=f"{knob.replace('_', ' ')} ({what})",
                                   gain_label="eps_RF - eps_TL")
    fig.tight_layout()
    fig.savefig(args.out)
    verdict = "OK" if worst <= TARGET_CPU else "TOO SLOW"
    print(f"slowest map {worst:.1f} s CPU, target <= {TARGET_CPU:.0f} s: {verdict}; figure: "
          f"{args.out}")


if __name__ == "__main__":
    main()
