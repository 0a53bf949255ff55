"""Benchmark of issue 15: training throughput (samples per second) on every available device.

For each device PyTorch sees (the CPU, and ``cuda`` when there is a GPU), trains the course's
network (full-batch AdamW, float32) on ``n`` samples of a hidden-manifold task for a few sizes
``(N, K)`` and prints samples per second (``n * epochs / seconds``), after a short warm-up.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_device.py [--epochs E] [--n n]``.
"""

from __future__ import annotations

import argparse
import time

import torch

import tlcourse as tl
from tlcourse import networks


def rate(device: str, N: int, K: int, n: int, epochs: int) -> float:
    task = tl.make_source(N // 2, N, rng=0)
    X, y = task.sample(n, rng=1)
    net = networks.TwoLayerNet(N, K, rng=2, device=device)
    networks.train(net, X, y, epochs=3, device=device)  # warm-up: kernels, allocations
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    networks.train(net, X, y, epochs=epochs, device=device)
    if device == "cuda":
        torch.cuda.synchronize()
    return n * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--n", type=int, default=4000)
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, devices {devices}")
    for N, K in ((100, 100), (400, 400), (1000, 200)):
        for device in devices:
            r = rate(device, N, K, args.n, args.epochs)
            print(f"N = {N:5d}, K = {K:4d}, n = {args.n}: {device:5s} {r:12,.0f} samples/s")


if __name__ == "__main__":
    main()
