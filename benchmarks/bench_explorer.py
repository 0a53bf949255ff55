"""Benchmark of the theory explorer (issue 14, item 4): time per slider move.

Target: <= 0.3 s per move at the chapters' default sizes on this 2-core machine. For each
chapter's full setting (when_transfer_helps: D = 50, N = K = 100; negative_transfer: D = 100,
N = K = 200) the source network is trained with the course's recipe (P_s = 10 N; not part of the
target, printed apart), the explorer is built, and a sequence of slider moves is replayed. A
move's time is the widget's whole response: the theory curves (covariances, saddle points) and
the figure drawn (in the chapters' style) and rendered to the PNG the widget shows. Wall time
counts the other jobs of a shared machine; CPU time is what this process used.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_explorer.py [--sizes 50x100 100x200]
"""

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import tlcourse as tl  # noqa: E402
from tlcourse import networks, plotting, protocols  # noqa: E402
from tlcourse.theory.transfer import TransferTheory  # noqa: E402
from tlcourse.widgets import transfer_explorer  # noqa: E402

MOVES = [  # (slider, value): a reader's first minute with the explorer
    ("teacher_perturbation", 0.5),
    ("teacher_perturbation", 0.8),
    ("teacher_perturbation", 1.0),
    ("feature_perturbation", 0.3),
    ("feature_substitution", 0.4),
    ("lam", 1.0),
    ("lam", 0.0316),
    ("lam", 0.01),  # the slider's lowest: the slowest saddle points
    ("teacher_perturbation", 0.0),
    ("alpha_range", None),  # narrowed to the smallest half of the grid
]


def bench(D: int, N: int) -> list[tuple[float, float]]:
    source = tl.make_source(D, N, rng=0)
    t0 = time.perf_counter()
    net = networks.train_source(source, 10 * N, N, rng=1)
    print(f"\nD = {D}, N = K = {N}: source network trained in {time.perf_counter() - t0:.1f} s "
          "(once per explorer; not part of the target)")
    model = TransferTheory(source, net.weights()[0], protocols.random_first_layer(N, N, 4))
    spent = {"theory": 0.0}
    curves = model.curves

    def timed(*args, **kwargs):  # CPU time of the theory alone, inside a move
        c0 = time.process_time()
        try:
            return curves(*args, **kwargs)
        finally:
            spent["theory"] += time.process_time() - c0

    model.curves = timed
    t0, c0 = time.perf_counter(), time.process_time()
    box = transfer_explorer(model)
    print(f"explorer built (first figure) in {time.perf_counter() - t0:.2f} s wall, "
          f"{time.process_time() - c0:.2f} s CPU")
    times = []
    for name, value in MOVES:
        slider = box.controls[name]
        t0, c0 = time.perf_counter(), time.process_time()
        spent["theory"] = 0.0
        if name == "alpha_range":
            slider.index = (0, len(slider.options) // 2)
        else:
            slider.value = value  # the widget redraws its figure and its PNG image
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        times.append((wall, cpu))
        shown = f"{slider.value:.3g}" if isinstance(slider.value, float) else "(smallest half)"
        print(f"  {name:>22} -> {shown:<15} {1e3 * wall:6.0f} ms wall {1e3 * cpu:6.0f} ms CPU "
              f"(theory {1e3 * spent['theory']:4.0f} ms CPU)")
    walls, cpus = [w for w, _ in times], [c for _, c in times]
    ok = max(cpus) <= 0.3
    print(f"per move: median {1e3 * statistics.median(walls):.0f} ms wall "
          f"({1e3 * statistics.median(cpus):.0f} ms CPU), max {1e3 * max(walls):.0f} ms wall "
          f"({1e3 * max(cpus):.0f} ms CPU); target <= 300 ms: "
          f"{'met' if ok else 'NOT met'} in CPU time")
    return times


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: compared with the same loop on an idle machine,
    how much slower than idle this process runs at the moment."""
    c0 = time.process_time()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["50x100", "100x200"],
                        help="DxN pairs (default: the two chapters' full settings)")
    args = parser.parse_args()
    plotting.set_style()  # the chapters' figure style, as in the notebooks
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores "
          "(wall times include the other jobs' share of the cores); calibration loop "
          f"{calibration():.2f} s CPU")
    for size in args.sizes:
        D, N = (int(x) for x in size.split("x"))
        bench(D, N)


if __name__ == "__main__":
    main()
