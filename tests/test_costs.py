"""What one training costs (tlcourse.costs): the columns the appendix reads, and bad sizes."""

import pytest

from tlcourse import costs


def test_training_cost_measures_time_cpu_and_memory() -> None:
    row = costs.training_cost(20, 10, 200, epochs=20)
    assert set(row) == {"N", "K", "P", "epochs", "seconds", "cpu_seconds", "peak_mb"}
    assert (row["N"], row["K"], row["P"], row["epochs"]) == (20, 10, 200, 20)
    assert row["seconds"] > 0 and row["cpu_seconds"] > 0
    assert row["peak_mb"] >= 0


def test_training_cost_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="K"):
        costs.training_cost(20, 0, 200)
