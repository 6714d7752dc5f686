"""A synthetic IoT telemetry table where exact sensor values, not smooth shapes, tell classes apart.

Four integer sensor columns (``temperature``, ``humidity``, ``pressure``,
``light``), a ``date``/``time`` pair and a binary ``label`` that a detector must
not read, and the class column ``type`` with six imbalanced classes, in the
spirit of the ToN_IoT telemetry tables the issue (#13) was filed on:

* ``normal``: smooth sensor noise around a daily cycle;
* ``ddos``: ``pressure`` stuck at exactly 1000 or 1020 (normal rows pass through
  those values too, rarely), the rest normal;
* ``password``: ``humidity`` at its end stops 0 or 100;
* ``injection``: ``light`` a multiple of 250 (normal light is any integer);
* ``scanning``: ``temperature`` an odd number above 30 and ``light`` below 20;
* ``ransomware``: every sensor replays one frozen reading (±1 on one sensor).

``--noise`` of each attack class is drawn like normal traffic (indistinguishable
by design), so no detector can reach 100 %. Fixed seed: the same file every time.
Writes ``iot_full.csv`` and a stratified 70/30 split ``iot_train.csv`` /
``iot_test.csv`` (seed 0), as in the issue's report::

    python benchmarks/iot_table.py --out runs/iot

``--kind overlap`` writes a second table (same files, same split) where classes
overlap as sensor readings overlap (issue #26): three continuous readings
(``temperature``, ``humidity``, ``pressure``, two decimals) and eight classes
with shares from 38 % down to 1.4 %. Every attack class is normal traffic
shifted and stretched (see ``OVERLAP``), so each overlaps normal traffic and
its neighbours substantially and no class is perfectly separable::

    python benchmarks/iot_table.py --kind overlap --out runs/iot-overlap
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

SEP = 3.7  # normal standard deviations an overlap-table attack is shifted: RF ~0.9 macro-F1
SHARES = {"normal": 0.62, "ddos": 0.13, "password": 0.10, "injection": 0.08,
          "scanning": 0.05, "ransomware": 0.02}  # fmt: skip


def normal_rows(n: int, rng: np.random.RandomState) -> pd.DataFrame:
    hour = rng.randint(0, 24, n)
    cycle = np.sin((hour - 6) / 24 * 2 * np.pi)
    return pd.DataFrame({
        "temperature": np.clip(np.round(22 + 6 * cycle + rng.normal(0, 3, n)), -5, 45),
        "humidity": np.clip(np.round(55 - 10 * cycle + rng.normal(0, 12, n)), 0, 100),
        "pressure": np.round(1010 + rng.normal(0, 6, n)),
        "light": np.clip(np.round(400 + 350 * cycle + rng.normal(0, 120, n)), 0, 1000),
        "hour": hour,
    }).astype(int)  # fmt: skip


READINGS = ["temperature", "humidity", "pressure"]
# class: (share, shift of each reading in normal standard deviations, stretch)
OVERLAP = {
    "normal": (0.380, (0.0, 0.0, 0.0), 1.0),
    "ddos": (0.200, (SEP, 0.0, 0.0), 1.2),
    "password": (0.140, (0.0, SEP, 0.0), 0.8),
    "injection": (0.100, (0.0, 0.0, SEP), 1.3),
    "scanning": (0.080, (-SEP, 0.0, 0.0), 0.7),
    "backdoor": (0.050, (0.0, -SEP, 0.0), 1.5),
    "xss": (0.036, (0.0, 0.0, -SEP), 0.9),
    "ransomware": (0.014, (SEP, SEP, 0.0), 0.6),
}  # fmt: skip


def make_overlap_table(rows: int = 25_000, seed: int = 0) -> pd.DataFrame:
    """Eight classes whose readings overlap: attacks are shifted, stretched normal readings."""
    rng = np.random.RandomState(seed)
    mean, sd = np.array([22.0, 55.0, 1010.0]), np.array([3.0, 8.0, 4.0])
    parts = []
    for cls, (share, shift, stretch) in OVERLAP.items():
        n = int(round(share * rows))
        z = rng.normal(0.0, stretch, (n, 3)) + np.array(shift)
        df = pd.DataFrame(np.round(mean + sd * z, 2), columns=READINGS)
        df["hour"], df["type"] = rng.randint(0, 24, n), cls
        parts.append(df)
    df = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=rng)
    df.insert(0, "date", [f"2019-04-{d:02d}" for d in rng.randint(1, 29, len(df))])
    minute = rng.randint(0, 60, len(df))
    df.insert(1, "time", [f"{h:02d}:{m:02d}:00" for h, m in zip(df["hour"], minute, strict=True)])
    df["label"] = (df["type"] != "normal").astype(int)
    return df.drop(columns="hour").reset_index(drop=True)


def make_table(rows: int = 25_000, seed: int = 0, noise: float = 0.05) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    counts = {c: int(round(s * rows)) for c, s in SHARES.items()}
    parts = []
    for cls, n in counts.items():
        df = normal_rows(n, rng)
        if cls != "normal":
            hit = rng.rand(n) >= noise  # the rest look exactly like normal traffic
            k = int(hit.sum())
            if cls == "ddos":
                df.loc[hit, "pressure"] = rng.choice([1000, 1020], k)
            elif cls == "password":
                df.loc[hit, "humidity"] = rng.choice([0, 100], k)
            elif cls == "injection":
                df.loc[hit, "light"] = 250 * rng.randint(0, 5, k)
            elif cls == "scanning":
                df.loc[hit, "temperature"] = 31 + 2 * rng.randint(0, 7, k)
                df.loc[hit, "light"] = rng.randint(0, 20, k)
            elif cls == "ransomware":
                frozen = np.array([19, 63, 1008, 512])
                vals = np.tile(frozen, (k, 1))
                vals[np.arange(k), rng.randint(0, 4, k)] += rng.choice([-1, 1], k)
                df.loc[hit, ["temperature", "humidity", "pressure", "light"]] = vals
        df["type"] = cls
        parts.append(df)
    df = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=rng)
    day = rng.randint(1, 29, len(df))
    df.insert(0, "date", [f"2019-04-{d:02d}" for d in day])
    minute = rng.randint(0, 60, len(df))
    df.insert(1, "time", [f"{h:02d}:{m:02d}:00" for h, m in zip(df["hour"], minute, strict=True)])
    df["label"] = (df["type"] != "normal").astype(int)
    return df.drop(columns="hour").reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("runs/iot"))
    ap.add_argument("--rows", type=int, default=25_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--kind", choices=["exact", "overlap"], default="exact",
                    help="exact: sensor values decide the class (default); "
                         "overlap: 8 continuous, overlapping classes (--noise unused)")  # fmt: skip
    args = ap.parse_args()
    if args.kind == "overlap":
        df = make_overlap_table(args.rows, args.seed)
    else:
        df = make_table(args.rows, args.seed, args.noise)
    args.out.mkdir(parents=True, exist_ok=True)
    train, test = train_test_split(df, test_size=0.3, stratify=df["type"], random_state=0)
    df.to_csv(args.out / "iot_full.csv", index=False)
    train.to_csv(args.out / "iot_train.csv", index=False)
    test.to_csv(args.out / "iot_test.csv", index=False)
    print(f"wrote {args.out}: {len(df):,} rows ({len(train):,} train / {len(test):,} test); "
          f"classes {df['type'].value_counts().to_dict()}")  # fmt: skip


if __name__ == "__main__":
    main()
