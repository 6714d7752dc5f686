"""Why a row is an alert: the fields that pushed it toward its attack class (``score --explain``).

For every alert, :class:`AlertExplainer` attributes the classifier's **margin of
the alert's attack class over the normal class** to the input fields:

* the attack class is the row's predicted class; for an alert whose predicted class
  is the normal one (a row flagged only by ``--novelty``), its most probable attack
  class;
* the margin is f_attack(x) − f_normal(x) in the model's own output units — the
  raw scores (log-odds) for LightGBM and the torch networks, the class
  probabilities for scikit-learn forests. A prior correction of the decision rule
  adds the same constant to every row's log-odds, so it moves no contribution;
* one method per model family, each with contributions that add up to the margin
  less its value at a reference:

  - **LightGBM** (lgbm, smote-lgbm, gavae-lgbm): LightGBM's own TreeSHAP
    (``predict(pred_contrib=True)``); reference: the model's expected raw score;
  - **scikit-learn forests** (rf, smote-rf, gavae-rf): TreeSHAP of the ``shap``
    package (optional: ``pip install 'gavae-ids[explain]'``), path-dependent,
    on the probabilities; reference: the forest's mean probabilities over its
    training rows;
  - **torch networks** (dnn, gavae-dnn, cnn, smote-dnn, …): integrated gradients
    (Sundararajan et al. 2017) of the logit margin along the straight line from
    the mean training row of the scaled space (each number at its training mean,
    each one-hot block at its categories' shares; the preprocessor's ``reference_``)
    to the row, :data:`IG_STEPS` midpoint steps. Bundles written before 0.2.1 have
    no stored mean and start from the all-zero row (every number at its training
    minimum), which gives a field at its minimum no contribution.

  Other classifiers (KNN, SVM, …) have no explanation: :func:`explainer_for`
  raises one :class:`~gavae_ids.exceptions.DataError` line.

The encoded columns of a one-hot block are summed into their source field
(``service=private``). A field's value is the one the model read: the row's
category (``?`` for a category unseen in training), a number decoded from the
scaled column, so clipped to the training range.

A row's ``why_1 … why_K`` are its K fields of largest contribution, largest first,
as ``field=value (+contribution)``; fields that contributed exactly 0 are left out,
so cells stay empty when fewer than K fields contributed, and negative
contributions appear only after all positive ones. Rows that are not alerts get
empty cells and cost nothing.
"""

from __future__ import annotations

import numpy as np

from gavae_ids.exceptions import DataError

#: Midpoint-rule steps of integrated gradients along the path from the baseline; the sum of
#: the attributions then matches the margin's change to within about 1 % on smooth nets.
IG_STEPS = 32
#: Rows explained at a time (memory: ``rows × IG_STEPS × features`` floats for networks).
EXPLAIN_BLOCK = 256
#: The text of a category the training data lacked (its one-hot block is all zeros).
UNSEEN_VALUE = "?"


def why_columns(k: int) -> list[str]:
    """The output columns of ``k`` reasons: ``why_1 … why_k``."""
    return [f"why_{i}" for i in range(1, k + 1)]


# -- contributions per model family ----------------------------------------------------------
def _lightgbm_contrib(clf):
    booster = clf.booster_

    def contrib(Xt, target, normal):
        # n_jobs read now: scoring sets it to --threads for the run (0: LightGBM's default)
        threads = max(int(clf.n_jobs or 0), 0)
        raw = np.asarray(booster.predict(Xt, pred_contrib=True, num_threads=threads))
        n, f = Xt.shape
        if raw.shape[1] == f + 1:  # binary objective: one raw score, the log-odds of class 1
            sign = np.where(target == 1, 1.0, -1.0)[:, None]
            return raw[:, :f] * sign
        per_class = raw.reshape(n, -1, f + 1)[:, :, :f]
        rows = np.arange(n)
        return per_class[rows, target] - per_class[rows, normal]

    return contrib


def _forest_contrib(clf):
    try:
        import shap
    except ImportError:
        raise DataError("--explain for a scikit-learn forest needs the shap package: "
                        "pip install 'gavae-ids[explain]'") from None  # fmt: skip
    explainer = shap.TreeExplainer(clf)

    def contrib(Xt, target, normal):
        phi = explainer.shap_values(np.asarray(Xt, dtype=np.float64), check_additivity=False)
        # shap < 0.45: a list of (rows, features) per class; later (rows, features, classes)
        phi = np.stack(phi, axis=-1) if isinstance(phi, list) else np.asarray(phi)
        rows = np.arange(len(Xt))
        return phi[rows, :, target] - phi[rows, :, normal]

    return contrib


def _torch_contrib(clf, reference=None):
    import torch

    net, device = clf.net_, getattr(clf, "device_", "cpu")

    def contrib(Xt, target, normal):
        base = None if reference is None else torch.as_tensor(reference, dtype=torch.float32,
                                                              device=device)  # fmt: skip
        return integrated_gradients(net, torch.as_tensor(Xt, dtype=torch.float32, device=device),
                                    torch.as_tensor(target, device=device), normal,
                                    baseline=base)  # fmt: skip

    return contrib


def integrated_gradients(net, x, target, normal: int, steps: int = IG_STEPS,
                         baseline=None) -> np.ndarray:  # fmt: skip
    """Integrated gradients of ``logit[target] − logit[normal]`` from ``baseline`` (a row;
    None: the zero row) to ``x``.

    Parameters
    ----------
    net : torch.nn.Module
        Maps rows (n, features) to logits (n, classes); used in eval mode.
    x : torch.Tensor of shape (n, features)
    target : torch.Tensor of int, shape (n,)
        The class each row is explained toward.
    normal : int
        The class it is compared with.
    steps : int
        Points of the midpoint rule along the path.
    baseline : torch.Tensor of shape (features,), optional
        Where the path starts; None: the zero row.

    Returns
    -------
    ndarray of shape (n, features)
        Per feature, ``(x − baseline) · mean over the path of ∂margin/∂x``; the row sums
        approximate margin(x) − margin(baseline).
    """
    import torch

    net.eval()
    n, f = x.shape
    alphas = (torch.arange(steps, dtype=x.dtype, device=x.device) + 0.5) / steps
    with torch.enable_grad():
        base = torch.zeros(f, dtype=x.dtype, device=x.device) if baseline is None else baseline
        delta = x - base
        path = (base + alphas[None, :, None] * delta[:, None, :]).reshape(n * steps, f)
        path.requires_grad_(True)
        logits = net(path)
        rows = torch.arange(n * steps, device=x.device)
        margin = logits[rows, target.repeat_interleave(steps)] - logits[:, normal]
        (grad,) = torch.autograd.grad(margin.sum(), path)
    return (grad.reshape(n, steps, f).mean(dim=1) * delta).detach().cpu().numpy().astype(
        np.float64)


def _base_classifier(clf):
    """The classifier that computes the probabilities: a resampled method's inner one."""
    from gavae_ids.classifiers import ResampledClassifier

    return clf.classifier_ if isinstance(clf, ResampledClassifier) else clf


def explainer_for(classifier, method: str | None = None, reference=None):
    """``contrib(Xt, target, normal) → (rows, encoded features)`` for ``classifier``'s family.

    Raises
    ------
    DataError
        No explanation for that kind of classifier, or the forest's ``shap`` is missing.
    """
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    from gavae_ids.classifiers import LightGBMClassifier, TorchClassifier

    clf = _base_classifier(classifier)
    if isinstance(clf, LightGBMClassifier):
        return _lightgbm_contrib(clf)
    if isinstance(clf, RandomForestClassifier | ExtraTreesClassifier):
        return _forest_contrib(clf)
    if isinstance(clf, TorchClassifier) and hasattr(clf, "net_"):
        return _torch_contrib(clf, reference)
    name = method or type(clf).__name__
    raise DataError(f"--explain is not available for method {name!r} ({type(clf).__name__}): "
                    "only LightGBM, scikit-learn forests and the torch networks "
                    "(dnn, gavae-dnn, cnn) are explained")  # fmt: skip


# -- the explainer ---------------------------------------------------------------------------
class AlertExplainer:
    """The ``why_1 … why_K`` columns of scored rows (see the module docstring).

    Parameters
    ----------
    detector : Detector
        A fitted detector (its classifier, preprocessing and normal class).
    k : int
        Reasons per alert (columns ``why_1 … why_k``).

    Raises
    ------
    DataError
        ``k`` < 1, or the detector's classifier has no explanation method.

    Examples
    --------
    >>> ex = AlertExplainer(det, 3)  # doctest: +SKIP
    >>> ex(Xt, proba, pred, attack)["why_1"][:2]  # doctest: +SKIP
    ['', 'dst_host_srv_count=255 (+0.31)']
    """

    def __init__(self, detector, k: int):
        if int(k) < 1:
            raise DataError(f"--explain needs at least 1 reason per alert, got {k}")
        self.k = int(k)
        self.columns = why_columns(self.k)
        self.normal = int(detector.normal_index_)
        self.contrib = explainer_for(detector.classifier, detector.method,
                                     getattr(detector.preprocessor, "reference_", None))
        pre = detector.preprocessor
        self.preprocessor = pre
        self.fields = list(pre.columns_)
        layout = pre.layout_
        # encoded column → source field (a 0/1 matrix): a one-hot block sums into its field
        self.to_fields = np.zeros((layout.n_features, len(self.fields)))
        self.blocks = {b.name: b for b in layout.onehot_blocks}
        pos = {c: i for i, c in enumerate(self.fields)}
        for j, name in enumerate(layout.feature_names):
            if name in pos:
                self.to_fields[j, pos[name]] = 1.0
        for b in layout.onehot_blocks:
            self.to_fields[b.start : b.stop, pos[b.name]] = 1.0

    def field_contributions(self, Xt, target) -> np.ndarray:
        """Contributions per source field, shape (rows, fields), toward class ``target``."""
        Xt = np.asarray(Xt, dtype=np.float32)
        target = np.asarray(target, dtype=np.intp)
        out = np.zeros((len(Xt), len(self.fields)))
        for r in range(0, len(Xt), EXPLAIN_BLOCK):
            c = self.contrib(Xt[r : r + EXPLAIN_BLOCK], target[r : r + EXPLAIN_BLOCK], self.normal)
            out[r : r + EXPLAIN_BLOCK] = np.asarray(c, dtype=np.float64) @ self.to_fields
        return out

    def values(self, Xt) -> list[np.ndarray]:
        """Per source field, its values as the model read them (numbers as floats, categories
        as text, :data:`UNSEEN_VALUE` where the block is all zeros)."""
        frame = self.preprocessor.inverse_transform(Xt)
        cols = []
        for name in self.fields:
            col = frame[name].to_numpy()
            if name in self.blocks:
                b = self.blocks[name]
                seen = np.asarray(Xt)[:, b.start : b.stop].max(axis=1) > 0
                col = np.where(seen, col.astype(str).astype(object), UNSEEN_VALUE)
            cols.append(col)
        return cols

    def target_classes(self, proba, pred) -> np.ndarray:
        """The attack class of each alert: its prediction, else its most probable attack."""
        target = np.asarray(pred, dtype=np.intp).copy()
        normal = target == self.normal
        if normal.any():
            masked = np.asarray(proba, dtype=np.float64)[normal].copy()
            masked[:, self.normal] = -np.inf
            target[normal] = masked.argmax(axis=1)
        return target

    def reasons(self, Xt, proba, pred) -> list[list[str]]:
        """``k`` reason cells of every row of ``Xt`` (all treated as alerts)."""
        if len(Xt) == 0:
            return []
        contrib = self.field_contributions(Xt, self.target_classes(proba, pred))
        values = self.values(Xt)
        text = [not np.issubdtype(v.dtype, np.number) for v in values]
        order = np.argsort(-contrib, axis=1, kind="stable")[:, : self.k]
        out = []
        for i, row in enumerate(order):
            # Only the K cells written are formatted: a Python step per cell, not per field.
            cells = [f"{self.fields[j]}={values[j][i] if text[j] else f'{values[j][i]:.6g}'} "
                     f"({contrib[i, j]:+.3g})" for j in row if contrib[i, j] != 0]  # fmt: skip
            out.append(cells + [""] * (self.k - len(cells)))
        return out

    def __call__(self, Xt, proba, pred, attack) -> dict[str, list[str]]:
        """``{why_i: cells}`` for every row; cells of rows that are not alerts are empty."""
        attack = np.asarray(attack, dtype=bool)
        cells = [[""] * len(attack) for _ in range(self.k)]
        idx = np.flatnonzero(attack)
        if len(idx):
            reasons = self.reasons(np.asarray(Xt)[idx], np.asarray(proba)[idx],
                                   np.asarray(pred)[idx])  # fmt: skip
            for i, r in zip(idx, reasons, strict=True):
                for j in range(self.k):
                    cells[j][i] = r[j]
        return dict(zip(self.columns, cells, strict=True))
