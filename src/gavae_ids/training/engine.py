"""One small supervised training engine shared by every torch classifier.

The loop is split into parts the caller can reuse or replace:

* :func:`minibatches` — shuffled index batches drawn from a local ``torch.Generator``;
* :func:`train_epoch` — one pass of Adam steps over the training rows;
* :func:`evaluate` — loss and accuracy under ``model.eval()`` and ``torch.no_grad()``;
* :func:`epochs` — a generator that trains epoch after epoch and yields one
  :class:`EpochRecord` per epoch, so the caller decides when to stop, what to
  log and what to keep (the shape of spaCy's ``training/loop.py``);
* :func:`fit_supervised` — the usual driver over :func:`epochs`: early stopping
  on a validation set given to it, best-weights restore, a progress bar, and
  the history as a list of plain dicts.

Freezing is expressed by ``trainable``: only those parameters get gradients and
optimizer state, the others are held fixed for the call and their
``requires_grad`` flags are restored afterwards (paper §4.2: freeze, then unfreeze).
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from gavae_ids._util.progress import progress_bar
from gavae_ids._util.torch_helpers import adam

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

EVAL_BATCH = 8192


@dataclass
class EpochRecord:
    """What one epoch did; ``val_*`` are ``None`` without a validation set."""

    phase: str
    epoch: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def as_tensors(X, y=None, device: torch.device | str = "cpu"):
    """``float32`` features (and ``int64`` labels) on ``device``."""
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
    if y is None:
        return Xt
    return Xt, torch.as_tensor(np.asarray(y, dtype=np.int64), device=device)


def minibatches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Yield shuffled index batches covering ``range(n)`` once; the last may be short."""
    order = torch.randperm(n, generator=generator)
    yield from torch.split(order, batch_size)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int,
    generator: torch.Generator,
    loss_fn: LossFn,
) -> float:
    """One pass over ``(X, y)`` in shuffled minibatches; returns the mean training loss."""
    model.train()
    total, seen = 0.0, 0
    for idx in minibatches(len(X), batch_size, generator):
        idx = idx.to(X.device)
        xb, yb = X[idx], y[idx]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(idx)
        seen += len(idx)
    return total / max(seen, 1)


@torch.no_grad()
def predict_logits(model: nn.Module, X: torch.Tensor, batch_size: int = EVAL_BATCH) -> torch.Tensor:
    """Logits of ``model`` for every row of ``X``, computed in eval mode without gradients."""
    model.eval()
    return torch.cat([model(xb) for xb in torch.split(X, batch_size)])


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> dict:
    """``{"loss", "accuracy"}`` of ``model`` on ``(X, y)``."""
    logits = predict_logits(model, X)
    return {
        "loss": float(loss_fn(logits, y)),
        "accuracy": float((logits.argmax(1) == y).float().mean()),
    }


def epochs(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    optimizer: torch.optim.Optimizer,
    n_epochs: int,
    batch_size: int,
    generator: torch.Generator,
    loss_fn: LossFn,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    val_loss_fn: LossFn | None = None,
    phase: str = "train",
) -> Iterator[EpochRecord]:
    """Train for up to ``n_epochs``, yielding an :class:`EpochRecord` after each.

    The caller stops early simply by leaving the loop.
    """
    val_loss_fn = val_loss_fn or loss_fn
    for epoch in range(1, n_epochs + 1):
        t0 = time.perf_counter()
        train_loss = train_epoch(
            model, optimizer, X, y, batch_size=batch_size, generator=generator, loss_fn=loss_fn
        )
        val = evaluate(model, *validation, val_loss_fn) if validation is not None else None
        yield EpochRecord(
            phase=phase,
            epoch=epoch,
            train_loss=train_loss,
            val_loss=None if val is None else val["loss"],
            val_accuracy=None if val is None else val["accuracy"],
            seconds=time.perf_counter() - t0,
        )


class EarlyStopping:
    """Stop after ``patience`` epochs without a validation-loss improvement of ``min_delta``.

    Keeps a copy of the best weights so they can be restored at the end.
    ``patience=None`` never stops but still remembers the best epoch.
    """

    def __init__(self, patience: int | None = 10, min_delta: float = 0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best = math.inf
        self.best_epoch = 0
        self.best_state: dict | None = None
        self._bad = 0

    def step(self, score: float, model: nn.Module, epoch: int) -> bool:
        """Record ``score`` (lower is better); returns True when training should stop."""
        if score < self.best - self.min_delta:
            self.best, self.best_epoch, self._bad = score, epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self._bad += 1
        return self.patience is not None and self._bad >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def fit_supervised(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    generator: torch.Generator,
    n_epochs: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    class_weight: torch.Tensor | None = None,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    patience: int | None = 10,
    min_delta: float = 0.0,
    trainable: Iterable[nn.Parameter] | None = None,
    phase: str = "train",
    verbose: bool = False,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> list[dict]:
    """Train ``model`` with Adam and cross-entropy; returns one dict per epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(N, F)`` features to ``(N, n_classes)`` logits; already on the device of ``X``.
    X, y : torch.Tensor
        Training features (float) and class indices (int64).
    generator : torch.Generator
        Local CPU generator for the minibatch order; the global RNG is not used.
    n_epochs, batch_size, lr, weight_decay
        Adam settings and epoch budget.
    class_weight : torch.Tensor, optional
        Per-class weights of the loss, on training and validation rows alike
        (early stopping then watches the objective being trained).
    validation : (X_val, y_val), optional
        Held-out rows for early stopping; without them all ``n_epochs`` run.
    patience, min_delta
        Early stopping on the validation loss; the best epoch's weights are restored.
    trainable : iterable of Parameter, optional
        Parameters to update (default: all). The others are frozen for this call.
    phase : str
        Label stored in each history record (e.g. ``"frozen"``, ``"finetune"``).
    verbose : bool
        Show a progress bar over epochs.
    on_epoch : callable, optional
        Called with each :class:`EpochRecord` (logging, checkpoints).
    """
    params = list(model.parameters()) if trainable is None else list(trainable)
    if not params:
        raise ValueError("no trainable parameters were given")
    stopper = EarlyStopping(patience, min_delta) if validation is not None else None
    history: list[dict] = []
    with _only_trainable(model, params):
        optimizer = adam(params, lr=lr, weight_decay=weight_decay)
        loss_fn = nn.CrossEntropyLoss(weight=class_weight)
        with progress_bar(f"{phase}", n_epochs, verbose) as task:
            loop = epochs(
                model, X, y, optimizer=optimizer, n_epochs=n_epochs, batch_size=batch_size,
                generator=generator, loss_fn=loss_fn, validation=validation, phase=phase,
            )  # fmt: skip
            for record in loop:
                history.append(record.to_dict())
                if on_epoch is not None:
                    on_epoch(record)
                status = f"loss {record.train_loss:.4f}"
                if record.val_loss is not None:
                    status += f" val {record.val_loss:.4f}"
                task.advance(1, status=status)
                if stopper is not None and stopper.step(record.val_loss, model, record.epoch):
                    task.update(status=status + f" (stopped, best epoch {stopper.best_epoch})")
                    break
        if stopper is not None:
            stopper.restore(model)
            for rec in history:
                rec["best"] = rec["epoch"] == stopper.best_epoch
    return history


@contextlib.contextmanager
def _only_trainable(model: nn.Module, params: list[nn.Parameter]):
    """Freeze every parameter of ``model`` but ``params`` for the block; restore the flags."""
    keep = {id(p) for p in params}
    saved_flags = [(p, p.requires_grad) for p in model.parameters()]
    for p in model.parameters():
        p.requires_grad_(id(p) in keep)
    try:
        yield
    finally:
        for p, flag in saved_flags:
            p.requires_grad_(flag)
