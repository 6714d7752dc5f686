"""Where modules moved: old dotted module path → new one.

The one table behind both ways an old path keeps working: ``import`` of an old
module name (:class:`MovedModuleFinder`, installed by ``gavae_ids/__init__.py``; it
warns with a :class:`DeprecationWarning` and hands out the module at its new place,
so no shim file is left at the old one) and dotted class paths that saved files
recorded before the move (:func:`current_path`, used by the allow-list of loadable
classes in :mod:`gavae_ids.classifiers.registry`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings

#: Old module → new module (issue #27 grouped the flat top level into job folders).
MOVED: dict[str, str] = {
    "gavae_ids._documents": "gavae_ids._util.documents",
    "gavae_ids._hashing": "gavae_ids._util.hashing",
    "gavae_ids._progress": "gavae_ids._util.progress",
    "gavae_ids._torch": "gavae_ids._util.torch_helpers",
    "gavae_ids._validate": "gavae_ids._util.validate",
    "gavae_ids.persistence": "gavae_ids._util.persistence",
    "gavae_ids.detector": "gavae_ids.detection.detector",
    "gavae_ids.bundle": "gavae_ids.detection.bundle",
    "gavae_ids.model_card": "gavae_ids.detection.model_card",
    "gavae_ids.novelty": "gavae_ids.detection.novelty",
    "gavae_ids.auto": "gavae_ids.detection.auto",
    "gavae_ids.pipeline": "gavae_ids.detection.pipeline",
    "gavae_ids.methods": "gavae_ids.detection.methods",
    "gavae_ids.training_api": "gavae_ids.detection.train",
    "gavae_ids.scoring_parquet": "gavae_ids.scoring.parquet",
    "gavae_ids.scoring_jobs": "gavae_ids.scoring.jobs",
    "gavae_ids.scoring_dask": "gavae_ids.scoring.dask_cluster",
    "gavae_ids.reproduce": "gavae_ids.experiments.reproduce",
    "gavae_ids.run_outputs": "gavae_ids.experiments.run_outputs",
    "gavae_ids.protocol_notes": "gavae_ids.experiments.protocol_notes",
    "gavae_ids.merge": "gavae_ids.experiments.merge",
    "gavae_ids.tuning": "gavae_ids.experiments.tuning",
    "gavae_ids.summary": "gavae_ids.experiments.summary",
    "gavae_ids.fidelity": "gavae_ids.experiments.fidelity_runs",
    "gavae_ids.preprocessing.pipeline": "gavae_ids.preprocessing.fit",
}


def current_path(dotted: str) -> str:
    """``dotted`` (a module or ``module.Class`` path) with a moved module's old name replaced
    by its new one; other paths come back unchanged."""
    module = dotted
    while module:
        if module in MOVED:
            return MOVED[module] + dotted[len(module) :]
        module = module.rpartition(".")[0]
    return dotted


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module name of :data:`MOVED` as its new module, with a warning.

    ``import gavae_ids.detector`` gives the very module object of
    ``gavae_ids.detection.detector`` (``sys.modules`` holds it under both names), so
    classes, ``isinstance`` checks and monkeypatching behave as before.
    """

    def __init__(self):
        self._own_specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there (the old name goes away in a "
            "later release)",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(new)
        self._own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the old name's spec on the module; give it back its own.
        module.__spec__ = self._own_specs.pop(module.__spec__.name)


def install() -> None:
    """Put one :class:`MovedModuleFinder` at the end of ``sys.meta_path`` (real modules win)."""
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
