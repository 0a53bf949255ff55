"""Interactive explorers for live notebooks (ipywidgets), each wrapping a plain plotting function.

The book shows the plotting function's default figure as a static image, so that readers of the
HTML see it without a kernel; the explorer redraws the same function as sliders move.

An explorer puts its first figure into its output area as data (``Output.append_display_data``)
instead of drawing it inside ``with output:``. The difference matters when a notebook is executed
headless (the book build): for every output printed into an Output widget, the executor
(nbclient) sends a message back to the kernel on the channel where it is waiting for the cell's
reply, and that can leave the reply unnoticed until the cell's time limit (measured with
``tools/stress_execution.py``). Displayed this way, an explorer makes no such traffic; figures
drawn later, when a slider moves in a live kernel, replace the first one as usual.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import Image, clear_output, display

from . import plotting
from ._checks import check_int

_STYLE = {"description_width": "14em"}
_LAYOUT = {"width": "32em"}


class Explorer(widgets.VBox):
    """Sliders above a figure: ``draw(**values)`` returns a matplotlib Figure.

    ``controls`` maps ``draw``'s keyword arguments to widgets; ``fixed`` holds the arguments that
    do not change. ``explorer.kwargs`` are the arguments of the figure shown; every change of a
    control redraws it.
    """

    def __init__(self, draw: Callable[..., Any], controls: dict[str, widgets.ValueWidget],
                 fixed: dict[str, Any] | None = None) -> None:
        self.draw = draw
        self.controls = dict(controls)
        self.fixed = dict(fixed or {})
        self.output = widgets.Output()
        super().__init__([*self.controls.values(), self.output])
        self.output.append_display_data(self._image())  # data, not printed output: see the doc
        for control in self.controls.values():
            control.observe(self._redraw, names="value")

    @property
    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the figure shown."""
        return {**{name: c.value for name, c in self.controls.items()}, **self.fixed}

    def _image(self) -> Image:
        """The figure for the current values, as a PNG image."""
        figure = self.draw(**self.kwargs)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(figure)
        return Image(data=buffer.getvalue(), format="png")

    def _redraw(self, _change: dict | None = None) -> None:
        with self.output:
            clear_output(wait=True)
            display(self._image())


def chmm_explorer(D: int = 50, N: int = 200, n: int = 600, rng: int = 0) -> Explorer:
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

    def fraction(name: str, label: str) -> widgets.FloatSlider:
        return widgets.FloatSlider(value=default[name], min=0.0, max=1.0, step=0.05,
                                   description=label, continuous_update=False, style=_STYLE,
                                   layout=_LAYOUT)

    def count(name: str, high: int, label: str) -> widgets.IntSlider:
        return widgets.IntSlider(value=default[name], min=0, max=high, step=1, description=label,
                                 continuous_update=False, style=_STYLE, layout=_LAYOUT)

    controls = {
        "teacher_perturbation": fraction("teacher_perturbation", "teacher perturbation δθ"),
        "feature_perturbation": fraction("feature_perturbation", "feature perturbation δF"),
        "feature_substitution": fraction("feature_substitution", "feature substitution s"),
        "latent_added": count("latent_added", D, "latent directions added"),
        "latent_removed": count("latent_removed", D - 1, "latent directions removed"),
    }
    # look the function up at call time, so that it can be replaced (tests)
    return Explorer(lambda **kw: plotting.plot_task_pair(**kw), controls,
                    {"D": D, "N": N, "n": n, "rng": rng})
