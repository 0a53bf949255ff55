"""tlcourse: the helper package of the course *When and why does transfer learning work?*

The modules follow the book:

- :mod:`tlcourse.data`: tasks of the hidden manifold model and their correlated targets (part I);
- :mod:`tlcourse.activations`: nonlinearities and their Gaussian coefficients;
- :mod:`tlcourse.readout`: convex readouts on fixed features;
- :mod:`tlcourse.config`: the ``fast``/``full`` size setting read by every chapter;
- :mod:`tlcourse.plotting`: the book's figure style (set on import);
- :mod:`tlcourse.networks`, :mod:`tlcourse.protocols`, :mod:`tlcourse.curves`: two-layer
  networks, the transfer protocols and learning curves (part II);
- :mod:`tlcourse.theory`: Gaussian equivalence and the replica formula (part III);
- :mod:`tlcourse.phenomena`, :mod:`tlcourse.comparisons`, :mod:`tlcourse.realdata`: analysis of the
  phenomena (crossovers, gain maps, paired differences of learning curves), real data;
- :mod:`tlcourse.widgets`, :mod:`tlcourse.exercises`: explorers and exercise checkers.

These load on first use (``tl.theory``, ``tl.networks`` ...), so ``import tlcourse`` stays light.

Quick start::

    import tlcourse as tl
    src = tl.make_source(100, 200, activation="sign", rng=0)
    tgt = tl.make_target(src, teacher_perturbation=0.5, rng=1)
    X, y = tgt.sample(1000, rng=2)
    tl.overlaps(src, tgt)
"""

from . import activations, config, data, plotting, readout
from .activations import kappas
from .data import Task, make_source, make_target, overlaps

__all__ = [
    "Task",
    "activations",
    "config",
    "data",
    "kappas",
    "make_source",
    "make_target",
    "overlaps",
    "plotting",
    "readout",
]
__version__ = "0.1.0"

plotting.set_style()

# modules that import PyTorch or build on it load on first use: ``tl.networks``, ``tl.theory``...
_LAZY = ("networks", "protocols", "curves", "theory", "realdata", "phenomena", "comparisons",
         "widgets", "exercises")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
