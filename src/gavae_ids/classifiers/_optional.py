"""Optional packages of the tree models (skops, LightGBM): import one or name the extra
that installs it, and warn when a saved model was written with another version of it."""

from __future__ import annotations

import importlib
import importlib.util

from gavae_ids._util.persistence import warn_other_version

#: How to install what tree models need, named in every "missing package" message.
TREES_EXTRA = "pip install 'gavae-ids[trees]'"


def _require(module: str, what: str, error: type[Exception] = ImportError):
    """Import ``module`` of an optional package, or raise ``error`` naming the extra."""
    package = module.split(".")[0]
    if importlib.util.find_spec(package) is None:
        raise error(f"{what} needs the optional package {package!r}: {TREES_EXTRA}")
    return importlib.import_module(module)


def _version(module: str) -> str:
    return str(getattr(importlib.import_module(module), "__version__", "?"))


def _warn_other_version(path, meta: dict, module: str) -> None:
    """Warn when the model at ``path`` was saved with another version of ``module`` (see
    :func:`gavae_ids._util.persistence.warn_other_version`: one bundle, one warning)."""
    saved, running = str((meta.get("versions") or {}).get(module, "?")), _version(module)
    message = f"written with {module} {saved}, read with {running}; predictions may differ slightly"
    warn_other_version(path, module, saved, running, message, stacklevel=3)
