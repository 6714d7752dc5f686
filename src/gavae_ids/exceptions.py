"""The project's own exception types.

Library code raises these; only the CLI turns them into an exit code and one
readable line. Every message names the file, row or column at fault.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError


class GavaeIdsError(Exception):
    """Base class of every error this package raises on purpose."""


class DataError(GavaeIdsError, ValueError):
    """A data file or table is missing, malformed or holds bad values.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str or path-like, optional
        The file concerned.
    row : int, optional
        1-based line number in the file (header counts as a line when present).
    column : str, optional
        The column concerned.
    """

    def __init__(self, message: str, *, path=None, row=None, column=None):
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A dataset file is not in the data directory."""


class DownloadError(DataError):
    """A dataset file could not be fetched from any source, or no copy passed its checks.

    ``results`` holds what happened to every file of the same request
    (:class:`gavae_ids.datasets.FetchResult`), the ones that did arrive included.
    """

    def __init__(self, message: str, *, results=()):
        super().__init__(message)
        self.results = list(results)


class ModelFileError(GavaeIdsError):
    """A saved model or bundle is missing, truncated, tampered with or incompatible."""


class NotFittedError(GavaeIdsError, _SklearnNotFittedError):
    """An object was used before ``fit`` (also scikit-learn's, so its tooling recognises it)."""


class EncoderMismatchError(GavaeIdsError, ValueError):
    """The encoder weights do not fit the classifier's hidden layers (names or shapes)."""


class MissingExtraError(GavaeIdsError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require_extra(module: str, extra: str, what: str):
    """Import and return ``module``, or raise :class:`MissingExtraError` naming ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{what} needs the optional package {module.split('.')[0]!r}: "
            f"pip install 'gavae-ids[{extra}]'"
        ) from None
