"""Tests of tlcourse.specs (the training Recipe, the protocol table) and data.sample_counts."""

import dataclasses
import re
from pathlib import Path

import pytest

import tlcourse as tl
from tlcourse.specs import PROTOCOLS, Recipe, protocol, protocol_list


def test_the_book_states_the_recipe_s_defaults():
    """The training recipe's table in the chapter on source networks says what Recipe() does."""
    page = (Path(__file__).resolve().parents[1] / "book" / "source_networks.md").read_text(
        encoding="utf-8")
    stated = dict(re.findall(r"^\| [\w ]+ \| `(lr|epochs|weight_decay) = ([\d.e-]+)`", page,
                             re.MULTILINE))
    r = Recipe()
    assert stated.keys() == {"lr", "epochs", "weight_decay"}, stated
    assert {k: float(v) for k, v in stated.items()} == {
        "lr": r.lr, "epochs": r.epochs, "weight_decay": r.weight_decay}
    assert r.optimizer == "adam" and "| optimiser | Adam" in page
    assert r.batch_size is None and "| batch | full batch" in page
    assert r.val_fraction == 0 and "| early stopping | **off**" in page
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.lam = 1.0


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({"lam": 0.0}, ValueError, "lam must be finite and > 0, got 0.0"),
        ({"lam": "0.1"}, TypeError, "lam must be a real number > 0 or 'cv'"),
        ({"lam_grid": ()}, ValueError, "lam_grid must be a non-empty sequence"),
        ({"lam_grid": (0.1, -1.0)}, ValueError, "lam_grid must be finite and > 0"),
        ({"cv_folds": 1}, ValueError, "cv_folds must be >= 2"),
        ({"epochs": -1}, ValueError, "epochs must be >= 0"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
        ({"lr": float("nan")}, ValueError, "lr must be finite"),
        ({"ft_lr": -1e-3}, ValueError, "ft_lr must be finite and > 0"),
        ({"weight_decay": -0.1}, ValueError, "weight_decay must be finite and >= 0"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer must be one of"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"val_fraction": 1.0}, ValueError, "val_fraction must be < 1"),
        ({"val_fraction": 1.5}, ValueError, r"val_fraction must lie in \[0, 1\]"),
        ({"patience": 0}, ValueError, "patience must be >= 1"),
    ],
)
def test_recipe_checks_itself_once_with_clear_errors(settings, error, match):
    with pytest.raises(error, match=match):
        Recipe(**settings)
    with pytest.raises(error, match=match):
        Recipe.from_settings(**settings)


def test_recipe_from_settings_and_replace():
    assert Recipe.from_settings() == Recipe()
    base = Recipe(lam=0.5)
    assert Recipe.from_settings(base) is base  # no settings: the object itself, trusted
    r = Recipe.from_settings(base, epochs=10)
    assert (r.lam, r.epochs) == (0.5, 10) and base.epochs == 1000
    assert r.asdict()["epochs"] == 10
    with pytest.raises(TypeError, match="unknown settings"):
        Recipe.from_settings(momentum=0.9)
    with pytest.raises(TypeError, match="recipe must be a Recipe"):
        Recipe.from_settings({"lam": 0.1})


def test_protocol_table():
    assert list(PROTOCOLS) == ["TL", "FT", "2L", "RF", "0-shot", "TL1", "TL2", "FT2", "3L"]
    frozen = {p for p, s in PROTOCOLS.items() if s.frozen}
    assert frozen == {"TL", "RF", "TL2"}
    assert {p for p, s in PROTOCOLS.items() if not s.uses_source} == {"2L", "RF", "3L"}
    assert {p for p, s in PROTOCOLS.items() if s.one_job_per_size} == {"FT", "2L", "TL1",
                                                                       "FT2", "3L"}
    assert not PROTOCOLS["0-shot"].trains
    for depth, count in ((1, 5), (2, 4)):  # distinct colours within a family of networks
        family = [s for s in PROTOCOLS.values() if s.hidden_layers == depth]
        assert len(family) == count == len({s.color for s in family})
    assert protocol("TL2", hidden_layers=2).name == "TL2"
    with pytest.raises(ValueError, match="protocol must be one of"):
        protocol("TL2", hidden_layers=1)
    with pytest.raises(ValueError, match="protocols must be one of"):
        protocol_list(["TL", "3L"], hidden_layers=1)
    assert protocol("FT").name == "FT"
    with pytest.raises(ValueError, match="protocol must be one of"):
        protocol("ft")
    assert protocol_list("TL") == ["TL"]
    with pytest.raises(ValueError, match="at least one"):
        protocol_list([])
    with pytest.raises(ValueError, match="protocols must be one of"):
        protocol_list(["TL", "XX"])


def test_sample_counts_one_rounding_rule():
    assert tl.sample_counts(100, alphas=[0.5, 1, 2.004, 0.015]) == [50, 100, 200, 2]
    assert tl.sample_counts(30, alphas=0.5) == [15]
    assert tl.sample_counts(30, ns=[7, 3]) == [7, 3]
    with pytest.raises(ValueError, match="exactly one of alphas"):
        tl.sample_counts(30)
    with pytest.raises(ValueError, match="exactly one of alphas"):
        tl.sample_counts(30, alphas=[1], ns=[3])
    with pytest.raises(ValueError, match=r"gives P = round\(alpha \* N\) = 0 < 1"):
        tl.sample_counts(30, alphas=[0.01])
    with pytest.raises(ValueError, match="alphas must be finite and > 0"):
        tl.sample_counts(30, alphas=[-1.0])
    with pytest.raises(ValueError, match="ns must be >= 1"):
        tl.sample_counts(30, ns=[0])
    with pytest.raises(ValueError, match="must not be empty"):
        tl.sample_counts(30, ns=[])
