"""The one markdown-table writer (UI metadata previews, the dataset card)."""

from __future__ import annotations

from typing import Any, Callable, Sequence


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]],
                   cell: Callable[[Any], str] = str) -> str:
    """A markdown table; `cell` turns each value into text, then pipes and line breaks are escaped."""
    def escaped(value: Any) -> str:
        return cell(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(escaped(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(escaped(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def preview_cell(value: Any) -> str:
    """A value as the UI's table previews show it: NULL, six significant digits, or its text."""
    return "NULL" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)
