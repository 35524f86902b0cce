"""The coloured (TTY) table wraps long cells inside an 80-column terminal instead of cutting them."""

from __future__ import annotations

import io

from rich.console import Console

from orchestrator.ui import UI


class TTYUI(UI):
    @property
    def color(self) -> bool:
        return True


def test_long_names_wrap_and_are_never_cut() -> None:
    ui = TTYUI()
    out = io.StringIO()
    ui.__dict__["_console"] = Console(file=out, width=80, no_color=True, highlight=False, emoji=False)
    name = "sql:a-very-long-database-name-that-a-real-app-really-has-" + "x" * 30
    detail = "connected as role orchestrator-app-role-with-a-long-name and read back the marker row"
    ui.table("verify local", ("resource", "check", "result", "detail"), [(name, "login", "ok", detail)])
    text = out.getvalue()
    assert "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    first_column = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.count("│") >= 2)
    assert name in first_column  # the whole name, wrapped over lines
