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

- :func:`chmm_explorer`: the five knobs relating two tasks (Part I), around
  :func:`tlcourse.plotting.plot_task_pair`;
- :func:`transfer_explorer`: the theory of TL and RF and the transfer gain (Part IV), around
  :func:`tlcourse.plotting.plot_transfer_theory`, with guided questions; its figure is an image
  widget whose PNG is replaced when a slider moves (no output printed into an Output widget):
  the figure's artists are moved in place (:class:`tlcourse.plotting.TransferPlot`) and
  rendered once at 80 dpi, so that a move costs under 0.3 s of CPU at the chapters' sizes
  (``benchmarks/bench_explorer.py``).
"""

from __future__ import annotations

import html
import inspect
import io
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import Image, clear_output, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import plotting
from ._checks import check_int
from .specs import FRACTION_KNOBS, KNOBS, LAM
from .theory.transfer import TransferTheory

_STYLE = {"description_width": "14em"}
_LAYOUT = {"width": "32em"}
_PNG_DPI = 80  # the theory explorer's image: 800 x 288 pixels


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

    high = {"latent_added": D, "latent_removed": D - 1}  # the counts' ranges
    controls = {
        name: widgets.FloatSlider(value=default[name], min=0.0, max=1.0, step=0.05,
                                  description=knob.text, continuous_update=False,
                                  style=_STYLE, layout=_LAYOUT) if knob.fraction
        else widgets.IntSlider(value=default[name], min=0, max=high[name], step=1,
                               description=knob.text, continuous_update=False, style=_STYLE,
                               layout=_LAYOUT)
        for name, knob in KNOBS.items()
    }
    # look the function up at call time, so that it can be replaced (tests)
    return Explorer(lambda **kw: plotting.plot_task_pair(**kw), controls,
                    {"D": D, "N": N, "n": n, "rng": rng})


# --- the theory explorer (Part IV) ---------------------------------------------------------------
DEFAULT_QUESTIONS = (
    ("Move the teacher perturbation from 0 to 1.",
     "Where does the gain turn negative, and does that happen at every alpha?"),
    ("Set the teacher perturbation back to 0 and move the feature perturbation instead.",
     "Does changing the inputs hurt transfer as much as changing the rule, with few samples? "
     "With many?"),
    ("Compare feature perturbation and feature substitution at the same value.",
     "Which one keeps more of the gain, and why (think of which directions survive)?"),
    ("Lower lambda to 0.01, then raise it to 10.",
     "Which curve changes most, and where in alpha? Does the sign of the gain change?"),
    ("Narrow the alpha range to the smallest values.",
     "Is transfer ever harmful when the target has very few samples?"),
)


class TransferExplorer(widgets.VBox):
    """The widget of :func:`transfer_explorer`: ``controls`` (name -> slider), ``figure`` (its
    :class:`matplotlib.figure.Figure`, redrawn in place), ``image`` (the PNG shown), ``theory``
    and ``simulations``."""


def _questions_html(questions) -> str:
    items = "".join(f"<li><b>Try:</b> {html.escape(t)}<br><b>Look for:</b> {html.escape(q)}</li>"
                    for t, q in questions)
    return f"<div class='tlcourse-questions'><b>Guided questions</b><ol>{items}</ol></div>"


def transfer_explorer(
    theory: TransferTheory,
    *,
    simulations=None,
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.0,
    feature_substitution: float = 0.0,
    lam: float = LAM,
    questions=DEFAULT_QUESTIONS,
) -> TransferExplorer:
    """Sliders around :func:`tlcourse.plotting.plot_transfer_theory`: the theory of TL and RF
    and the transfer gain, redrawn for each setting, with guided questions below.

    ``theory``: a :class:`tlcourse.theory.transfer.TransferTheory`. ``simulations``: a table of
    the chapter's simulated points (see :func:`tlcourse.plotting.matching_simulations`), drawn when
    the sliders sit at their setting. Sliders: the three knobs in [0, 1] (step 0.05), ``lam``
    from 0.01 to 10 (log scale), the range of alpha (on the theory's grid). The other values
    are the starting ones. ``questions``: (what to try, what to look for) pairs, shown below the
    figure (none: nothing shown, e.g. when the chapter's text asks them). Figures redraw
    when a slider is released (the figure's artists are moved in place and the figure shown as
    an image). Display the returned widget.
    """
    if not isinstance(theory, TransferTheory):
        raise TypeError(f"theory must be a TransferTheory, got {type(theory).__name__}")
    start = dict(zip(FRACTION_KNOBS, (teacher_perturbation, feature_perturbation,
                                      feature_substitution), strict=True))
    first = theory.curves(**start, lam=lam)  # checks the knobs and lam
    if not 0.01 <= lam <= 10:
        raise ValueError(f"lam must lie in [0.01, 10] (the slider's range), got {lam}")
    plotting.matching_simulations(simulations, first.setting)  # checks the columns
    questions = [(str(t), str(q)) for t, q in questions]

    layout = {"width": "30em"}
    controls = {
        name: widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.05,
                                  description=KNOBS[name].text, continuous_update=False,
                                  style=_STYLE, layout=layout)
        for name, value in start.items()
    }
    controls["lam"] = widgets.FloatLogSlider(value=lam, base=10, min=-2, max=1, step=0.25,
                                             description="readout penalty λ",
                                             continuous_update=False, style=_STYLE,
                                             layout=layout, readout_format=".3g")
    options = [(f"{a:.2g}", float(a)) for a in theory.alphas]
    controls["alpha_range"] = widgets.SelectionRangeSlider(
        options=options, index=(0, len(options) - 1), description="range of α",
        continuous_update=False, style=_STYLE, layout=layout)
    box = TransferExplorer()
    # one figure outside pyplot (never shown inline), its artists moved in place at each move
    # and rendered by its own Agg canvas to the PNG of an image widget: the image is part of the
    # widget state the book embeds
    fig = Figure(figsize=plotting.TRANSFER_FIGSIZE, dpi=_PNG_DPI)
    FigureCanvasAgg(fig)
    plot = plotting.TransferPlot(*fig.subplots(1, 2))
    plot.update(first, simulations)
    fig.tight_layout()
    image = widgets.Image(value=_png(fig), format="png", layout={"width": "100%"})
    plot.fix_xlabels()  # where the first draw put them

    def redraw(change=None) -> None:
        values = {name: control.value for name, control in controls.items()}
        alpha_range = values.pop("alpha_range")
        plot.update(theory.curves(**values), simulations, alpha_range)
        image.value = _png(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    names = list(controls)
    box.children = [
        widgets.HBox([widgets.VBox([controls[n] for n in names[:3]]),
                      widgets.VBox([controls[n] for n in names[3:]])]),
        image,
        # (no questions: the chapter asks them beside the explorer, for both views)
        *([widgets.HTML(_questions_html(questions))] if questions else []),
    ]
    box.controls, box.theory, box.simulations, box.figure = controls, theory, simulations, fig
    box.image = image
    return box


def _png(fig: Figure) -> bytes:
    """The figure as PNG, quickly: drawn once by its Agg canvas at the figure's resolution,
    light compression, no tight bounding box (the layout is fixed once, when the figure is made)."""
    buf = io.BytesIO()
    fig.canvas.print_png(buf, pil_kwargs={"compress_level": 1})
    return buf.getvalue()
