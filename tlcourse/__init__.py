"""tlcourse: the helper package of the course *When and why does transfer learning work?*

The modules follow the book:

- :mod:`tlcourse.data`: tasks of the hidden manifold model and their correlated targets (part I);
- :mod:`tlcourse.activations`: nonlinearities and their Gaussian coefficients;
- :mod:`tlcourse.featuremap`: the network's feature map in NumPy;
- :mod:`tlcourse.readout`: convex readouts on fixed features;
- :mod:`tlcourse.stats`: error bars, averages over seeds, paired differences, crossovers;
- :mod:`tlcourse.config`: the ``fast``/``full`` size setting read by every chapter;
- :mod:`tlcourse.plotting`: the book's figure style (:func:`tlcourse.plotting.set_style`, called
  in each chapter's first cell) and shared figures;
- :mod:`tlcourse.networks`, :mod:`tlcourse.protocols`, :mod:`tlcourse.curves`: two-layer
  networks, the transfer protocols and learning curves (part II);
- :mod:`tlcourse.theory`: Gaussian equivalence and the replica formula (part III), and the
  theory of transfer for any setting of the knobs, its gain maps (:mod:`tlcourse.theory.transfer`);
- :mod:`tlcourse.firstlayer`, :mod:`tlcourse.comparisons`, :mod:`tlcourse.realdata`: what a first
  layer learned, paired differences of learning curves, real data (part IV);
- :mod:`tlcourse.widgets`, :mod:`tlcourse.exercises`: explorers and exercise checkers.

These load on first use (``tl.theory``, ``tl.networks`` ...), so ``import tlcourse`` stays light
and changes no global state (no matplotlib style: call ``tl.plotting.set_style()``).

Quick start::

    import tlcourse as tl
    src = tl.make_source(100, 200, activation="sign", rng=0)
    tgt = tl.make_target(src, teacher_perturbation=0.5, rng=1)
    X, y = tgt.sample(1000, rng=2)
    tl.overlaps(src, tgt)
"""

import pkgutil

from . import activations, config, data, featuremap, readout
from .activations import kappas
from .data import Task, make_source, make_target, overlaps, sample_counts

__all__ = [
    "Task",
    "activations",
    "config",
    "data",
    "featuremap",
    "kappas",
    "make_source",
    "make_target",
    "overlaps",
    "readout",
    "sample_counts",
]
__version__ = "0.1.0"

# every other public module (those that import PyTorch, pandas or matplotlib among them) loads
# on first use, ``tl.networks``...: the list is read from the package, so a new module is reachable
_LAZY = frozenset(
    info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)
