"""Property-based tests (Hypothesis) of the public boundary of stats, comparisons, networks and
realdata: bad input is refused, good input gives a number in its documented range.

Each test draws a valid input, spoils it in one way (a NaN or an infinity somewhere, a wrong
shape or length, a wrong label set, a duplicated row, a wrong type) and checks that the call
raises a ValueError or TypeError whose message names an argument (or a column of it), never
that it returns a plausible number. The same tests on the unspoilt input check the result's
range, so that a function refusing everything cannot pass. The examples are drawn from a fixed
seed (``derandomize``): every run tries the same inputs; ``--hypothesis-show-statistics`` prints
how many.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tlcourse import comparisons, networks, stats
from tlcourse import realdata as rd
from tlcourse.networks import TwoLayerNet

FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow])

FAULTS = ("nan", "inf", "short", "column", "labels01", "labels_other", "bool", "text")


def refused(call, *names: str) -> None:
    """``call()`` raises a ValueError or TypeError whose message names one of ``names``."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", message) for n in names), (
        names, message)


# --- drawing valid inputs and spoiling them ----------------------------------------------------
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def outputs_and_labels(draw, min_size=1):
    n = draw(st.integers(min_size, 40))
    f = draw(hnp.arrays(np.float64, n, elements=finite))
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 1.0])))
    return f, y


def spoil(x: np.ndarray, fault: str, data) -> np.ndarray:
    """``x`` with one fault; for the label faults, ``x`` is a label vector."""
    x = np.array(x, dtype=np.float64)
    i = data.draw(st.integers(0, x.size - 1)) if x.size else 0
    if fault in ("nan", "inf"):
        x.flat[i] = np.nan if fault == "nan" else data.draw(st.sampled_from([np.inf, -np.inf]))
        return x
    if fault == "short":
        return x[:-1] if x.ndim == 1 else x[:, :-1]
    if fault == "column":
        return x[:, None]
    if fault == "labels01":
        x = (x + 1) / 2
        x.flat[i] = 0.0  # at least one 0, even if every label was +1
        return x
    if fault == "labels_other":
        x.flat[i] = data.draw(st.sampled_from([0.0, 2.0, -0.5, 3.0]))
        return x
    if fault == "bool":
        return x > 0
    return x.astype(str)


# --- stats ---------------------------------------------------------------------------------------
@FUZZ
@given(outputs_and_labels(), st.sampled_from(FAULTS), st.sampled_from(["f", "y"]), st.data())
def test_error_and_stderr(fy, fault, which, data):
    f, y = fy
    e, se = stats.error_and_stderr(f, y)
    assert 0 <= e <= 1 and 0 <= se <= 0.5
    if which == "f" and fault.startswith("labels"):
        return  # any finite output is a valid output
    bad = {"f": f, "y": y}
    bad[which] = spoil(bad[which], fault, data)
    refused(lambda: stats.error_and_stderr(bad["f"], bad["y"]), which)


@FUZZ
@given(outputs_and_labels(min_size=2), st.sampled_from(FAULTS),
       st.sampled_from(["f_a", "f_b", "y"]), st.data())
def test_paired_error_difference(fy, fault, which, data):
    f_a, y = fy
    f_b = data.draw(hnp.arrays(np.float64, y.size, elements=finite))
    d, se = stats.paired_error_difference(f_a, f_b, y)
    assert -1 <= d <= 1 and se >= 0
    if which != "y" and fault.startswith("labels"):
        return
    bad = {"f_a": f_a, "f_b": f_b, "y": y}
    bad[which] = spoil(bad[which], fault, data)
    # lengths that disagree: the others are measured against f_a, so either may be named
    names = ("f_a", "f_b", "y") if fault == "short" else (which,)
    refused(lambda: stats.paired_error_difference(bad["f_a"], bad["f_b"], bad["y"]), *names)


@FUZZ
@given(hnp.arrays(np.float64, st.integers(2, 30), elements=finite),
       st.sampled_from(["nan", "inf", "column", "bool", "text"]), st.data())
def test_mean_and_stderr(values, fault, data):
    mean, se = stats.mean_and_stderr(values)
    assert np.isfinite(mean) and se >= 0
    refused(lambda: stats.mean_and_stderr(spoil(values, fault, data)), "values")


@FUZZ
@given(hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(0, 1)),
       st.sampled_from(["nan", "inf", "negative", "text"]), st.data())
def test_stderr_of_difference(ses, fault, data):
    assert stats.stderr_of_difference(ses, ses).shape == ses.shape
    bad = (-ses - 0.1) if fault == "negative" else spoil(ses, fault, data)
    refused(lambda: stats.stderr_of_difference(ses, bad), "stderrs[1]")


@st.composite
def curve_tables(draw, protocols=("A", "B")):
    """A learning-curve table: every protocol at 1-3 sizes on the same 2-5 seeds."""
    alphas = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 4.0]), min_size=1, max_size=3,
                           unique=True))
    seeds = draw(st.lists(st.integers(0, 99), min_size=2, max_size=5, unique=True))
    rows = [{"protocol": p, "alpha": a, "seed": s,
             "test_error": draw(st.floats(0, 1)), "stderr": draw(st.floats(0, 0.1)),
             "train_error": draw(st.sampled_from([0.0, 0.0, 0.1]))}
            for p in protocols for a in alphas for s in seeds]
    return pd.DataFrame(rows)


TABLE_FAULTS = ("nan", "inf", "duplicate", "drop", "text", "not a table")


def spoil_table(df: pd.DataFrame, fault: str, column: str, data) -> object:
    df = df.copy()
    i = data.draw(st.integers(0, len(df) - 1))
    if fault in ("nan", "inf"):
        df[column] = df[column].astype(float)
        df.loc[df.index[i], column] = np.nan if fault == "nan" else np.inf
    elif fault == "duplicate":  # a second setting stacked in: one seed twice at the first size
        first = np.flatnonzero(df["alpha"].to_numpy() == df["alpha"].iloc[0])
        df = pd.concat([df, df.iloc[[first[i % first.size]]]], ignore_index=True)
    elif fault == "drop":
        df = df.drop(columns=column)
    elif fault == "text":
        df[column] = df[column].astype(str)
    else:
        df = df.to_dict("list")
    return df


def _table_names(fault: str, column: str) -> tuple[str, ...]:
    """What the refusal of a spoilt table names: the table, the column, or the duplicate."""
    return ("df", column, "seed") if fault != "duplicate" else ("seed", "df")


@FUZZ
@given(curve_tables(), st.sampled_from(TABLE_FAULTS),
       st.sampled_from(["test_error", "stderr", "seed", "alpha"]), st.data())
def test_summarize(df, fault, column, data):
    out = stats.summarize(df)
    assert ((out["test_error"] >= 0) & (out["test_error"] <= 1) & (out["sem"] >= 0)).all()
    assert (out["seeds"] == df["seed"].nunique()).all()
    bad = spoil_table(df, fault, column, data)
    refused(lambda: stats.summarize(bad), *_table_names(fault, column))


@FUZZ
@given(curve_tables(), st.sampled_from(TABLE_FAULTS),
       st.sampled_from(["test_error", "stderr", "seed", "alpha"]), st.data())
def test_paired_difference_at(df, fault, column, data):
    at = float(df["alpha"].iloc[0])
    d = stats.paired_difference_at(df, "A", "B", at)
    assert -1 <= d["mean"] <= 1 and d["se"] >= 0 and d["seeds"] == df["seed"].nunique()
    assert d["t"] > 0
    bad = spoil_table(df, fault, column, data)
    refused(lambda: stats.paired_difference_at(bad, "A", "B", at), *_table_names(fault, column))


@FUZZ
@given(curve_tables(), st.sampled_from(["nan", "duplicate", "negative", "not a series"]),
       st.sampled_from(["errors_a", "errors_b", "stderr_a", "stderr_b"]), st.data())
def test_paired_difference(df, fault, which, data):
    at = df[df["alpha"] == df["alpha"].iloc[0]]
    a, b = (at[at["protocol"] == p].set_index("seed") for p in ("A", "B"))
    series = {"errors_a": a["test_error"], "errors_b": b["test_error"],
              "stderr_a": a["stderr"], "stderr_b": b["stderr"]}
    mean, se = stats.paired_difference(*series.values())
    assert -1 <= mean <= 1 and se >= 0
    s = series[which].copy()
    if fault == "nan":
        s.iloc[data.draw(st.integers(0, len(s) - 1))] = np.nan
    elif fault == "duplicate":
        s = pd.concat([s, s.iloc[:1]])
    elif fault == "negative":
        if which.startswith("errors"):
            return  # a negative difference of errors is a valid input
        s = -s - 0.01
    else:
        s = s.to_numpy()
    series[which] = s
    refused(lambda: stats.paired_difference(*series.values()), which)


@FUZZ
@given(st.integers(2, 8), st.sampled_from(["nan", "inf", "short", "nonpositive", "text"]),
       st.sampled_from(["x", "y", "stderr"]), st.data())
def test_power_law_fit(n, fault, which, data):
    x = np.geomspace(1, 10, n)
    args = {"x": x, "y": 0.5 * x**-0.7, "stderr": np.full(n, 0.01)}
    fit = stats.power_law_fit(**args)
    assert fit.exponent == pytest.approx(0.7, abs=1e-3)
    if fault == "nonpositive":
        if which == "y":
            return  # the fit accepts zero or negative values
        args[which] = args[which] * 0
    else:
        args[which] = spoil(args[which], fault, data)
    names = ("x", "y", "stderr") if fault == "short" else (which,)  # lengths disagree
    refused(lambda: stats.power_law_fit(**args), *names)


# --- comparisons ---------------------------------------------------------------------------------
@FUZZ
@given(curve_tables(), st.sampled_from(TABLE_FAULTS),
       st.sampled_from(["test_error", "stderr", "seed", "alpha"]), st.data())
def test_paired_differences(df, fault, column, data):
    out = comparisons.paired_differences(df, "A", "B")
    assert len(out) == df["alpha"].nunique()
    assert (out["seeds"] == df["seed"].nunique()).all() and (out["se"] >= 0).all()
    bad = spoil_table(df, fault, column, data)
    refused(lambda: comparisons.paired_differences(bad, "A", "B"), *_table_names(fault, column))


@FUZZ
@given(curve_tables(protocols=("A",)), st.sampled_from(TABLE_FAULTS),
       st.sampled_from(["train_error", "alpha", "seed"]), st.data())
def test_separability(df, fault, column, data):
    fraction, low, high = comparisons.separability(df)
    assert ((fraction >= 0) & (fraction <= 1)).all()
    bad = spoil_table(df, fault, column, data)
    refused(lambda: comparisons.separability(bad), *_table_names(fault, column))


@FUZZ
@given(st.integers(3, 12), st.sampled_from(["nan", "inf", "short", "column", "text"]),
       st.sampled_from(["alphas", "errors"]), st.data())
def test_flat_and_steep(m, fault, which, data):
    args = {"alphas": np.geomspace(0.1, 10, m), "errors": np.linspace(0.4, 0.1, m)}
    d, flat, steep = comparisons.flat_and_steep(**args, slope=0.05)
    assert (flat ^ steep).all() and np.isfinite(d).all()
    args[which] = spoil(args[which], fault, data)
    names = ("alphas", "errors") if fault == "short" else (which,)  # lengths disagree
    refused(lambda: comparisons.flat_and_steep(**args, slope=0.05), *names)


@FUZZ
@given(st.integers(1, 6), st.sampled_from(["nan", "short", "text"]),
       st.sampled_from(["summary", "alpha_line", "theory_line"]), st.data())
def test_theory_gaps(m, fault, which, data):
    xs = np.geomspace(1, 4, m)
    summary = pd.DataFrame({"alpha": xs, "test_error": 0.2, "sem": 0.01})
    args = {"summary": summary, "alpha_line": np.geomspace(0.5, 8, 9),
            "theory_line": np.linspace(0.3, 0.1, 9)}
    gaps = comparisons.theory_gaps(**args)
    assert len(gaps) == m and np.isfinite(gaps["gap"]).all()
    if which == "summary":
        if fault == "short":
            args[which] = pd.concat([summary, summary.iloc[:1]])  # a size twice
        else:
            args[which] = spoil_table(summary, fault, "sem", data)
        names = ("summary", "sem")
    else:
        args[which] = spoil(args[which], fault, data)
        names = ("alpha_line", "theory_line") if fault == "short" else (which,)
    refused(lambda: comparisons.theory_gaps(**args), *names)


# --- realdata ------------------------------------------------------------------------------------
def _real_table(df: pd.DataFrame) -> pd.DataFrame:
    """A curve table as real_learning_curves makes it: a size n, a source for TL."""
    return df.assign(n=(df["alpha"] * 10).astype(int),
                     source=np.where(df["protocol"] == "A", "s", None))


@FUZZ
@given(curve_tables(), st.sampled_from(TABLE_FAULTS),
       st.sampled_from(["test_error", "stderr", "seed", "n"]), st.data())
def test_compare(df, fault, column, data):
    df = _real_table(df)
    n = int(df["n"].iloc[0])
    d, se = rd.compare(df, ("A", "s"), ("B", None), n)
    assert -1 <= d <= 1 and se >= 0
    bad = spoil_table(df, fault, column, data)
    refused(lambda: rd.compare(bad, ("A", "s"), ("B", None), n), *_table_names(fault, column))


@FUZZ
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 6)),
                  elements=st.floats(0, 255)),
       st.sampled_from(["nan", "inf", "short", "text"]), st.data())
def test_standardiser(images, fault, data):
    if np.var(images, axis=0).mean() == 0:
        refused(lambda: rd.Standardiser.fit(images), "images", "identical")
        return
    scaler = rd.Standardiser.fit(images)
    assert np.isfinite(scaler(images)).all()
    if fault == "short" and images.shape[1] == 1:
        return  # no narrower image
    bad = spoil(images, fault, data)
    refused(lambda: scaler(bad), "images")
    if fault != "short":
        refused(lambda: rd.Standardiser.fit(bad), "images")


@FUZZ
@given(st.sets(st.integers(0, 9), min_size=1, max_size=9),
       st.sampled_from(["absent", "float", "all", "text"]))
def test_label_correlation(positive, fault):
    r = rd.label_correlation(positive, [0, 2, 4, 6, 8], range(10))
    assert -1 <= r <= 1
    bad = {"absent": positive | {12}, "float": [c + 0.5 for c in positive],
           "all": set(range(10)), "text": "0123"}[fault]
    refused(lambda: rd.label_correlation(bad, [0, 2, 4, 6, 8], range(10)), "positive_a")


# --- networks ------------------------------------------------------------------------------------
NET = TwoLayerNet(6, 4, rng=0)


@FUZZ
@given(st.integers(1, 30), st.sampled_from(FAULTS), st.sampled_from(["X", "y"]), st.data())
def test_test_error(n, fault, which, data):
    rng = np.random.default_rng(n)
    X, y = rng.standard_normal((n, 6)), np.where(rng.random(n) < 0.5, -1.0, 1.0)
    e, se = networks.test_error(NET, X, y)
    assert 0 <= e <= 1 and 0 <= se <= 0.5
    if which == "X" and fault.startswith("labels"):
        return  # any finite input is a valid input
    bad = {"X": X, "y": y}
    bad[which] = spoil(bad[which], fault, data)
    refused(lambda: networks.test_error(NET, bad["X"], bad["y"]), which, "N")


@settings(FUZZ, max_examples=30)
@given(st.integers(1, 5), st.integers(1, 5), st.sampled_from(["nan", "inf", "short", "text"]),
       st.sampled_from(["W", "v"]), st.data())
def test_from_weights(K, N, fault, which, data):
    rng = np.random.default_rng(K * 10 + N)
    args = {"W": rng.standard_normal((K, N)), "v": rng.standard_normal(K)}
    net = TwoLayerNet.from_weights(**args)
    np.testing.assert_allclose(net.weights()[0], args["W"], rtol=1e-6)
    if fault == "short" and (which == "W" or K == 1):
        return  # fewer inputs or units: another valid network
    args[which] = spoil(args[which], fault, data)
    refused(lambda: TwoLayerNet.from_weights(**args), which, "W", "v")


# --- theory and the crossover ------------------------------------------------------------------
THEORY = settings(derandomize=True, deadline=None, database=None, max_examples=15,
                  suppress_health_check=[HealthCheck.too_slow])
_TASK = None


def _theory_setting():
    """A small task, a first layer and its covariances (built once: the fuzz spoils copies)."""
    global _TASK
    if _TASK is None:
        import tlcourse as tl
        from tlcourse import theory

        task = tl.make_source(6, 10, rng=0)
        W = np.random.default_rng(1).standard_normal((4, 10))
        _TASK = (task, W, *theory.feature_covariances(W, task))
    return _TASK


SOLVER_FAULTS = ("nan", "inf", "short", "column", "text")


@THEORY
@given(st.sampled_from(SOLVER_FAULTS), st.sampled_from(["Omega", "Phi", "theta"]), st.data())
def test_solve_gcm(fault, which, data):
    from tlcourse import theory

    task, _, Omega, Phi = _theory_setting()
    args = {"Omega": Omega, "Phi": Phi, "theta": task.theta}
    ok = theory.solve_gcm(*args.values(), samples_per_feature=1.0, lam=0.1)
    assert 0 < ok.test_error <= 0.5
    args[which] = spoil(args[which], fault, data)
    # a length that no longer matches is named on either side of the mismatch
    names = (which,) if fault not in ("short", "column") else tuple(args)
    refused(lambda: theory.solve_gcm(*args.values(), samples_per_feature=1.0, lam=0.1),
            *names)


bad_positive = st.sampled_from([0.0, -0.1, np.nan, np.inf, "0.1", None, True])


@THEORY
@given(bad_positive, st.sampled_from(["lam", "samples_per_feature"]))
def test_solve_gcm_scalars(bad, which):
    from tlcourse import theory

    task, _, Omega, Phi = _theory_setting()
    kwargs = {"samples_per_feature": 1.0, "lam": 0.1, which: bad}
    refused(lambda: theory.solve_gcm(Omega, Phi, task.theta, **kwargs), which)


@THEORY
@given(st.sampled_from(["W", "alphas", "lam", "covariances"]), st.data())
def test_learning_curve(which, data):
    from tlcourse import theory

    task, W, Omega, Phi = _theory_setting()
    ok = theory.learning_curve(W, task, alphas=[0.5, 2.0], lam=0.1,
                               covariances=(Omega, Phi))
    assert ok["test_error"].between(0, 0.5).all() and len(ok) == 2
    kwargs = {"alphas": [0.5, 2.0], "lam": 0.1, "covariances": (Omega, Phi)}
    layer = W
    if which == "W":
        layer = spoil(W, data.draw(st.sampled_from(["nan", "inf", "short", "text"])), data)
        names = ("W", "Omega", "Phi")
    elif which == "alphas":
        kwargs["alphas"] = [0.5, data.draw(bad_positive)]
        names = ("alphas",)
    elif which == "lam":
        kwargs["lam"] = data.draw(bad_positive)
        names = ("lam",)
    else:  # covariances of another layer: 6 features for a 4-unit W
        wider = np.random.default_rng(2).standard_normal((6, 10))
        kwargs["covariances"] = theory.feature_covariances(wider, task)
        names = ("Omega", "Phi", "covariances")
    refused(lambda: theory.learning_curve(layer, task, **kwargs), *names)


@THEORY
@given(st.sampled_from([(1.0, 0.1), (0.1,), (-1.0, 1.0), (np.nan, 1.0), ("a", 1.0), 0.1]))
def test_best_penalty_bounds(bounds):
    from tlcourse import theory

    task, W, Omega, Phi = _theory_setting()
    refused(lambda: theory.best_penalty(W, task, alphas=[1.0], lam_bounds=bounds,
                                        covariances=(Omega, Phi)), "lam_bounds")


@FUZZ
@given(st.integers(2, 6), st.integers(3, 8), st.sampled_from(["nan", "inf", "short", "text"]),
       st.sampled_from(["x", "diffs"]), st.data())
def test_crossover(S, n, fault, which, data):
    x = np.geomspace(0.5, 16, n)
    diffs = data.draw(hnp.arrays(np.float64, (S, n), elements=st.floats(-1, 1)))
    ok = stats.crossover(x, diffs)
    assert ok.x is None or x[0] <= ok.x <= x[-1]
    args = {"x": x, "diffs": diffs}
    args[which] = spoil(args[which], fault, data)
    names = (which,) if fault != "short" else ("x", "diffs")  # either side of a mismatch
    refused(lambda: stats.crossover(args["x"], args["diffs"]), *names)
