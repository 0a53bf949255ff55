"""What one training costs: time and peak memory against the sizes N, K and P.

:func:`training_cost` trains the course's network once (:func:`tlcourse.networks.train`,
full-batch AdamW in float32) on ``P`` fresh samples of a hidden-manifold task of input dimension
``N`` with ``K`` hidden units, and measures

- ``seconds``: the wall time of the training alone (sampling excluded);
- ``cpu_seconds``: the processor time the process spent in that training, all its threads (the
  memory watcher's included): unlike the wall time it does not grow when other programs share
  the machine's cores;
- ``peak_mb``: the peak of the process's resident memory above its level before the samples were
  drawn (samples, their float32 copy, network, optimiser state and the activations of a step),
  read every millisecond by a background thread: the memory one training adds to a process.
  So that memory freed by an earlier run is not counted as free space reused, large blocks are
  given back to the system when freed (glibc's ``mallopt``/``malloc_trim``; elsewhere the
  numbers may read low).

:func:`cost_table` runs it over a grid that varies one size at a time. Appendix *Running bigger
experiments* plots the table.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

import pandas as pd
import psutil

from ._checks import check_int
from .data import make_source
from .networks import TwoLayerNet, train


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (glibc only)
        return libc
    except (OSError, AttributeError):
        return None


def _give_memory_back() -> None:
    """Blocks over 128 kB mapped apart and unmapped when freed; the heap's free space returned."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD, fixed (no dynamic raise)
        libc.malloc_trim(0)


class _PeakRSS:
    """The peak resident memory (bytes) of this process while the ``with`` block runs."""

    def __init__(self, interval: float = 1e-3):
        self._process = psutil.Process()
        self._interval = interval
        self.peak = 0

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self):
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def training_cost(N: int, K: int, P: int, *, epochs: int = 50, device: str = "auto",
                  rng: int = 0) -> dict:
    """Time and peak memory of one training at input dimension ``N``, width ``K``, ``P`` samples.

    The task is ``make_source(D = N // 2, N)``; ``epochs`` full-batch steps on ``device``
    (:func:`tlcourse.networks.resolve_device`). Returns ``{"N", "K", "P", "epochs", "seconds",
    "cpu_seconds", "peak_mb"}`` (``peak_mb``: resident memory added during sampling and
    training, in MB; ``cpu_seconds``: the process's processor time during the training).
    """
    N = check_int(N, "N", low=2)
    K = check_int(K, "K", low=1)
    P = check_int(P, "P", low=1)
    epochs = check_int(epochs, "epochs", low=1)
    task = make_source(N // 2, N, rng=rng)
    _give_memory_back()
    with _PeakRSS() as memory:
        X, y = task.sample(P, rng=rng + 1)
        net = TwoLayerNet(N, K, rng=rng + 2, device=device)
        start, cpu_start = time.perf_counter(), time.process_time()
        train(net, X, y, epochs=epochs, rng=rng + 3, device=device, check_input=False)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    del X, y, net
    return {"N": N, "K": K, "P": P, "epochs": epochs, "seconds": seconds,
            "cpu_seconds": cpu_seconds, "peak_mb": (memory.peak - memory.start) / 1e6}


def cost_table(base: tuple[int, int, int], factors, *, epochs: int = 50,
               device: str = "auto") -> pd.DataFrame:
    """:func:`training_cost` varying one size at a time around ``base = (N, K, P)``.

    For each size name (``"N"``, ``"K"``, ``"P"``) and each factor in ``factors``, that size is
    ``base * factor`` and the others stay at ``base``. Returns one row per run with the columns
    of :func:`training_cost` and ``varied`` (the size that was varied).
    """
    training_cost(8, 4, 16, epochs=2, device=device)  # warm-up: first use of PyTorch's kernels
    rows = []
    names = ("N", "K", "P")
    for i, name in enumerate(names):
        for f in factors:
            sizes = [int(round(b * f)) if j == i else b for j, b in enumerate(base)]
            rows.append({**training_cost(*sizes, epochs=epochs, device=device), "varied": name})
    return pd.DataFrame(rows)


__all__ = ["cost_table", "training_cost"]
