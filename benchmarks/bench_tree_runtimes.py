"""``bench_trees.py --runtimes``: native LightGBM / scikit-learn against compiled tree runtimes.

Each candidate is a function ``X -> probabilities``; one that is not installed or
fails to build prints one line saying why. See bench_trees.py for the protocol.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np


def _datasets(name: str, data_dir):
    """Raw training and test rows with the column roles."""
    if name == "nsl-kdd":
        from gavae_ids.datasets import load_nsl_kdd

        train = load_nsl_kdd("train20", data_home=data_dir)
        test = load_nsl_kdd("test", data_home=data_dir)
        return train, test, "train KDDTrain+_20Percent, test KDDTest+"
    from gavae_ids.datasets.unsw_nb15 import load_unsw_nb15

    b = load_unsw_nb15(data_home=data_dir)
    return b.train, b.test, b.protocol


def _onnx(model, kind: str, n_features: int):
    import onnxruntime as ort

    if kind == "lgbm":
        import onnxmltools
        from onnxmltools.convert.common.data_types import FloatTensorType

        # onnxmltools 1.16 refuses double inputs for LightGBM: float32 thresholds
        onx = onnxmltools.convert_lightgbm(
            model.booster_, initial_types=[("X", FloatTensorType([None, n_features]))],
            zipmap=False, target_opset=15)  # fmt: skip
        dtype = np.float32
    else:
        import skl2onnx
        from skl2onnx.common.data_types import DoubleTensorType
        from sklearn.ensemble import RandomForestClassifier

        plain = RandomForestClassifier()
        plain.__dict__.update(model.__dict__)
        plain.__dict__.pop("_compiled", None)
        onx = skl2onnx.convert_sklearn(
            plain, initial_types=[("X", DoubleTensorType([None, n_features]))],
            options={id(plain): {"zipmap": False}},
            target_opset={"": 17, "ai.onnx.ml": 3})  # fmt: skip
        dtype = np.float64
    sessions = {}

    def run(X, threads):
        if threads not in sessions:
            so = ort.SessionOptions()
            so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
            sessions[threads] = ort.InferenceSession(
                onx.SerializeToString(), so, providers=["CPUExecutionProvider"])  # fmt: skip
        # scikit-learn's trees compare float32 values: round the rows as it does
        rows = np.asarray(X, np.float32).astype(dtype)
        return sessions[threads].run(None, {"X": rows})[1]

    return run


def _lleaves(model, kind: str, folder: Path):
    if kind != "lgbm":
        raise NotImplementedError("LightGBM only")
    import lleaves

    f = folder / "lleaves.txt"
    model.booster_.save_model(str(f))
    m = lleaves.Model(model_file=str(f))
    m.compile(cache=str(folder / "lleaves.o"))
    return lambda X, threads: m.predict(X, n_jobs=threads).reshape(len(X), -1)


def _tl2cgen(model, kind: str, folder: Path):
    import tl2cgen
    import treelite

    if kind == "lgbm":
        tm = treelite.frontend.from_lightgbm(model.booster_)
    else:
        tm = treelite.sklearn.import_model(model)
    lib = folder / f"{kind}.so"
    tl2cgen.export_lib(tm, toolchain="gcc", libpath=str(lib), params={"parallel_comp": 2})
    predictors = {}

    def run(X, threads):
        p = predictors.setdefault(threads, tl2cgen.Predictor(str(lib), nthread=threads))
        rows = np.asarray(X, np.float32).astype(np.float64) if kind == "rf" else X
        return p.predict(tl2cgen.DMatrix(rows, dtype="float64")).reshape(len(X), -1)

    return run


def _candidates(model, kind: str, n_features: int, folder: Path, skip=()) -> dict:
    cands = {"native": lambda X, threads: (model.set_params(n_jobs=threads),
                                           model._native_proba(X))[1]}  # fmt: skip
    compiled = getattr(model, "compiled_", None) or getattr(model, "_compiled", None)
    if compiled is not None:
        cands["compiled (numba)"] = lambda X, threads: compiled.predict_proba(
            np.asarray(X, np.float32) if compiled.float32_inputs else X, threads)  # fmt: skip
    for name, make in (("onnxruntime", lambda: _onnx(model, kind, n_features)),
                       ("lleaves", lambda: _lleaves(model, kind, folder)),
                       ("tl2cgen (gcc)", lambda: _tl2cgen(model, kind, folder))):  # fmt: skip
        if any(name.startswith(s) for s in skip):
            continue
        t = time.perf_counter()
        try:
            cands[name] = make()
            print(f"  {kind} {name}: built in {time.perf_counter() - t:.1f} s")
        except Exception as e:  # noqa: BLE001 (report any failure as a line)
            print(f"  {kind} {name}: not measured ({type(e).__name__}: {str(e)[:160]})")
    return cands


def compare_runtimes(args) -> None:
    from gavae_ids.classifiers import LightGBMClassifier
    from gavae_ids.classifiers.trees import RFClassifier
    from gavae_ids.preprocessing import fit_preprocessing

    train, test, protocol = _datasets(args.dataset, args.data_dir)
    _, _, pre, _ = fit_preprocessing(train.X, train.y, categorical=train.categorical)
    X, y, X_test = pre.transform(train.X), train.y.to_numpy(), pre.transform(test.X)
    tiled = np.tile(X_test, (int(np.ceil(args.rows / len(X_test))), 1))[: args.rows]
    print(f"{protocol}; {X.shape[1]} encoded features; exactness on the {len(X_test):,} test "
          f"rows, rows/s on {len(tiled):,} (test rows tiled), best of {args.repeats}, "
          f"interleaved; {os.cpu_count()} CPUs")  # fmt: skip
    models = {"lgbm": LightGBMClassifier(random_state=args.seed),
              "rf": RFClassifier(n_estimators=100, random_state=args.seed)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_trees_") as tmp:
        for kind, model in models.items():
            folder = Path(tmp) / kind
            model.fit(X, y).save(folder)
            model = type(model).load(folder)
            cands = _candidates(model, kind, X.shape[1], folder, args.skip)
            ref = model._native_proba(X_test)
            exact = {}
            for n, f in list(cands.items()):
                try:
                    p = np.asarray(f(X_test, 1))
                except Exception as e:  # noqa: BLE001 (report any failure as a line)
                    print(f"  {kind} {n}: predict failed ({type(e).__name__}: {str(e)[:160]})")
                    del cands[n]
                    continue
                exact[n] = ((p.argmax(1) == ref.argmax(1)).mean(), np.abs(p - ref).max())
            rates = {(n, t): 0.0 for n in cands for t in (1, 2)}
            for _ in range(args.repeats):
                for n, t in rates:
                    start = time.perf_counter()
                    cands[n](tiled, t)
                    rates[n, t] = max(rates[n, t], len(tiled) / (time.perf_counter() - start))
            print(f"\n| {kind} runtime | argmax = native | max abs. prob. diff. | rows/s 1 thr "
                  f"| rows/s 2 thr |\n|---|---:|---:|---:|---:|")  # fmt: skip
            for n in cands:
                print(f"| {n} | {100 * exact[n][0]:.4f} % | {exact[n][1]:.2e} | "
                      f"{rates[n, 1]:,.0f} | {rates[n, 2]:,.0f} |", flush=True)  # fmt: skip
