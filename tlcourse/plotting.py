"""One figure style for the whole book, and the plotting helpers chapters share.

Importing :mod:`tlcourse` calls :func:`set_style` once, so every chapter's figures look alike.
Conventions: lowercase axis labels, no in-plot titles (captions live in the cell metadata).
"""

from __future__ import annotations

import matplotlib as mpl
import seaborn as sns

PALETTE = "colorblind"
FIGSIZE = (5.6, 3.6)


def set_style() -> None:
    """Set the course's seaborn theme (white grid, colour-blind palette, readable fonts)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.figsize": FIGSIZE,
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.titlesize": "medium",
            "legend.frameon": False,
        }
    )
