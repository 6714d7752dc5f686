"""Where a GAVAE's generated rows start: latent codes z drawn from a prior.

The paper draws z from N(0, I). With the autoregressive decoder (its default)
:class:`~gavae_ids.sampling.GAVAESampler` instead fits a Gaussian mixture per
class to the latent codes of its rows (:func:`fit_class_mixtures`) and draws
each class's candidates from its own mixture (:func:`draw_latent`).
"""

from __future__ import annotations

import numpy as np
import torch

from gavae_ids._util.torch_helpers import make_generator, torch_seed_from

__all__ = ["draw_latent", "fit_class_mixtures"]

# Latent codes per class used to fit its prior mixture, and rows per mixture component.
_PRIOR_ROWS = 5000
_ROWS_PER_COMPONENT = 20


def fit_class_mixtures(
    model,
    Xs: np.ndarray,
    y_index: np.ndarray,
    *,
    n_classes: int,
    latent_dim: int,
    n_components: int,
    rs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Gaussian mixture per class on the latent codes ``model`` gives its rows.

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
    weights, means, chol : ndarrays of shape (C, K), (C, K, L) and (C, K, L, L)
        Component weights, means and the Cholesky factors of the covariances;
        unused components have weight 0.
    """
    from sklearn.mixture import GaussianMixture

    latent = int(latent_dim)
    K = int(n_components)
    weights = np.zeros((n_classes, K))
    means = np.zeros((n_classes, K, latent))
    chol = np.tile(np.eye(latent), (n_classes, K, 1, 1))
    seed = torch_seed_from(rs)
    g = make_generator(seed)
    model = model.eval()
    for i in range(n_classes):
        rows = np.flatnonzero(y_index == i)
        if len(rows) > _PRIOR_ROWS:
            rows = rs.choice(rows, _PRIOR_ROWS, replace=False)
        with torch.no_grad():
            mu, logvar = model.encode(torch.as_tensor(Xs[rows]))
            # Draws of q(z | x): the mixture fits the class's aggregate posterior.
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)
        z = z.numpy().astype(np.float64)
        if len(rows) < 2:  # a single row (never oversampled): its own posterior
            weights[i, 0], means[i, 0] = 1.0, mu.numpy()[0]
            chol[i, 0] = np.diag(np.exp(0.5 * logvar.numpy()[0]))
            continue
        k = max(1, min(K, len(rows) // _ROWS_PER_COMPONENT))
        gm = GaussianMixture(
            k, covariance_type="full", reg_covar=1e-3, random_state=seed, max_iter=200
        ).fit(z)
        weights[i, :k] = gm.weights_
        means[i, :k] = gm.means_
        chol[i, :k] = np.linalg.cholesky(gm.covariances_)
    return weights, means, chol


def draw_latent(n: int, latent_dim: int, generator: torch.Generator, mixture=None) -> torch.Tensor:
    """``n`` latent codes: N(0, I), or draws of one class's ``mixture``.

    ``mixture`` is ``(weights, means, chol)`` of one class as
    :func:`fit_class_mixtures` gives them, of shapes (K,), (K, L), (K, L, L).
    """
    eps = torch.randn(n, int(latent_dim), generator=generator)
    if mixture is None:
        return eps
    weights, means, chol = (torch.as_tensor(a, dtype=torch.float32) for a in mixture)
    comp = torch.multinomial(weights, n, replacement=True, generator=generator)
    return means[comp] + (chol[comp] @ eps.unsqueeze(2)).squeeze(2)
