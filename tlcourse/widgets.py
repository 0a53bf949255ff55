"""Interactive explorers for live notebooks (ipywidgets), each wrapping a plain plotting function.

The book shows the plotting function's default figure as a static image, so that readers of the
HTML see it without a kernel; the explorer redraws the same function as sliders move.

- :func:`chmm_explorer`: the five knobs relating two tasks (Part I), around
  :func:`tlcourse.plotting.plot_task_pair`;
- :func:`transfer_explorer`: the theory of TL and RF and the transfer gain (Part IV), around
  :func:`tlcourse.explorer.plot_transfer_theory`, with guided questions.
"""

from __future__ import annotations

import html
import inspect
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt

from . import plotting
from ._checks import check_fraction, check_int, check_positive

_STYLE = {"description_width": "14em"}
_PNG_DPI = 80  # the explorer's image: 800 x 290 pixels


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
    theory=None,
    *,
    simulations=None,
    teacher_perturbation: float = 0.3,
    feature_perturbation: float = 0.0,
    feature_substitution: float = 0.0,
    lam: float = 0.1,
    questions=DEFAULT_QUESTIONS,
) -> TransferExplorer:
    """Sliders around :func:`tlcourse.explorer.plot_transfer_theory`: the theory of TL and RF
    and the transfer gain, redrawn for each setting, with guided questions below.

    ``theory``: a :class:`tlcourse.explorer.TransferTheory` (default: the chapters' default
    setting, the source network trained once per process). ``simulations``: a table of the
    chapter's simulated points (see :func:`tlcourse.explorer.matching_simulations`), drawn when
    the sliders sit at their setting. Sliders: the three knobs in [0, 1] (step 0.05), ``lam``
    from 0.01 to 10 (log scale), the range of alpha (on the theory's grid). The other values
    are the starting ones. ``questions``: (what to try, what to look for) pairs. Figures redraw
    when a slider is released (the figure is redrawn in place and shown as an image). Display the
    returned widget.
    """
    from . import explorer

    theory = explorer.default_theory() if theory is None else theory
    if not isinstance(theory, explorer.TransferTheory):
        raise TypeError(f"theory must be a TransferTheory, got {type(theory).__name__}")
    start = {"teacher_perturbation": teacher_perturbation,
             "feature_perturbation": feature_perturbation,
             "feature_substitution": feature_substitution}
    for name, value in start.items():
        check_fraction(value, name)
    lam = check_positive(lam, "lam")
    if not 0.01 <= lam <= 10:
        raise ValueError(f"lam must lie in [0.01, 10] (the slider's range), got {lam}")
    explorer.matching_simulations(simulations, {**start, "lam": lam})  # checks the columns
    questions = [(str(t), str(q)) for t, q in questions]

    layout = {"width": "30em"}
    labels = {"teacher_perturbation": "teacher perturbation δθ",
              "feature_perturbation": "feature perturbation δF",
              "feature_substitution": "feature substitution s"}
    controls = {
        name: widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.05,
                                  description=labels[name], continuous_update=False,
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
    # one figure, redrawn in place and shown as a PNG image widget: cheaper per move than a new
    # inline figure, and the image is part of the widget state the book embeds
    fig = explorer.plot_transfer_theory(theory, **start, lam=lam, simulations=simulations)
    plt.close(fig)  # not shown again by the inline backend at the end of the cell
    image = widgets.Image(value=_png(fig), format="png", layout={"width": "100%"})

    def redraw(change=None) -> None:
        values = {name: control.value for name, control in controls.items()}
        explorer.plot_transfer_theory(theory, simulations=simulations, axes=fig.axes, **values)
        image.value = _png(fig)

    for control in controls.values():
        control.observe(redraw, names="value")
    names = list(controls)
    box.children = [
        widgets.HBox([widgets.VBox([controls[n] for n in names[:3]]),
                      widgets.VBox([controls[n] for n in names[3:]])]),
        image,
        widgets.HTML(_questions_html(questions)),
    ]
    box.controls, box.theory, box.simulations, box.figure = controls, theory, simulations, fig
    box.image = image
    return box


def _png(fig) -> bytes:
    """The figure as PNG, quickly: a modest resolution, light compression, no tight bounding box
    (the layout is fixed once, when the figure is made)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_PNG_DPI, bbox_inches=None,
                pil_kwargs={"compress_level": 1})
    return buf.getvalue()
