"""Zeek log header directives and column types (see :mod:`gavae_ids.datasets.zeek`)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

#: The fields and types of Zeek's standard ``conn.log`` (used for JSON logs, which carry none).
CONN_LOG_TYPES = {
    "ts": "time", "uid": "string", "id.orig_h": "addr", "id.orig_p": "port",
    "id.resp_h": "addr", "id.resp_p": "port", "proto": "enum", "service": "string",
    "duration": "interval", "orig_bytes": "count", "resp_bytes": "count",
    "conn_state": "string", "local_orig": "bool", "local_resp": "bool",
    "missed_bytes": "count", "history": "string", "orig_pkts": "count",
    "orig_ip_bytes": "count", "resp_pkts": "count", "resp_ip_bytes": "count",
    "tunnel_parents": "set[string]", "label": "string", "detailed-label": "string",
}  # fmt: skip
#: Columns that identify a flow: copied to the scored output, never features by default.
IDENTIFIERS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "tunnel_parents")
#: The label columns of IoT-23 / CTU-13 ``conn.log.labeled``: never features.
LABEL_COLUMNS = ("label", "detailed-label")
NUMERIC_TYPES = frozenset({"count", "int", "double", "interval", "time", "port"})
_NOT_FEATURE_TYPES = ("addr", "subnet", "set[", "vector[", "table[")


# -- header --------------------------------------------------------------------------------
@dataclass
class ZeekHeader:
    """The ``#`` directives in force for the data lines that follow them."""

    separator: str = "\t"
    set_separator: str = ","
    empty_field: str = "(empty)"
    unset_field: str = "-"
    path: str | None = None
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def apply(self, line: str) -> str:
        """Apply one ``#`` line; returns its directive name (``fields``, ``close``, …)."""
        if line.startswith("#separator"):
            value = line[len("#separator") :].strip()
            self.separator = codecs.decode(value, "unicode_escape") if value else "\t"
            return "separator"
        key, found, rest = line[1:].partition(self.separator)
        if not found:  # a directive written with spaces instead of the separator
            key, _, rest = line[1:].partition(" ")
        key = key.strip()
        entries = [e for part in rest.split(self.separator) for e in part.split()]
        if key in ("fields", "types"):  # lists of names; the other directives are one value
            setattr(self, key, entries)
        elif key in ("set_separator", "empty_field", "unset_field", "path"):
            setattr(self, key, rest)
        return key

    def type_of(self, column: str) -> str:
        """The declared Zeek type (a JSON log: the standard ``conn.log``'s, else ``""``)."""
        if column in self.fields and self.fields.index(column) < len(self.types):
            return self.types[self.fields.index(column)]
        return CONN_LOG_TYPES.get(column, "")


def is_numeric_type(zeek_type: str) -> bool:
    return zeek_type in NUMERIC_TYPES
