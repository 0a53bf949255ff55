"""The shared figure helpers of tlcourse.plotting: plain labels on logarithmic axes."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from tlcourse import plotting

matplotlib.use("Agg")


def _labels(ax, minor: bool = False) -> list[str]:
    """The y tick labels drawn inside the axes' limits."""
    ax.figure.canvas.draw()
    low, high = ax.get_ylim()
    ticks = ax.yaxis.get_minorticklocs() if minor else ax.get_yticks()
    texts = ax.get_yticklabels(minor=minor)
    return [t.get_text() for v, t in zip(ticks, texts, strict=True) if low <= v <= high]


@pytest.mark.parametrize(("low", "high", "expected"), [
    (4.0, 14.0, ["5", "7", "10"]),                # half a decade: 1-2-3-5-7 ticks
    (0.3, 6.0, ["0.5", "1", "2", "5"]),           # one decade and a bit: 1-2-5 ticks
    (1e-4, 10.0, ["0.0001", "0.001", "0.01", "0.1", "1", "10"]),  # five decades: powers
])
def test_plain_log_ticks_label_plain_numbers(low, high, expected) -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2], [low, high])
    ax.set(yscale="log", ylim=(low, high))
    plotting.plain_log_ticks(ax)
    assert _labels(ax) == expected
    assert not any(_labels(ax, minor=True)), "minor ticks must stay unlabelled"
    plt.close(fig)


def test_plain_log_ticks_rejects_bad_input() -> None:
    fig, ax = plt.subplots()
    ax.plot(np.arange(1, 3), [1.0, 2.0])
    with pytest.raises(ValueError, match="axis must be"):
        plotting.plain_log_ticks(ax, "z")
    with pytest.raises(ValueError, match="y axis is not logarithmic"):
        plotting.plain_log_ticks(ax)
    plt.close(fig)
