"""MkDocs hook: the CLI reference, generated from the Typer app at build time.

``docs/reference/cli.md`` holds the marker below; this hook replaces it with every
command of ``gavae_ids.cli.app``, walking the click command tree that
``typer.main.get_command`` builds: each command's usage line, help text and
parameters (each parameter's help record, as ``gavae-ids COMMAND --help`` prints it).
Nothing in it is written by hand, so the page cannot drift from the command line.
"""

from __future__ import annotations

import inspect

MARKER = "<!-- cli-reference -->"


def _cell(text: str) -> str:
    """Text for a Markdown table cell: escape pipes and angle brackets, one line."""
    return " ".join(text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").split())


def _help_text(text: str | None) -> str:
    """Click help text as Markdown paragraphs (a ``\\b`` block stays as it is written)."""
    if not text:
        return ""
    paras = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines = para.splitlines()
        if lines and lines[0].strip() == "\b":
            paras.append("```text\n" + "\n".join(lines[1:]) + "\n```")
        else:
            paras.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paras)


def _render(cmd, path: list[str], parent_ctx=None) -> list[str]:
    ctx = cmd.context_class(cmd, info_name=path[-1], parent=parent_ctx)
    title = " ".join(path)
    out = [f"{'#' * min(len(path) + 1, 4)} `{title}`", ""]
    usage = " ".join(cmd.collect_usage_pieces(ctx))
    out += ["```text", f"{title} {usage}".rstrip(), "```", ""]
    text = _help_text(cmd.help)
    if text:
        out += [text, ""]
    rows = []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        record = p.get_help_record(ctx)
        if record is None:
            continue
        names, help_s = record
        rows.append(f"| `{_cell(names).replace('&lt;', '<').replace('&gt;', '>')}` "
                    f"| {_cell(help_s)} |")  # fmt: skip
    if rows:
        out += ["| parameter | description |", "|---|---|", *rows, ""]
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                out += _render(sub, [*path, name], ctx)
    return out


def cli_markdown() -> str:
    """The reference of every ``gavae-ids`` command, as Markdown."""
    import typer

    from gavae_ids.cli import app

    return "\n".join(_render(typer.main.get_command(app), ["gavae-ids"]))


def on_page_markdown(markdown, page, config, files):  # noqa: ARG001 (mkdocs hook signature)
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_markdown())
