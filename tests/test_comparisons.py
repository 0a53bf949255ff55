"""Tests of tlcourse.comparisons: paired differences, crossover tables, gaps, separability."""

import numpy as np
import pandas as pd
import pytest

from tlcourse import comparisons, stats


def table(errors: dict, stderr=0.01, train_error=None) -> pd.DataFrame:
    """A learning-curve table from {(protocol, alpha, seed): test_error}."""
    rows = [{"protocol": p, "alpha": a, "seed": s, "test_error": e, "stderr": stderr,
             "train_error": 0.0 if train_error is None else train_error.get((p, a, s), 0.0)}
            for (p, a, s), e in errors.items()]
    return pd.DataFrame(rows)


def test_paired_differences_pairs_by_seed():
    rng = np.random.default_rng(0)
    errs = {}
    for s in range(5):
        common = rng.normal(0, 0.05)  # a seed effect shared by both protocols
        errs[("2L", 1.0, s)] = 0.3 + common + 0.001 * s
        errs[("TL", 1.0, s)] = 0.2 + common
    errs[("TL", 1.0, 7)] = 0.9  # a seed 2L did not run: ignored
    out = comparisons.paired_differences(table(errs, stderr=1e-4), "2L", "TL")
    row = out.iloc[0]
    assert row.seeds == 5
    assert row.difference == pytest.approx(0.1 + 0.002)
    # the shared seed effect cancels: the spread is that of 0.001 * s
    assert row.se == pytest.approx(np.std(0.001 * np.arange(5), ddof=1) / np.sqrt(5))


def test_paired_differences_held_out_floor_and_groups():
    errs = {("A", a, s): 0.2 for a in (1.0, 2.0) for s in range(3)}
    errs.update({("B", a, s): 0.1 for a in (1.0, 2.0) for s in range(3)})
    df = pd.concat([table(errs, stderr=0.03).assign(delta=d) for d in (0.0, 0.5)])
    out = comparisons.paired_differences(df, "A", "B", by=["delta"])
    assert list(out.columns) == ["delta", "alpha", "difference", "se", "seeds"]
    assert len(out) == 4
    # no spread across seeds: the held-out bound sqrt((se_a^2 + se_b^2) / S)
    assert np.allclose(out.se, np.sqrt(2 * 0.03**2 / 3))
    with pytest.raises(ValueError, match="protocol"):
        comparisons.paired_differences(df, "A", "C")
    with pytest.raises(ValueError, match="columns"):
        comparisons.paired_differences(df.drop(columns="stderr"), "A", "B")


def per_seed(values, spread=0.005, alphas=(0.5, 1, 2, 4, 8)):
    """A per-seed difference table: three seeds at ``values`` -spread, 0, +spread."""
    return pd.DataFrame([{"alpha": a, "seed": s, "difference": v + (s - 1) * spread}
                         for s in range(3) for a, v in zip(alphas, values, strict=True)])


def test_crossover_table_status():
    crossed = per_seed([0.1, 0.08, 0.04, -0.03, -0.06]).assign(g="crossed")
    never = per_seed([0.1, 0.09, 0.08, 0.07, 0.06]).assign(g="never")
    below = per_seed([-0.01, 0.02, -0.01, -0.02, -0.03]).assign(g="below")
    blurred = per_seed([0.1, 0.08, 0.04, 0.002, -0.0005], spread=0.02).assign(g="blurred")
    fading = per_seed([0.1, 0.08, 0.04, 0.02, 0.001], spread=0.02).assign(g="fading")
    out = comparisons.crossover_table(pd.concat([crossed, never, below, blurred, fading]),
                                      by="g").set_index("g")
    assert out.loc["crossed", "status"] == "crossed"
    assert 2 < out.loc["crossed", "alpha_star"] < 4 and out.loc["crossed", "seeds"] == 3
    assert (out.loc["crossed", "low"] <= out.loc["crossed", "alpha_star"]
            <= out.loc["crossed", "high"] < 8)
    assert out.loc["never", "status"] == "not reached" and np.isnan(out.loc["never", "alpha_star"])
    assert out.loc["never", "low"] == 8 and out.loc["never", "high"] == np.inf
    assert out.loc["below", "status"] == "starts at or below zero"
    assert out.loc["blurred", "status"] == "not resolved" and out.loc["blurred", "high"] == np.inf
    assert out.loc["fading", "status"] == "not resolved"
    assert np.isnan(out.loc["fading", "alpha_star"]) and out.loc["fading", "low"] < 8
    assert set(out.status) <= set(comparisons.CROSSOVER_STATUS)


def test_crossover_table_from_a_learning_curve_table():
    df = table({(p, a, s): e + 0.01 * s for s in range(3)
                for a, e_a, e_b in ((1.0, 0.30, 0.20), (2.0, 0.24, 0.20), (4.0, 0.15, 0.20))
                for p, e in (("A", e_a), ("B", e_b))})
    out = comparisons.crossover_table(stats.seed_differences(df, "A", "B"))
    assert out.status.item() == "crossed" and 2 < out.alpha_star.item() < 4


def test_crossover_table_refuses_what_it_cannot_judge():
    crossed = per_seed([0.1, 0.08, 0.04, -0.03, -0.06])
    with pytest.raises(ValueError, match="seed_differences"):
        comparisons.crossover_table(crossed.drop(columns="seed"))
    with pytest.raises(ValueError, match="every seed"):
        comparisons.crossover_table(crossed.iloc[1:])
    with pytest.raises(ValueError, match="several rows"):
        comparisons.crossover_table(pd.concat([crossed, crossed.iloc[:1]]))
    with pytest.raises(TypeError, match="DataFrame"):
        comparisons.crossover_table(crossed.to_numpy())


def test_theory_gaps():
    summary = pd.DataFrame({"alpha": [1.0, 4.0], "test_error": [0.3, 0.1], "sem": [0.01, 0.02]})
    line_a = np.array([0.5, 2.0, 8.0])
    line_e = np.array([0.4, 0.2, 0.0])  # linear in log alpha: 0.3 at 1, 0.1 at 4
    out = comparisons.theory_gaps(summary, line_a, line_e)
    assert np.allclose(out.theory, [0.3, 0.1]) and np.allclose(out.gap, 0)
    with pytest.raises(ValueError, match="range"):
        comparisons.theory_gaps(summary, line_a[:2], line_e[:2])
    with pytest.raises(ValueError, match="shape"):
        comparisons.theory_gaps(summary, line_a, line_e[:2])


def test_separability_bracket():
    train = {("TL", a, s): (0.0 if a <= 2 or (a == 3 and s == 0) else 0.05)
             for a in (1.0, 2.0, 3.0, 4.0) for s in range(2)}
    df = table({k: 0.2 for k in train}, train_error=train)
    fraction, low, high = comparisons.separability(df)
    assert fraction.tolist() == [1.0, 1.0, 0.5, 0.0]
    assert (low, high) == (2.0, 4.0)
    all_fit = table({k: 0.2 for k in train})
    _, low, high = comparisons.separability(all_fit)
    assert low == 4.0 and np.isnan(high)


def test_flat_and_steep_and_stretches():
    a = np.geomspace(0.5, 8, 30)
    e = np.where(a < 2, 0.3, 0.3 - 0.1 * np.log(a / 2))  # flat, then a slope of -0.1 per e-fold
    slope, flat, steep = comparisons.flat_and_steep(a, e, 0.01)
    assert flat[0] and steep[-1] and np.isclose(slope[-1], -0.1)
    runs = comparisons.stretches(a, flat)
    assert len(runs) == 1 and runs[0][0] == a[0] and runs[0][1] < 2.1
    with pytest.raises(ValueError, match="slope"):
        comparisons.flat_and_steep(a, e, 0.0)
    with pytest.raises(ValueError, match="mask"):
        comparisons.stretches(a, flat[:-1])


def real_table():
    rows = []
    for s in range(4):
        for n in (10, 40):
            rows.append(dict(protocol="TL", source="x", n=n, seed=s, test_error=0.1 + 0.01 * s,
                             stderr=0.001))
            rows.append(dict(protocol="RF", source=None, n=n, seed=s,
                             test_error=0.3 + 0.01 * s + 0.002 * (s % 2), stderr=0.001))
    return pd.DataFrame(rows)


def test_real_differences_and_gains():
    df = real_table()
    out = comparisons.real_differences(df, [
        ("RF - TL", ("RF", None), ("TL", "x"), 10, +1),
        ("TL - RF", ("TL", "x"), ("RF", None), 40, +1),
        ("no claim", ("TL", "x"), ("RF", None), 40),
    ])
    assert out.resolved.tolist() == [True, False, False]
    assert out.contradicted.tolist() == [False, True, False]
    assert out.difference.iloc[0] == pytest.approx(0.201)
    with pytest.raises(ValueError, match="expected"):
        comparisons.real_differences(df, [("bad", ("RF", None), ("TL", "x"), 10, 2)])
    gains = comparisons.real_gains(df, "RF", ["x"], [10, 40])
    assert list(gains.columns) == ["source", "n", "difference", "se"]
    assert np.allclose(gains.difference, 0.201)


def test_bad_tables_are_refused_not_miscounted():
    errs = {(p, 1.0, s): e for p, e in (("A", 0.3), ("B", 0.2)) for s in range(3)}
    df = table(errs)
    assert comparisons.paired_differences(df, "A", "B")["seeds"].tolist() == [3]
    nan = df.copy()
    nan.loc[0, "test_error"] = np.nan
    with pytest.raises(ValueError, match=r"df\['test_error'\] must be finite"):
        comparisons.paired_differences(nan, "A", "B")
    nan_size = df.copy()
    nan_size.loc[0, "alpha"] = np.nan  # groupby would drop the row silently
    with pytest.raises(ValueError, match=r"df\['alpha'\] must be finite"):
        comparisons.paired_differences(nan_size, "A", "B")
    stacked = pd.concat([df.assign(delta=0.0), df.assign(delta=1.0)])
    with pytest.raises(ValueError, match="one row per seed"):  # was averaged over both deltas
        comparisons.paired_differences(stacked, "A", "B")
    assert len(comparisons.paired_differences(stacked, "A", "B", by="delta")) == 2
    with pytest.raises(ValueError, match="two different protocols"):
        comparisons.paired_differences(df, "A", "A")
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        comparisons.paired_differences(errs, "A", "B")
    with pytest.raises(ValueError, match=r"df\['train_error'\] must be finite"):
        comparisons.separability(table(errs, train_error={("A", 1.0, 0): np.nan}).query(
            "protocol == 'A'"))
    with pytest.raises(ValueError, match="one protocol"):
        comparisons.separability(df)
    summary = pd.DataFrame({"alpha": [1.0, 1.0], "test_error": [0.2, 0.3], "sem": [0.01, 0.01]})
    with pytest.raises(ValueError, match="one row per size"):
        comparisons.theory_gaps(summary, [0.5, 2.0], [0.3, 0.2])
    with pytest.raises(ValueError, match=r"summary\['sem'\] must be finite"):
        comparisons.theory_gaps(summary.assign(alpha=[1.0, 1.5], sem=[np.nan, 0.1]),
                                [0.5, 2.0], [0.3, 0.2])
    with pytest.raises(TypeError, match="mask must be an array of booleans"):
        comparisons.stretches([1.0, 2.0], [0.5, np.nan])
    with pytest.raises(ValueError, match="expected must be -1, 0 or \\+1"):
        comparisons.real_differences(df, [("x", ("A", None), ("B", None), 10, True)])
    with pytest.raises(ValueError, match="each comparison must be"):
        comparisons.real_differences(df, ["x"])
    with pytest.raises(TypeError, match="sources and ns must be collections"):
        comparisons.real_gains(df, "2L", "at most 5", [10])


def test_real_differences_use_student_t_for_few_seeds():
    # four seeds whose differences give z = 2.94: resolved at one-sided 95% (t_3 = 2.35), where
    # "three standard errors" would not; three seeds take t_2 = 2.92; a level outside (0, 1) is
    # refused
    diffs = (0.02, 0.02, 0.03, 0.07)
    rows = []
    for s, d in enumerate(diffs):
        for protocol, source, e in (("TL", "x", 0.2), ("RF", None, 0.2 + d)):
            rows.append(dict(protocol=protocol, source=source, n=10, seed=s, test_error=e,
                             stderr=1e-4))
    df = pd.DataFrame(rows)
    z = np.mean(diffs) / (np.std(diffs, ddof=1) / 2)
    assert 2.36 < z < 3
    claim = [("RF - TL", ("RF", None), ("TL", "x"), 10, +1)]
    out = comparisons.real_differences(df, claim).iloc[0]
    assert out.z == pytest.approx(z) and out.seeds == 4
    assert out.t == pytest.approx(2.3534, abs=1e-3) and out.resolved and not out.contradicted
    three = comparisons.real_differences(df[df.seed < 3], claim).iloc[0]
    assert three.seeds == 3 and three.t == pytest.approx(2.9200, abs=1e-3)
    with pytest.raises(ValueError, match="level"):
        comparisons.real_differences(df, claim, level=1.0)
