"""The shape of the package: no import cycles, a thin top level, and the old module paths
(and bundles saved before the move) still working."""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gavae_ids._util.moved import MOVED, current_path
from gavae_ids.classifiers import loadable_class
from gavae_ids.detection.detector import Detector

OLD_BUNDLE = Path(__file__).parent / "data" / "old_bundle_0e01b98"


def _graph():
    grimp = pytest.importorskip("grimp")
    return grimp.build_graph("gavae_ids")  # imports inside functions count too


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_import_graph_has_no_cycles():
    assert _cycles(_graph()) == []


def test_the_top_level_is_a_face_and_module_names_are_not_reused():
    graph = _graph()
    top = {m for m in graph.modules if m.count(".") == 1}
    files = sorted(m for m in top if not graph.find_children(m))
    assert files == ["gavae_ids._version", "gavae_ids.exceptions"]
    public = [m for m in graph.modules if not m.startswith("gavae_ids.cli")
              and not any(p.startswith("_") for p in m.split(".")[1:])]  # fmt: skip
    names = [m.rsplit(".", 1)[-1] for m in public if graph.find_children(m) == set()]
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_imports_the_new_module_with_a_warning(old):
    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {MOVED[old]}"):
        mod = importlib.import_module(old)
    assert mod is new
    assert mod.__spec__.name == MOVED[old]  # the new module keeps its own spec


def test_old_import_statements_of_the_readme_still_work():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from gavae_ids.detector import Detector as OldDetector
        from gavae_ids.scoring_jobs import score_files
        from gavae_ids.training_api import train_detector
    from gavae_ids import Detector as FaceDetector
    from gavae_ids.detection.train import train_detector as new_train
    from gavae_ids.scoring.jobs import score_files as new_score_files

    assert OldDetector is Detector is FaceDetector
    assert (train_detector, score_files) == (new_train, new_score_files)


def test_saved_class_paths_from_before_the_move_resolve_through_the_same_table():
    assert (
        current_path("gavae_ids.scoring_jobs.ScoreOptions") == "gavae_ids.scoring.jobs.ScoreOptions"
    )
    assert current_path("gavae_ids.classifiers.dnn.DNNClassifier") == (
        "gavae_ids.classifiers.dnn.DNNClassifier"
    )
    dnn = loadable_class("gavae_ids.classifiers.dnn.DNNClassifier")
    assert dnn is loadable_class("DNNClassifier")


def test_a_bundle_written_before_the_move_loads_and_scores_as_it_did():
    """tests/data/old_bundle_0e01b98 was written by the code at commit 0e01b98 (flat
    top level) with its make_bundle.py; expected.json holds what that code scored."""
    expected = json.loads((OLD_BUNDLE / "expected.json").read_text())
    rows = pd.read_csv(OLD_BUNDLE / "rows.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # no old module path is needed
        det = Detector.load(OLD_BUNDLE / "bundle")
    assert type(det.classifier).__name__ == "DNNClassifier"
    assert type(det.classifier.sampler).__name__ == "GAVAESampler"  # rebuilt from its path
    assert det.sampler is not None and det.novelty_ is not None
    assert list(det.classes_) == expected["classes"]
    np.testing.assert_allclose(det.predict_proba(rows), expected["proba"], rtol=1e-5, atol=1e-6)
    assert list(det.predict(rows)) == expected["predict"]
    assert list(det.novel(rows)) == expected["novel"]
