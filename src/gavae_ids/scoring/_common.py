"""Scoring constants shared by its stages (chunk size, formats, reject-rate default)."""

from __future__ import annotations

DEFAULT_CHUNK_ROWS = 100_000
FORMATS = ("csv", "jsonl", "parquet")
EXTRA_COLUMNS = ("ignore", "error")
# The largest number of trailing fields that trailing_fields="auto" accepts: NSL-KDD has
# two (attack, difficulty), KDD Cup 99 one (label). Wider files need an explicit number.
AUTO_MAX_TRAILING = 2
# Clean files reject no rows (KDDTest+: 0 of 22,544), and a file read with the wrong
# layout or model rejects nearly all; 5 % leaves room for a few damaged lines in a
# capture while any systematic misreading stands out.
DEFAULT_MAX_REJECT_RATE = 0.05
_VOTE_LINES = 1000  # lines whose field counts decide trailing_fields="auto"
_VOTE_BYTES = 1 << 20  # ... read from at most this many leading bytes
_READ_BYTES = 1 << 22
_SEP = b","
_BOM = b"\xef\xbb\xbf"
_MAX_LOGGED_REJECTS = 5
