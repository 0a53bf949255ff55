"""readout.nested_errors: a learning curve of readouts on nested training sets."""

import numpy as np
import pytest

from tlcourse import readout


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(20)
    V, V_test = rng.standard_normal((80, 20)), rng.standard_normal((500, 20))
    return V, np.sign(V @ theta), V_test, np.sign(V_test @ theta)


@pytest.mark.parametrize("loss", ["square", "logistic"])
def test_each_size_is_the_readout_fitted_on_the_first_rows(data, loss):
    V, y, V_test, y_test = data
    errors = readout.nested_errors(V, y, V_test, y_test, [10, 40, 80], 0.1, loss)
    for n, e in zip([10, 40, 80], errors, strict=True):
        w = readout.fit_readout(V[:n], y[:n], 0.1, loss)
        assert e == readout.error_rate(w, V_test, y_test)
    assert errors[-1] < errors[0]  # more samples, a better readout on this noiseless task


def test_bad_input_is_named(data):
    V, y, V_test, y_test = data
    with pytest.raises(ValueError, match="ns"):
        readout.nested_errors(V, y, V_test, y_test, [81], 0.1)
    with pytest.raises(ValueError, match="columns"):
        readout.nested_errors(V, y, V_test[:, :5], y_test, [10], 0.1)
    with pytest.raises(ValueError, match="lam"):
        readout.nested_errors(V, y, V_test, y_test, [10], 0.0, "logistic")
