"""Write a tiny detector bundle with the code at 0e01b98 (before the package moved)."""

import json
import sys
from pathlib import Path

import numpy as np
import torch
from gavae_ids.detector import Detector

from gavae_ids.classifiers import DNNClassifier
from gavae_ids.datasets import load_nsl_kdd
from gavae_ids.preprocessing import TabularPreprocessor
from gavae_ids.sampling import GAVAESampler

torch.set_num_threads(1)
out = Path(sys.argv[1])
train = load_nsl_kdd("train20")
rng = np.random.RandomState(0)
y_all = train.y.to_numpy()
idx = np.sort(
    np.concatenate(
        [
            rng.choice(np.flatnonzero(y_all == c), min(15, (y_all == c).sum()), replace=False)
            for c in np.unique(y_all)
        ]
    )
)
X = train.X.iloc[idx].reset_index(drop=True)
y = train.y.iloc[idx].reset_index(drop=True)
pre = TabularPreprocessor(categorical=train.categorical).fit(X)
Xt, yy = pre.transform(X), y.to_numpy()
gavae = GAVAESampler(
    layout=pre.layout_,
    n_iter=30,
    batch_size=64,
    hidden=(16, 8),
    latent_dim=3,
    # the paper's configuration (MLP decoder, Bernoulli numbers, decoder means, z ~ N(0, I)),
    # which 0.2's sampler file format 2 can express
    decoder="mlp",
    numeric_output="bernoulli",
    decode="mean",
    latent_prior="standard",
    manifold_k=None,
    device="cpu",
    random_state=0,
    sampling_strategy={},
)
clf = DNNClassifier(
    hidden=(16,),
    epochs=3,
    lr=1e-2,
    validation_fraction=0.2,
    device="cpu",
    random_state=0,
    sampler=gavae,
).fit(Xt, yy)
det = Detector(
    pre,
    clf,
    normal_label="Normal",
    method="dnn",
    sampler=clf.sampler_,
    info={"note": "fixture written by gavae-ids at commit 0e01b98"},
)
det.fit_novelty(X, y, quantile=0.9)
det.save(out / "bundle", overwrite=True)
test = load_nsl_kdd("test", train_split="train20")
rows = np.random.RandomState(1).choice(len(test.y), 25, replace=False)
Xs = test.X.iloc[np.sort(rows)].reset_index(drop=True)
Xs.to_csv(out / "rows.csv", index=False)
again = Detector.load(out / "bundle")
proba = again.predict_proba(Xs)
assert np.allclose(proba, det.predict_proba(Xs))
expected = {
    "classes": [str(c) for c in again.classes_],
    "proba": proba.tolist(),
    "predict": [str(p) for p in again.predict(Xs)],
    "novel": [bool(v) for v in again.novel(Xs)],
}
(out / "expected.json").write_text(json.dumps(expected, indent=1))
print("ok", sum(expected["novel"]), expected["predict"][:5])
