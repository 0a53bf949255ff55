"""Interactive explorers for live notebooks (ipywidgets), each wrapping a plain plotting function.

The book shows the plotting function's default figure as a static image, so that readers of the
HTML see it without a kernel; the explorer redraws the same function as sliders move.
"""

from __future__ import annotations

import inspect

import ipywidgets as widgets
import matplotlib.pyplot as plt

from . import plotting
from ._checks import check_int

_STYLE = {"description_width": "14em"}


def _draw_task_pair(**kwargs) -> None:
    plotting.plot_task_pair(**kwargs)
    plt.show()


def chmm_explorer(D: int = 50, N: int = 200, n: int = 600, rng: int = 0) -> widgets.interactive:
    """Sliders for the five CHMM knobs around :func:`tlcourse.plotting.plot_task_pair`.

    ``D``, ``N``, ``n`` and the seed ``rng`` are fixed for the session (the source task does not
    change); the sliders set ``teacher_perturbation``, ``feature_perturbation``,
    ``feature_substitution`` (in [0, 1]), ``latent_added`` (0 to D) and ``latent_removed``
    (0 to D - 1). Figures redraw when a slider is released. Display the returned widget.
    """
    D = check_int(D, "D", low=2)
    N = check_int(N, "N", low=1)
    n = check_int(n, "n", low=1)
    rng = check_int(rng, "rng", low=0)
    params = inspect.signature(plotting.plot_task_pair).parameters
    default = {name: p.default for name, p in params.items()}  # the static figure's knob values

    def fraction(value: float, label: str) -> widgets.FloatSlider:
        return widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.05, description=label,
                                   continuous_update=False, style=_STYLE, layout={"width": "32em"})

    def count(value: int, high: int, label: str) -> widgets.IntSlider:
        return widgets.IntSlider(value=value, min=0, max=high, step=1, description=label,
                                 continuous_update=False, style=_STYLE, layout={"width": "32em"})

    return widgets.interactive(
        _draw_task_pair,
        teacher_perturbation=fraction(default["teacher_perturbation"], "teacher perturbation δθ"),
        feature_perturbation=fraction(default["feature_perturbation"], "feature perturbation δF"),
        feature_substitution=fraction(default["feature_substitution"], "feature substitution s"),
        latent_added=count(default["latent_added"], D, "latent directions added"),
        latent_removed=count(default["latent_removed"], D - 1, "latent directions removed"),
        D=widgets.fixed(D),
        N=widgets.fixed(N),
        n=widgets.fixed(n),
        rng=widgets.fixed(rng),
    )
