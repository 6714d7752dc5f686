"""Where a GAVAE's generated rows start: latent codes z drawn from a prior.

The paper draws z from N(0, I). With the autoregressive decoder (its default)
:class:`~gavae_ids.sampling.GAVAESampler` instead fits a Gaussian mixture per
class to the latent codes of its rows (:func:`class_mixtures`) and draws
each class's candidates from its own mixture (:func:`draw_latent`).
"""

from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from gavae_ids._util.torch_helpers import make_generator, torch_seed_from

__all__ = ["ClassMixtures", "class_mixtures", "draw_latent", "fit_mixture"]

# Latent codes per class used to fit its prior mixture, and rows per mixture component.
_PRIOR_ROWS = 5000
_ROWS_PER_COMPONENT = 20


class ClassMixtures:
    """A Gaussian mixture per class over its latent codes, each fitted when first needed.

    ``fit_resample`` draws only the classes it oversamples, never the majority, so a
    class's mixture is fitted the first time :meth:`mixture` asks for it (or when
    :meth:`arrays` is called, before saving). The codes of every class are drawn up
    front in class order and each fit is seeded by ``seed`` alone, so a class's
    mixture is the same whichever classes were drawn before it, and the same as
    fitting them all at once.

    Parameters
    ----------
    weights, means, chol : ndarrays of shape (C, K), (C, K, L) and (C, K, L, L)
        Component weights, means and the Cholesky factors of the covariances of
        the classes already fitted; unused components have weight 0.
    pending : dict, optional
        Class index → ``(codes, n_components)`` of the classes not fitted yet.
    seed : int, default=0
        Seed of every mixture fit.
    """

    def __init__(self, weights, means, chol, pending=None, seed: int = 0):
        self.weights, self.means, self.chol = weights, means, chol
        self.pending = dict(pending or {})
        self.seed = int(seed)

    def mixture(self, class_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(weights, means, chol)`` of one class, of shapes (K,), (K, L), (K, L, L)."""
        if class_index in self.pending:
            z, k = self.pending.pop(class_index)
            w, m, c = fit_mixture(z, k, self.seed)
            self.weights[class_index, :k], self.means[class_index, :k] = w, m
            self.chol[class_index, :k] = c
        return self.weights[class_index], self.means[class_index], self.chol[class_index]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(weights, means, chol)`` of every class, fitting those not fitted yet."""
        for i in sorted(self.pending):
            self.mixture(i)
        return self.weights, self.means, self.chol


def fit_mixture(z: np.ndarray, n_components: int, seed: int):
    """Weights, means and covariance Cholesky factors of a ``n_components`` mixture of ``z``.

    On one thread: the fit is a few milliseconds of small products per EM step, which
    two BLAS and OpenMP threads slowed 6-18x on a busy 2-core machine (13 % of an
    NSL-KDD fit); the result does not depend on the thread count.
    """
    from sklearn.mixture import GaussianMixture

    with threadpool_limits(1):
        gm = GaussianMixture(
            n_components, covariance_type="full", reg_covar=1e-3, random_state=seed, max_iter=200
        ).fit(z)
    return gm.weights_, gm.means_, np.linalg.cholesky(gm.covariances_)


def class_mixtures(
    model,
    Xs: np.ndarray,
    y_index: np.ndarray,
    *,
    n_classes: int,
    latent_dim: int,
    n_components: int,
    rs,
) -> ClassMixtures:
    """A Gaussian mixture per class on the latent codes ``model`` gives its rows, unfitted.

    Parameters
    ----------
    model : GAVAE
        The trained network; its encoder gives q(z | x).
    Xs : ndarray of shape (n_samples, n_features)
        Rows in the GAVAE's scaled space.
    y_index : ndarray of shape (n_samples,)
        Class index of each row, in ``range(n_classes)``.
    n_classes, latent_dim : int
        Classes, and the size L of z.
    n_components : int
        The most mixture components K of one class (fewer for a class with
        under ``20 * n_components`` rows).
    rs : RandomState
        Picks the rows of a large class (at most 5,000) and seeds the draws
        and the mixture fits.

    Returns
    -------
    ClassMixtures
        Every class's codes, its mixture fitted when first asked for; a class of
        one row holds that row's posterior.
    """
    latent = int(latent_dim)
    K = int(n_components)
    weights = np.zeros((n_classes, K))
    means = np.zeros((n_classes, K, latent))
    chol = np.tile(np.eye(latent), (n_classes, K, 1, 1))
    seed = torch_seed_from(rs)
    g = make_generator(seed)
    model = model.eval()
    pending = {}
    for i in range(n_classes):
        rows = np.flatnonzero(y_index == i)
        if len(rows) > _PRIOR_ROWS:
            rows = rs.choice(rows, _PRIOR_ROWS, replace=False)
        with torch.no_grad():
            mu, logvar = model.encode(torch.as_tensor(Xs[rows]))
            # Draws of q(z | x): the mixture fits the class's aggregate posterior.
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)
        if len(rows) < 2:  # a single row (never oversampled): its own posterior
            weights[i, 0], means[i, 0] = 1.0, mu.numpy()[0]
            chol[i, 0] = np.diag(np.exp(0.5 * logvar.numpy()[0]))
            continue
        k = max(1, min(K, len(rows) // _ROWS_PER_COMPONENT))
        pending[i] = (z.numpy().astype(np.float64), k)
    return ClassMixtures(weights, means, chol, pending, seed)


def draw_latent(n: int, latent_dim: int, generator: torch.Generator, mixture=None) -> torch.Tensor:
    """``n`` latent codes: N(0, I), or draws of one class's ``mixture``.

    ``mixture`` is ``(weights, means, chol)`` of one class as
    :meth:`ClassMixtures.mixture` gives them, of shapes (K,), (K, L), (K, L, L).
    """
    eps = torch.randn(n, int(latent_dim), generator=generator)
    if mixture is None:
        return eps
    weights, means, chol = (torch.as_tensor(a, dtype=torch.float32) for a in mixture)
    comp = torch.multinomial(weights, n, replacement=True, generator=generator)
    return means[comp] + (chol[comp] @ eps.unsqueeze(2)).squeeze(2)
