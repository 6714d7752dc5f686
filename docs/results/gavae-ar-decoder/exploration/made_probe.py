"""Feasibility probe: can an autoregressive p(x | context) over the GAVAE's own columns
(CDF bins of numeric columns, one-hot categories) produce rows C2ST cannot tell apart?

Fits a class-conditional MADE (masked MLP, one column order) on the rows of
``gavae-ids fidelity --seed S``'s split of NSL-KDD KDDTrain+_20Percent (no test file),
samples 3,000 rows per class column by column, and prints the fidelity metrics.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gavae_ids.evaluation.fidelity import (
    c2st_auc,
    coverage_density,
    exact_copy_share,
    nn_distance_ratio,
)
from gavae_ids.fidelity import HOLDOUT_FRACTION, fidelity_data
from gavae_ids.nn.gavae import _bin_of
from gavae_ids.sampling import GAVAESampler

CLASSES = ("DoS", "Probe", "R2L", "U2R")


class MaskedLinear(nn.Linear):
    def __init__(self, n_in, n_out, mask):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.float())

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    def __init__(self, cards, ctx_dim, hidden=(512, 512), emb=8, seed=0, scalar=0):
        super().__init__()
        D = len(cards)
        self.cards = cards
        self.scalar = scalar  # the first `scalar` columns are one-hot, the rest a scalar each
        if scalar:
            widths = [c for c in cards[:scalar]] + [1] * (D - scalar)
            in_deg = np.repeat(np.arange(D), widths)
        else:
            self.emb = nn.ModuleList(nn.Embedding(c, emb) for c in cards)
            in_deg = np.repeat(np.arange(D), emb)  # input unit of column j has degree j
        g = np.random.RandomState(seed)
        layers, prev_deg = [], in_deg
        self.ctx = nn.ModuleList()
        for h in hidden:
            deg = g.randint(0, D - 1, size=h)  # hidden unit sees columns <= deg
            mask = torch.as_tensor(deg[:, None] >= prev_deg[None, :])
            layers.append(MaskedLinear(len(prev_deg), h, mask))
            self.ctx.append(nn.Linear(ctx_dim, h))
            prev_deg = deg
        self.hidden = nn.ModuleList(layers)
        out_deg = np.repeat(np.arange(D), cards)  # output of column j sees columns < j
        mask = torch.as_tensor(out_deg[:, None] > prev_deg[None, :])
        self.out = MaskedLinear(len(prev_deg), int(sum(cards)), mask)
        self.ctx_out = nn.Linear(ctx_dim, int(sum(cards)))
        self.offsets = np.r_[0, np.cumsum(cards)]

    def forward(self, tokens, ctx):
        if self.scalar:
            head = self.cards[: self.scalar]
            parts = [F.one_hot(tokens[:, j], c).float() for j, c in enumerate(head)]
            tail = torch.tensor(self.cards[self.scalar :]).float()
            parts.append((tokens[:, self.scalar :].float() + 0.5) / tail)
            h = torch.cat(parts, dim=1)
        else:
            h = torch.cat([e(tokens[:, j]) for j, e in enumerate(self.emb)], dim=1)
        for lin, c in zip(self.hidden, self.ctx, strict=True):
            h = F.relu(lin(h) + c(ctx))
        return self.out(h) + self.ctx_out(ctx)

    def nll(self, tokens, ctx):
        logits = self.forward(tokens, ctx)
        loss = 0
        for j in range(len(self.cards)):
            lj = logits[:, self.offsets[j] : self.offsets[j + 1]]
            loss = loss + F.cross_entropy(lj, tokens[:, j], reduction="none")
        return loss

    @torch.no_grad()
    def sample(self, ctx, gen, temperature=1.0):
        n = ctx.shape[0]
        tokens = torch.zeros(n, len(self.cards), dtype=torch.long)
        for j in range(len(self.cards)):
            logits = self.forward(tokens, ctx)[:, self.offsets[j] : self.offsets[j + 1]]
            p = torch.softmax(logits / temperature, dim=1)
            tokens[:, j] = torch.multinomial(p, 1, generator=gen).squeeze(1)
        return tokens


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iters", type=int, default=600)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--hidden", default="512,512")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--balance", type=float, default=1.0)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--scalar", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    data = fidelity_data(
        "nsl-kdd",
        data_home=None,
        train_split="train20",
        quick=False,
        holdout_fraction=HOLDOUT_FRACTION,
        random_state=args.seed,
    )
    X, y, layout = data.X_fit, np.asarray(data.y_fit), data.layout
    s = GAVAESampler(layout=layout)
    s.layout_ = layout
    s._fit_dtype = np.dtype(X.dtype)
    s._fit_scaler(np.asarray(X), layout)
    Xs = torch.as_tensor(s._scale(np.asarray(X)))
    bins = s._numeric_bins()
    num = torch.as_tensor(layout.numeric_indices)
    blocks = [(b.start, b.stop) for b in layout.onehot_blocks]
    cols = [Xs[:, a:b].argmax(1) for a, b in blocks]
    cards = [b - a for a, b in blocks]
    binidx = _bin_of(Xs[:, num], bins)
    nb = bins.valid.sum(1).tolist()
    cols += [binidx[:, j] for j in range(len(nb))]
    cards += [int(c) for c in nb]
    tokens = torch.stack(cols, 1)
    classes, yi = np.unique(y, return_inverse=True)
    K = len(classes)
    yt = torch.as_tensor(yi)
    print(f"{len(cards)} columns, {sum(cards)} outputs, classes {list(classes)}")
    model = MADE(
        cards,
        K,
        tuple(int(h) for h in args.hidden.split(",")),
        seed=args.seed,
        scalar=len(blocks) if args.scalar else 0,
    )
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    counts = np.bincount(yi)
    w = (counts.astype(float) ** (1 - args.balance)) / counts
    pw = torch.as_tensor(w[yi] / w[yi].sum())
    eye = torch.eye(K)
    t0 = time.perf_counter()
    for it in range(args.iters):
        idx = torch.multinomial(pw, args.batch, replacement=True)
        loss = model.nll(tokens[idx], eye[yt[idx]]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 100 == 0 or it == args.iters - 1:
            print(f"  it {it} nll {loss.item():.2f}", flush=True)
    print(f"train {time.perf_counter() - t0:.1f} s")
    gen = torch.Generator().manual_seed(args.seed)
    model.eval()
    Xr = np.asarray(X)
    for c in CLASSES:
        ci = int(np.flatnonzero(classes == c)[0])
        t1 = time.perf_counter()
        tok = model.sample(eye[[ci] * 3000], gen, args.temperature)
        out = torch.zeros(3000, Xs.shape[1])
        for j, (a, _) in enumerate(blocks):
            out[torch.arange(3000), a + tok[:, j]] = 1.0
        k = tok[:, len(blocks) :]
        colsn = torch.arange(k.shape[1]).expand_as(k)
        lo, hi = bins.lower[colsn, k], bins.upper[colsn, k]
        out[:, num] = lo + torch.rand(lo.shape, generator=gen) * (hi - lo)
        S = s._to_output(s._snap(out).numpy())
        R = Xr[y == c]
        cov, _ = coverage_density(R, S, random_state=args.seed)
        print(
            f"  {c:6s} C2ST {c2st_auc(R, S, random_state=args.seed):.3f}  cov {cov:.3f}  "
            f"ratio {nn_distance_ratio(R, S, random_state=args.seed)[2]:.2f}  "
            f"copy {exact_copy_share(R, S):.3f}  (sample {time.perf_counter() - t1:.1f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
