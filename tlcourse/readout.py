"""Convex readouts on fixed features: the last layer of transfer learning and random features.

The estimator of the course (chapters *Four ways to use a source network* and *The replica
formula*) is::

    w_hat = argmin_w  sum_mu loss(y_mu, w . v_mu / sqrt(p)) + (lam / 2) |w|^2,

on features ``V`` of shape (n, p), labels ``y`` in {-1, +1}. The logistic loss is solved exactly
(to a tight gradient tolerance) by scikit-learn's L-BFGS ``LogisticRegression`` on the rescaled
features ``V / sqrt(p)`` with ``C = 1 / lam`` and no intercept; the square loss in closed form.
:func:`select_lam` chooses ``lam`` on the training samples alone, by k-fold cross-validation
(scikit-learn's ``LogisticRegressionCV``, whose objective ``C sum loss + |w|^2 / 2`` on
``V / sqrt(p)`` is this one divided by ``lam``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from ._checks import RNGLike, as_generator, check_choice, check_int, check_positive
from .specs import CV_FOLDS, LAM_GRID

LOSSES = ("logistic", "square")
GRAD_RTOL = 1e-4  # relative gradient norm accepted as converged


def _check_data(V, y) -> tuple[np.ndarray, np.ndarray]:
    V = np.asarray(V, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] == 0:
        raise ValueError(f"V must be a non-empty (n, p) array of features, got shape {V.shape}")
    if y.shape != (V.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({V.shape[0]},), got {y.shape}")
    if not np.isin(y, (-1.0, 1.0)).all():
        raise ValueError("y must contain only -1 and +1 labels")
    return V, y


def objective(w, V, y, lam: float, loss: str = "logistic") -> float:
    """The regularised empirical risk minimised by :func:`fit_readout`."""
    V, y = _check_data(V, y)
    return _objective(w, V, y, lam, loss)


def gradient(w, V, y, lam: float, loss: str = "logistic") -> np.ndarray:
    """Gradient of :func:`objective` with respect to ``w``, shape (p,)."""
    V, y = _check_data(V, y)
    return _gradient(w, V, y, lam, loss)


def _objective(w, V: np.ndarray, y: np.ndarray, lam: float, loss: str = "logistic") -> float:
    z = V @ w / np.sqrt(V.shape[1])
    data = np.logaddexp(0.0, -y * z).sum() if loss == "logistic" else 0.5 * ((y - z) ** 2).sum()
    return float(data + 0.5 * lam * w @ w)


def _gradient(w, V: np.ndarray, y: np.ndarray, lam: float, loss: str = "logistic") -> np.ndarray:
    z = V @ w / np.sqrt(V.shape[1])
    if loss == "logistic":
        dz = -y * np.exp(-np.logaddexp(0.0, y * z))  # -y * sigmoid(-y z)
    else:
        dz = z - y
    return V.T @ dz / np.sqrt(V.shape[1]) + lam * w


def fit_readout(
    V,
    y,
    lam: float,
    loss: str = "logistic",
    *,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    check_input: bool = True,
) -> np.ndarray:
    """Weights ``w_hat`` (p,) minimising the regularised loss on features ``V`` (n, p).

    ``lam > 0`` is required for the logistic loss (separable data have no minimiser otherwise);
    the square loss accepts ``lam >= 0`` (minimum-norm solution at 0). The logistic fit is checked
    after the fact: a ``ConvergenceWarning`` with the gradient norm reached is raised whenever the
    gradient at the returned weights exceeds ``GRAD_RTOL`` times its value at ``w = 0``.

    ``check_input=False`` skips the checks of ``V``, ``y``, ``lam`` and ``loss`` (as in
    scikit-learn): for callers that checked them once already and fit many readouts.
    """
    if check_input:
        V, y = _check_data(V, y)
        check_choice(loss, "loss", LOSSES)
        lam = check_positive(lam, "lam", allow_zero=(loss == "square"))
    n, p = V.shape
    X = V / np.sqrt(p)
    if loss == "square":
        if lam == 0:
            return np.linalg.lstsq(X, y, rcond=None)[0]
        if n >= p:
            return np.linalg.solve(X.T @ X + lam * np.eye(p), X.T @ y)
        return X.T @ np.linalg.solve(X @ X.T + lam * np.eye(n), y)
    if np.all(y == y[0]):
        # one class only: scikit-learn refuses; the problem is still strictly convex
        return _fit_one_class(X, y, lam, tol)
    model = LogisticRegression(C=1.0 / lam, fit_intercept=False, tol=tol, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # judged below on the gradient itself
        model.fit(X, y)
    w = model.coef_.ravel().copy()
    g = np.linalg.norm(_gradient(w, V, y, lam))
    g0 = np.linalg.norm(_gradient(np.zeros(p), V, y, lam))
    if g > GRAD_RTOL * g0:
        warnings.warn(
            f"logistic readout not converged: gradient norm {g:.3g} (at w=0: {g0:.3g}) after "
            f"{int(model.n_iter_[0])} iterations", ConvergenceWarning, stacklevel=2
        )
    return w


def select_lam(V, y, lams=LAM_GRID, *, folds: int = CV_FOLDS, rng: RNGLike = 0) -> float:
    """The penalty of ``lams`` whose logistic readout has the smallest ``folds``-fold
    cross-validated error rate on features ``V`` (n, p) and labels ``y`` (n,) in {-1, +1}.

    The folds are stratified and shuffled with ``rng`` (scikit-learn's ``StratifiedKFold``);
    each candidate is fitted on ``(folds - 1) / folds`` of the samples (so the penalty chosen is
    the best one for slightly fewer samples than ``n``), from the largest penalty down, each fit
    warm-started from the previous one. Ties go to the larger penalty. With fewer than two
    samples of a class no fold can hold both: the largest penalty of ``lams`` is returned.
    """
    from sklearn.model_selection import StratifiedKFold

    V, y = _check_data(V, y)
    lams = sorted((check_positive(lam, "lams") for lam in np.atleast_1d(lams)), reverse=True)
    if not lams:
        raise ValueError("lams must hold at least one penalty")
    folds = check_int(folds, "folds", low=2)
    folds = min(folds, int(min((y == 1).sum(), (y == -1).sum())))
    if folds < 2 or len(lams) == 1:
        return lams[0]
    seed = int(as_generator(rng).integers(2**31 - 1))
    X = V / np.sqrt(V.shape[1])
    wrong = np.zeros(len(lams))
    for train, valid in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        model = LogisticRegression(fit_intercept=False, tol=1e-6, max_iter=10_000,
                                   warm_start=True)
        for k, lam in enumerate(lams):
            model.set_params(C=1.0 / lam)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # judged by its score
                model.fit(X[train], y[train])
            wrong[k] += np.sum(predict(model.coef_.ravel(), X[valid]) != y[valid])
    return float(lams[int(np.argmin(wrong))])  # the first minimum: the larger penalty


def _fit_one_class(X: np.ndarray, y: np.ndarray, lam: float, tol: float) -> np.ndarray:
    """Minimiser when all labels agree (scikit-learn refuses one class): SciPy's L-BFGS."""
    V, p = X * np.sqrt(X.shape[1]), X.shape[1]
    res = minimize(
        _objective, np.zeros(p), args=(V, y, lam), jac=_gradient, method="L-BFGS-B",
        options={"gtol": tol, "maxiter": 10_000},
    )
    if not res.success:
        msg = f"one-class logistic readout: {res.message}"
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return res.x


def predict(w, V) -> np.ndarray:
    """Predicted labels ``sign(V w)`` in {-1, +1} for features ``V`` (n, p)."""
    return np.where(np.asarray(V) @ w >= 0, 1.0, -1.0)


def error_rate(w, V, y) -> float:
    """Fraction of samples whose predicted sign differs from ``y``."""
    return float(np.mean(predict(w, V) != np.asarray(y)))


def nested_errors(V, y, V_test, y_test, ns, lam: float, loss: str = "logistic") -> np.ndarray:
    """Test errors (len(ns),) of readouts fitted on the first ``n`` rows of ``(V, y)``, each ``n``.

    ``V`` (n_max, p) training features and ``y`` (n_max,) labels; ``V_test`` (n_test, p),
    ``y_test`` (n_test,); ``ns`` training-set sizes in ``[1, n_max]`` (nested sets: a learning
    curve from one draw of the data); ``lam`` and ``loss`` as in :func:`fit_readout`.
    """
    V, y = _check_data(V, y)
    V_test, y_test = _check_data(V_test, y_test)
    if V_test.shape[1] != V.shape[1]:
        raise ValueError(f"V_test must have the {V.shape[1]} columns of V, got "
                         f"{V_test.shape[1]}")
    ns = [check_int(n, "ns", low=1, high=len(y) + 1) for n in ns]
    check_choice(loss, "loss", LOSSES)
    lam = check_positive(lam, "lam", allow_zero=(loss == "square"))
    return np.array([error_rate(fit_readout(V[:n], y[:n], lam, loss, check_input=False),
                                V_test, y_test) for n in ns])
