"""Train a detector and write its bundle: the plain function behind ``gavae-ids train``.

>>> from gavae_ids.detection.train import train_detector
>>> det = train_detector("nsl-kdd", out="model_dir")  # doctest: +SKIP
>>> det.predict(new_records)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gavae_ids.classifiers import check_bundleable
from gavae_ids.datasets import BENCHMARKS, load_benchmark, load_csv, load_zeek
from gavae_ids.datasets.flows import load_flows
from gavae_ids.datasets.zeek import check_input_format, sniff_file
from gavae_ids.detection.auto import (
    DEFAULT_CANDIDATES,
    check_scoring,
    order_candidates,
    select_method,
)
from gavae_ids.detection.decision import (
    DEFAULT_MAX_FPR,
    RULES,
    DecisionRule,
    budget_unmet,
    choose_rule,
    joint_threshold,
    prior_weights,
    too_few_normal_rows,
)
from gavae_ids.detection.detector import Detector
from gavae_ids.detection.methods import (
    DEFAULT_METHOD,
    QUICK_ROWS_PER_CLASS,
    default_method,
    stratified_rows,
)
from gavae_ids.detection.model_card import evaluate_predictions, fit_with_card
from gavae_ids.detection.pipeline import build_pipeline
from gavae_ids.exceptions import DataError, NotFittedError

log = logging.getLogger(__name__)

#: What ``train`` reads: a benchmark, any labelled CSV, a labelled Zeek conn.log, or labelled
#: flows of ``gavae-ids flows``.
DATASETS = (*BENCHMARKS, "csv", "zeek", "flows")
#: Candidate names of the benign class of a user CSV, matched case-insensitively.
NORMAL_CANDIDATES = ("normal", "benign", "0")


def load_training_data(dataset: str, *, data_home=None, csv_path=None, label: str = "label",
                       categorical=None, drop=(), train_split: str = "train20",
                       input_format: str = "auto") -> dict:  # fmt: skip
    """The training part of ``dataset`` as ``{"X", "y", "categorical", "numeric", "info"}``.

    * ``"nsl-kdd"``: the NSL-KDD file ``train_split`` (``train20`` = KDDTrain+_20Percent,
      the paper's Table 4 set, or ``train`` = KDDTrain+), 5 classes.
    * ``"unsw-nb15"``: the training part of the project's UNSW-NB15 protocol
      (official training partition when present, else the documented split).
    * ``"csv"``: any labelled CSV ``csv_path`` whose column ``label`` holds the class;
      a Zeek log given as ``"csv"`` is recognised by its content and read as ``"zeek"``
      (``input_format`` names the format instead: ``csv``, ``zeek`` or ``zeek-json``).
    * ``"zeek"``: a labelled Zeek ``conn.log`` (TSV or JSON lines), e.g. IoT-23's
      ``conn.log.labeled`` with ``label="label"`` or ``"detailed-label"``
      (:func:`gavae_ids.datasets.load_zeek`: identifiers are not features).
    * ``"flows"``: flows of ``gavae-ids flows`` (Parquet or CSV) with a ``label`` column
      joined (:func:`gavae_ids.datasets.flows.load_flows`); the bundle keeps their
      feature set, which ``score`` checks.
    """
    check_input_format(input_format)
    if input_format == "pcap":
        raise DataError("a capture has no labels: turn it into flows (gavae-ids flows), join "
                        "a label column, then train --dataset flows")  # fmt: skip
    if dataset in BENCHMARKS:
        # UNSW-NB15: always the protocol's split (seed 0), so no test row of reproduce/tune
        # is trained on.
        bench = load_benchmark(dataset, data_home=data_home, train_split=train_split,
                               with_tests=False)  # fmt: skip
        b = bench.train
        protocol = f"trained on {b.name}" if dataset == "nsl-kdd" else bench.protocol
        info = {"dataset": dataset, "source": b.name, "protocol": protocol}
    elif dataset in ("csv", "zeek"):
        if csv_path is None:
            raise DataError(f"dataset {dataset!r} needs the path of the file (CLI: --input)")
        fmt = _file_format(dataset, csv_path, input_format)
        if fmt == "csv" and dataset == "csv":
            b = load_csv(csv_path, label=label, categorical=categorical, drop=drop)
        else:
            b = load_zeek(csv_path, label=label, categorical=categorical, drop=drop,
                          input_format=fmt)  # fmt: skip
        info = {"dataset": dataset, "source": str(Path(csv_path).name), "label_column": label,
                "protocol": f"trained on {Path(csv_path).name}"}  # fmt: skip
        if fmt != "csv":
            info["input_format"] = fmt
            info["identifiers"] = list(b.identifiers)
            info["notes"] = list(b.notes)
    elif dataset == "flows":
        if csv_path is None:
            raise DataError("dataset 'flows' needs the path of the file (CLI: --input)")
        b = load_flows(csv_path, label=label, drop=drop)
        info = {"dataset": dataset, "source": str(Path(csv_path).name), "label_column": label,
                "protocol": f"trained on {Path(csv_path).name}", "feature_set": b.feature_set,
                "identifiers": list(b.identifiers)}  # fmt: skip
    else:
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    return {"X": b.X, "y": b.y.astype(str), "categorical": list(b.categorical),
            "numeric": list(b.numeric), "info": info}  # fmt: skip


def _file_format(dataset: str, path, input_format: str) -> str:
    """The format of a user file: named, or told by its first bytes (a Zeek header or JSON
    lines are Zeek; anything else is CSV, or refused for ``dataset="zeek"``)."""
    if input_format != "auto":
        return input_format
    if not Path(path).is_file():
        return "auto" if dataset == "zeek" else "csv"  # the loader names the missing file
    fmt = sniff_file(path)
    if dataset == "zeek" and fmt == "csv":
        return "auto"  # load_zeek says it is not a Zeek log
    return fmt


def resolve_normal_label(classes, normal_label: str | None = None) -> str:
    """``normal_label`` if it is a class, else the class named normal/benign/0 (any case)."""
    classes = [str(c) for c in classes]
    if normal_label is not None:
        if str(normal_label) not in classes:
            raise DataError(
                f"normal label {normal_label!r} is not a class; classes: {', '.join(classes)}"
            )
        return str(normal_label)
    for cand in NORMAL_CANDIDATES:
        hits = [c for c in classes if c.lower() == cand]
        if hits:
            return hits[0]
    raise DataError(
        f"cannot tell which class is benign traffic among {', '.join(classes)}; "
        "name it with normal_label= (CLI: --normal-label)"
    )


def parse_params(items) -> dict:
    """``["epochs=5", "hidden=[64,32]", "sampler__n_iter=100"]`` → a dict (values read as JSON).

    A value that is not JSON is kept as a string; JSON lists become tuples.
    """
    out = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise DataError(f"parameter {item!r} is not of the form NAME=VALUE")
        try:
            v = json.loads(value)
        except json.JSONDecodeError:
            v = value
        out[key.strip()] = tuple(v) if isinstance(v, list) else v
    return out


def train_detector(
    dataset: str,
    method: str | None = None,
    data_home=None,
    out=None,
    quick: bool = False,
    random_state: int = 0,
    verbose: bool = True,
    *,
    csv_path=None,
    label: str = "label",
    categorical=None,
    drop=(),
    normal_label: str | None = None,
    train_split: str = "train20",
    input_format: str = "auto",
    outlier_filter: bool = False,
    save_gavae: bool = True,
    overwrite: bool = False,
    validation: float = 0.2,
    cv: int | None = None,
    candidates=None,
    scoring: str = "f1_macro",
    auto_folds: int = 3,
    time_budget: float | None = None,
    cv_max_rows_per_class: int | None = 5000,
    auto_jobs: int | None = None,
    novelty: bool = True,
    novelty_fpr_budget: float | None = None,
    decision: str = "cap",
    max_fpr: float | None = None,
    **params,
) -> Detector:
    """Train a detector on the training data of ``dataset`` and (optionally) save its bundle.

    Steps: load the training data; hold out a stratified validation split (or
    run k-fold CV); fit the :class:`~gavae_ids.detection.pipeline.DetectionPipeline` of
    ``method`` (optional MAD outlier filter, paper §3.5; one-hot + min-max
    preprocessing fitted on the training rows only; the classifier and its
    sampler); measure it into a :class:`~gavae_ids.detection.model_card.ModelCard`;
    write the bundle to ``out``.

    Parameters
    ----------
    dataset : {"nsl-kdd", "unsw-nb15", "csv", "zeek"}
        See :func:`load_training_data`; ``"csv"`` and ``"zeek"`` need ``csv_path`` and
        ``label``.
    method : str, optional
        Default: :func:`~gavae_ids.detection.methods.default_method` (``gavae-lgbm``, or
        ``gavae-dnn`` without LightGBM; chosen by measurement, see
        ``docs/results/auto-default``). A registered method that can be bundled: the
        torch classifiers (``gavae-dnn``,
        ``dnn``, ``cnn``, ``smote-dnn``, …) and the tree models (``rf``, ``gavae-rf``,
        ``smote-rf``, ``lgbm``, ``gavae-lgbm``, ``smote-lgbm``). KNN and SVM are
        refused: they can only be stored by pickling.
        ``"auto"``: pick one by stratified k-fold CV on the training rows
        (:func:`gavae_ids.detection.auto.select_method`; ``candidates``, ``scoring``,
        ``auto_folds``, ``time_budget``, ``cv_max_rows_per_class``; candidates are
        ranked at ``decision``/``max_fpr`` on their out-of-fold rows, networks and
        GAVAE methods raced), then train
        it exactly as if it had been named; the model card records the CV table
        and why it won (``model_card.selection``), the bundle's method is the
        winner's name and ``info["selected_by"]`` is ``"auto"``.
    data_home : path-like, optional
        Dataset folder (default ``$GAVAE_IDS_DATA``).
    out : path-like, optional
        Bundle folder to write; ``None`` writes nothing.
    quick : bool, default=False
        Smoke run: at most :data:`QUICK_ROWS_PER_CLASS` rows per class and
        :data:`gavae_ids.detection.methods.QUICK_PARAMS` budgets.
    random_state : int, default=0
        Seeds the classifier (and, through it, the GAVAE).
    verbose : bool, default=True
        Progress bars.
    csv_path, label, categorical, drop
        For ``dataset="csv"`` or ``"zeek"``: the file, its class column, its nominal
        columns (CSV default: the non-numeric ones; Zeek: typed by ``#types``, and a
        Zeek identifier named here becomes a feature) and columns to ignore.
    input_format : {"auto", "csv", "zeek", "zeek-json"}, default="auto"
        The format of ``csv_path``; ``"auto"`` tells by its content.
    normal_label : str, optional
        The benign class; default ``Normal`` (NSL-KDD, UNSW-NB15) or a class
        named normal/benign/0 in a CSV.
    train_split : str, default="train20"
        NSL-KDD training file (``train20`` or ``train``).
    outlier_filter : bool, default=False
        Drop per-class MAD outliers from the training rows first.
    save_gavae : bool, default=True
        Put the fitted GAVAE (GAVAE methods only) in the bundle's ``gavae/``.
    overwrite : bool, default=False
        Replace an existing bundle at ``out``.
    validation : float, default=0.2
        Hold out this stratified fraction of the training rows (seed
        ``random_state``): the bundled model is trained on the rest and the
        model card measures it on the held-out rows. ``0``: train on all rows,
        no figures.
    cv : int, optional
        Instead of the holdout: stratified ``cv``-fold cross-validation figures,
        then a refit on all rows (the bundled model).
    candidates, scoring, auto_folds, time_budget, cv_max_rows_per_class
        ``method="auto"`` only: candidate names (default
        :data:`gavae_ids.detection.auto.DEFAULT_CANDIDATES`), scikit-learn scorer name,
        CV folds, seconds for the comparison (None: unlimited) and the
        per-class row cap of the comparison (None: all rows; the refit of the
        winner always uses all rows).
    auto_jobs : int, optional
        ``method="auto"`` only: cores for the comparison's fits (``n_jobs`` of
        :func:`~gavae_ids.detection.auto.select_method`; None: all).
    novelty : bool, default=True
        When the bundle keeps a GAVAE (gavae-dnn, gavae-rf, gavae-lgbm): choose
        the novelty flag's thresholds (:meth:`Detector.fit_novelty`) — the
        per-class losses from the rows the model was trained on, the quantile
        on the holdout rows (or, without a holdout, on GAVAE-DNN's own
        validation rows) — so ``gavae-ids score --novelty`` can use them.
    novelty_fpr_budget : float, optional
        Largest share of normal holdout rows the flag may mark (default
        :data:`gavae_ids.detection.novelty.DEFAULT_FPR_BUDGET`).
    decision : {"cap", "budget", "prior", "argmax"}, default="cap"
        How scores become alerts (:mod:`gavae_ids.detection.decision`), chosen on
        the validation rows (the holdout, or the out-of-fold predictions with
        ``cv``) and stored in the bundle, where ``score`` applies it:

        * ``"cap"``: argmax, unless its validation FPR exceeds ``max_fpr``; then
          the threshold on 1 − P(normal) that flags at most ``max_fpr`` of the
          normal validation rows. It only ever cuts false alarms.
        * ``"budget"``: that threshold always, the one that catches the most
          attacks within ``max_fpr`` (it can raise the FPR up to the budget).
        * ``"prior"``: re-weight a resampled method's posteriors back to the
          training class priors (then a budget threshold if ``max_fpr`` is given).
        * ``"argmax"``: the most probable class, as before 0.2.

        Without validation rows (``validation=0`` and no ``cv``) ``"cap"`` falls
        back to argmax. Measured (benchmarks/decision_rules.py): docs/results.md.
    max_fpr : float, optional
        The false-alarm budget of ``"cap"`` and ``"budget"``, default
        :data:`~gavae_ids.detection.decision.DEFAULT_MAX_FPR` (0.01). It holds on
        new traffic only as far as that resembles the validation rows.
    **params
        Method parameters, e.g. ``epochs=20`` or ``sampler__n_iter=500``
        (refused with ``method="auto"``: every candidate runs with its defaults).

    Returns
    -------
    Detector
        The trained detector (its ``manifest_`` is set when it was saved; its
        ``model_card`` holds the validation figures and ``quality_warnings``).
    """
    # Long only by its signature and parameter docs (the Python face of `gavae-ids train`);
    # each step is a helper below.
    t0 = time.perf_counter()
    _check_decision(decision, max_fpr, validation=validation, cv=cv)
    if method is None:
        method = default_method()
        if method != DEFAULT_METHOD:
            log.warning("LightGBM is not installed (pip install 'gavae-ids[trees]'): training "
                        "%s instead of %s", method, DEFAULT_METHOD)  # fmt: skip
    auto = str(method).lower() == "auto"
    if auto:
        candidates = _check_auto(candidates, scoring, params)
    else:  # built before any data is read: unknown or unbundleable methods are refused at once
        pipe = _bundleable_pipeline(method, outlier_filter=outlier_filter, quick=quick,
                                    random_state=random_state, verbose=verbose,
                                    **params)  # fmt: skip
    data = load_training_data(dataset, data_home=data_home, csv_path=csv_path, label=label,
                              categorical=categorical, drop=drop,
                              train_split=train_split, input_format=input_format)  # fmt: skip
    X, y, normal, info = _training_rows(data, normal_label=normal_label, quick=quick,
                                        random_state=random_state)  # fmt: skip
    selection = None
    if auto:
        selection = _select(X, y, data, candidates=candidates, scoring=scoring,
                            folds=auto_folds, time_budget=time_budget,
                            max_rows_per_class=cv_max_rows_per_class, n_jobs=auto_jobs,
                            random_state=random_state, outlier_filter=outlier_filter,
                            quick=quick, verbose=verbose, normal_label=normal,
                            decision=decision, max_fpr=max_fpr)  # fmt: skip
        method = selection.winner
        pipe = build_pipeline(method, outlier_filter=outlier_filter, quick=quick,
                              random_state=random_state, verbose=verbose)  # fmt: skip
    pipe.set_params(categorical=data["categorical"], numeric=data["numeric"])
    log.info("fitting %s on %d rows", method, len(y))
    fitted, card = fit_with_card(pipe, X, y, normal_label=normal, method=method,
                                 validation=validation, cv=cv, random_state=random_state,
                                 reference=True,
                                 selection=selection and selection.to_dict())  # fmt: skip
    if selection is not None:
        card.selection = selection.to_dict()
        info["selected_by"] = "auto"
    sampler = _bundled_sampler(fitted, save_gavae)
    info.update(_fit_info(fitted, card, params=params, random_state=random_state, t0=t0))
    det = Detector.from_pipeline(fitted, normal_label=normal, method=method, sampler=sampler,
                                 info=info, model_card=card)  # fmt: skip
    if decision != "argmax" and (
        decision == "prior"
        or max_fpr is not None
        or getattr(fitted, "validation_proba_", None) is not None
    ):
        det.decision_ = _choose_decision(det, fitted, card, y, decision=decision,
                                         max_fpr=max_fpr)  # fmt: skip
        det.info["decision"] = det.decision_.describe()
    val = getattr(fitted, "validation_proba_", None)
    if val is not None:  # the card's DR-FPR curve and operating point, under the rule
        card.set_false_alarms(val[1], np.asarray(y).astype(str)[val[0]], det.decision_)
    if novelty and callable(getattr(sampler, "reconstruction_error", None)):
        det.info["novelty"] = _fit_novelty(det, fitted, X, y, novelty_fpr_budget)
        if det.novelty_ is not None and det.decision_ is not None:
            _joint_novelty_budget(det, fitted, X, y, cap=decision == "cap")
            det.info["decision"] = det.decision_.describe()
    if out is not None:
        det.save(out, overwrite=overwrite)
    return det


def _check_decision(decision: str, max_fpr, *, validation, cv) -> None:
    if decision not in RULES:
        raise DataError(f"unknown decision rule {decision!r}; choose one of {', '.join(RULES)}")
    if max_fpr is not None:
        if not 0.0 <= max_fpr < 1.0:
            raise DataError(f"--max-fpr must lie in [0, 1), got {max_fpr}")
        if decision == "argmax":
            raise DataError("--max-fpr has no effect with --decision argmax")
        if cv is None and not (validation and validation > 0):
            raise DataError("--max-fpr needs validation rows to choose the threshold on: "
                            "use --validation > 0 or --cv")  # fmt: skip


def fit_priors(fitted, classes) -> tuple[list[float], list[float]] | None:
    """Rows per class before and after the classifier's resampling, or None without it.

    Before: the rows the pipeline was fitted on. After: those times the share the
    classifier's sampler saw (1 − its early-stopping validation fraction), plus the
    rows the sampler generated.
    """
    aug = fitted.augmentation_counts() if hasattr(fitted, "augmentation_counts") else None
    if aug is None:
        return None
    real = fitted.class_counts_
    seen = 1.0 - float(getattr(fitted.classifier_, "validation_fraction", 0.0) or 0.0)
    before, after = [], []
    for c in classes:
        gen = aug.loc[c, "generated"] if c in aug.index else 0
        gen = 0.0 if gen is None or not np.isfinite(float(gen)) else float(gen)
        before.append(float(real.get(c, 0)))
        after.append(seen * float(real.get(c, 0)) + gen)
    return before, after


def _choose_decision(det: Detector, fitted, card, y, *, decision: str, max_fpr):
    """The detector's decision rule, chosen on the card's validation rows."""
    classes = list(det.classes_)
    prior = None
    if decision == "prior":
        counts = fit_priors(fitted, classes)
        prior = None if counts is None else prior_weights(*counts)
        if prior is None:
            log.info("decision 'prior': %s does not resample; the posteriors stay as they are",
                     det.method)  # fmt: skip
    if decision in ("cap", "budget") and max_fpr is None:
        max_fpr = DEFAULT_MAX_FPR
    val = getattr(fitted, "validation_proba_", None)
    if val is None:  # no validation rows: a prior correction needs none
        return DecisionRule(classes, det.normal_label, prior_weights=prior,
                            chosen_on="no validation rows")  # fmt: skip
    rows, proba = val
    y_val = np.asarray(y).astype(str)[rows]
    rule = choose_rule(proba, y_val, classes, det.normal_label, prior=prior, max_fpr=max_fpr,
                       cap=decision == "cap",
                       chosen_on=card.evaluation.get("description", ""))  # fmt: skip
    if max_fpr is not None:
        for warning in (too_few_normal_rows(rule.validation["normal_rows"], max_fpr),
                        budget_unmet(rule)):  # fmt: skip
            if warning:
                log.warning("%s", warning)
                card.warnings.append(warning)
    if card.metrics is not None:
        pred, _ = rule.decide(rule.proba(proba))
        metrics = evaluate_predictions(y_val, np.asarray(classes, dtype=object)[pred],
                                       card.classes, det.normal_label)  # fmt: skip
        card.decision = {"rule": rule.describe(), "metrics": metrics}
    return rule


def _check_auto(candidates, scoring: str, params: dict) -> list[str]:
    """``method="auto"``: refuse method parameters and an unknown scorer; the candidates in
    the order they run."""
    if params:
        raise DataError(f"method parameters ({', '.join(sorted(params))}) cannot be "
                        "given with --method auto: every candidate runs with its "
                        "defaults")  # fmt: skip
    candidates = order_candidates(candidates or DEFAULT_CANDIDATES)
    check_scoring(scoring)
    return candidates


def _select(X, y, data: dict, **kwargs):
    """``method="auto"``: the :class:`~gavae_ids.detection.auto.AutoSelection` of the
    training rows."""
    selection = select_method(X, y, categorical=data["categorical"], numeric=data["numeric"],
                              **kwargs)  # fmt: skip
    log.info("auto selected %s: %s", selection.winner, selection.reason)
    return selection


def _bundleable_pipeline(method: str, **kwargs):
    """The unfitted pipeline of ``method``, refused when a bundle could not hold it (the
    GAVAE sampler gets the preprocessing's layout when the pipeline is fitted)."""
    pipe = build_pipeline(method, **kwargs)
    check_bundleable(pipe.classifier, method)
    return pipe


def _training_rows(data: dict, *, normal_label, quick: bool, random_state: int):
    """``(X, y, normal label, info)`` of the training data (``--quick``: a stratified subset)."""
    X, y = data["X"], data["y"]
    info = dict(data["info"])
    info["rows"] = int(len(y))
    normal = resolve_normal_label(pd.unique(y), normal_label)
    if quick:
        rows = stratified_rows(y.to_numpy(), QUICK_ROWS_PER_CLASS, random_state)
        X, y = X.iloc[rows], y.iloc[rows]
        info["quick"] = f"at most {QUICK_ROWS_PER_CLASS} rows per class ({len(y)} rows)"
    return X, y, normal, info


def _bundled_sampler(fitted, save_gavae: bool):
    """The fitted sampler the bundle keeps: a GAVAE (it can be saved), else None."""
    sampler = getattr(fitted.classifier_, "sampler_", None) if save_gavae else None
    if sampler is not None and not callable(getattr(sampler, "save", None)):
        return None  # e.g. SMOTE: nothing to keep
    return sampler


def _fit_info(fitted, card, *, params: dict, random_state: int, t0: float) -> dict:
    """What the bundle's manifest records about the fit (``training``), in its key order."""
    info = {}
    if fitted.outlier_report_ is not None:
        removed = fitted.outlier_report_["removed"]
        info["outlier_filter"] = {str(c): int(r) for c, r in removed.items()}
    info.update(
        rows_trained=int(sum(fitted.class_counts_.values())),
        class_counts=dict(sorted(fitted.class_counts_.items())),
        validation=card.evaluation["description"],
        random_state=random_state,
        params={k: _jsonable(v) for k, v in params.items()},
        fit_seconds=round(time.perf_counter() - t0, 3),
    )
    return info


def _joint_novelty_budget(det: Detector, fitted, X, y, *, cap: bool) -> None:
    """With a false-alarm budget and the novelty flag: the threshold under which the
    classifier's alerts and the novel rows together stay within the budget on the
    holdout rows (``score --novelty`` uses it). Needs a holdout (not ``--cv``)."""
    rule = det.decision_
    split, val = getattr(fitted, "holdout_rows_", None), getattr(fitted, "validation_proba_", None)
    if rule.max_fpr is None or split is None or val is None:
        return
    rows, proba = val
    y_val = np.asarray(y).astype(str)[rows]
    p = rule.proba(proba)
    Xv = det.encode(X.reset_index(drop=True).iloc[rows])[0]
    normal = y_val == det.normal_label

    def joint(t):
        pred, attack = rule.decide(p, t)
        return attack | det.novel_mask_encoded(Xv, pred)

    flagged = joint(rule.threshold)
    if cap and rule.threshold is None and flagged[normal].mean() <= rule.max_fpr:
        t = None  # argmax and the novel rows keep the budget together
    else:
        pred, _ = rule.decide(p, rule.threshold)
        novel = det.novel_mask_encoded(Xv, pred)
        t = joint_threshold(1.0 - p[normal, rule.normal_index], novel[normal], rule.max_fpr)
        flagged = joint(t)
    rule.novelty_threshold = t
    rule.novelty_validation = {
        "binary_dr": float(flagged[~normal].mean()) if (~normal).any() else None,
        "binary_fpr": float(flagged[normal].mean()) if normal.any() else None,
    }


def _fit_novelty(det: Detector, fitted, X, y, fpr_budget) -> str:
    """Choose the novelty thresholds of a GAVAE detector on training rows; a note of how."""
    X = X.reset_index(drop=True)
    y = np.asarray(y).astype(str)
    split = getattr(fitted, "holdout_rows_", None)
    try:
        if split is not None:
            tr, te = split
            thr = det.fit_novelty(X.iloc[tr], y[tr], X_validation=X.iloc[te],
                                  y_validation=y[te], fpr_budget=fpr_budget)  # fmt: skip
            where = f"the {len(te):,} holdout rows"
        else:
            thr = det.fit_novelty(X, y, fpr_budget=fpr_budget)
            where = "the classifier's own validation rows"
    except (DataError, NotFittedError) as e:
        det.novelty_ = None
        log.warning("novelty flag not calibrated: %s", e)
        return f"not calibrated: {e}"
    return (
        f"quantile {thr.quantile:g} of the training rows' GAVAE losses per class, chosen "
        f"on {where} for an FPR budget of {thr.fpr_budget:g}"
    )


def _jsonable(v):
    try:
        json.dumps(v)
    except TypeError:
        return repr(v)
    return v
