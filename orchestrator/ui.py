"""Human output on stderr (colour only on a TTY and never with NO_COLOR); documents on stdout."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from functools import cached_property
from typing import Any


class UI:
    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet

    @property
    def color(self) -> bool:
        return sys.stderr.isatty() and "NO_COLOR" not in os.environ

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and os.environ.get("CI", "").lower() not in ("1", "true")

    @cached_property
    def _console(self):
        from rich.console import Console

        return Console(stderr=True, no_color=not self.color, highlight=False, soft_wrap=True, emoji=False)

    def _print(self, text: str, style: str | None = None) -> None:
        if self.color:
            from rich.markup import escape

            self._console.print(escape(text), style=style)
        else:
            print(text, file=sys.stderr, flush=True)

    def info(self, text: str) -> None:
        if not self.quiet:
            self._print(text)

    def text(self, block: str) -> None:
        """A block of plain lines (a diff, a report), printed as is."""
        if not self.quiet and block:
            print(block.rstrip("\n"), file=sys.stderr, flush=True)

    def step(self, text: str) -> None:
        if not self.quiet:
            self._print(f"• {text}", "cyan")

    def success(self, text: str) -> None:
        self._print(f"✓ {text}", "green")

    def warn(self, text: str) -> None:
        self._print(f"warning: {text}", "yellow")

    def error(self, text: str) -> None:
        self._print(f"error: {text}", "bold red")

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.color:
            from rich.table import Table

            table = Table(title=title)
            for col in columns:
                table.add_column(col, overflow="fold")  # long names wrap inside their cell, never cut with "…"
            for row in rows:
                table.add_row(*(str(c) for c in row))
            self._console.print(table, soft_wrap=False)
            return
        widths = [
            max([len(str(c)) for c in col] + [len(h)])
            for h, col in zip(columns, zip(*rows, strict=False), strict=False)
        ]
        widths = widths or [len(c) for c in columns]
        lines = [title, "  ".join(h.ljust(w) for h, w in zip(columns, widths, strict=False))]
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
        print("\n".join(lines), file=sys.stderr, flush=True)

    @staticmethod
    def document(doc: Any) -> None:
        """A machine-readable document on stdout."""
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        sys.stdout.flush()

    def confirm(self, question: str) -> bool:
        import click

        return click.confirm(question, default=False, err=True)
