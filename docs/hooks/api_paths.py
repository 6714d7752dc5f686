"""MkDocs hook: document the top-level re-exports of ``gavae_ids`` where they live.

It also drops the Sphinx markup some docstrings carry — a role (``:class:``, ``:func:`` …)
in front of a code span, the ``~`` that shortens a dotted name — which Markdown would
otherwise print literally.

``gavae_ids`` exports ``Detector`` and ``GAVAESampler`` lazily (a module ``__getattr__``, so
importing the package does not import torch), which static analysis cannot follow. A page
may therefore write ``::: gavae_ids.Detector``; this hook imports the name and rewrites the
line to the object's defining module (``::: <module>.<qualname>``), so the page keeps
naming the stable top-level name wherever the class moves inside the package.
"""

from __future__ import annotations

import importlib
import re

_SPHINX_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):(?=<code>)")
_DIRECTIVE = re.compile(r"^(?P<indent>\s*):::\s+gavae_ids\.(?P<name>[A-Za-z_]\w*)\s*$", re.M)


def _resolve(match: re.Match) -> str:
    package = importlib.import_module("gavae_ids")
    name = match["name"]
    if name not in getattr(package, "__all__", ()):
        return match[0]  # a subpackage or a name griffe finds on its own
    obj = getattr(package, name)
    return f"{match['indent']}::: {obj.__module__}.{obj.__qualname__}"


def on_page_markdown(markdown, page, config, files):  # noqa: ARG001 (mkdocs hook signature)
    return _DIRECTIVE.sub(_resolve, markdown)


def on_page_content(html, page, config, files):  # noqa: ARG001 (mkdocs hook signature)
    return _SPHINX_ROLE.sub("", html).replace("<code>~", "<code>")
