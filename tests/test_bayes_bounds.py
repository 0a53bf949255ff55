"""No protocol beats its Bayes-optimal bound: simulated learning curves against the two lines."""

import pandas as pd
import pytest

import tlcourse as tl
from tlcourse import curves, networks, stats
from tlcourse.theory.bayes import bound_gaps

D, N, K = 20, 40, 40
SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def source():
    task = tl.make_source(D, N, rng=0)
    return task, networks.train_source(task, 10 * N, K, rng=1, epochs=200)


def test_every_protocol_lies_above_its_bound(source):
    task, net = source
    delta = 0.3
    target = tl.make_target(task, teacher_perturbation=delta, rng=2)
    df = curves.learning_curves(net, target, protocols=("TL", "FT", "0-shot", "2L", "RF"),
                                alphas=[0.25, 2.0], seeds=SEEDS, n_test=2000,
                                progress=False, epochs=200)
    gaps = bound_gaps(df, D=D, N=N, teacher_perturbation=delta)
    assert set(gaps.prior[gaps.protocol.isin(["TL", "FT", "0-shot"])]) == {"source"}
    assert set(gaps.prior[gaps.protocol.isin(["2L", "RF"])]) == {"scratch"}
    t = stats.t_quantile(len(SEEDS), 0.99)
    below = gaps[gaps["gap"] < -t * gaps["sem"]]
    assert below.empty, below


def test_bound_gaps_refuses_a_table_that_is_not_a_learning_curve():
    with pytest.raises(ValueError, match="columns"):
        bound_gaps(pd.DataFrame({"protocol": ["TL"]}), D=D, N=N)
