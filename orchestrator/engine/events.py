"""Progress from Pulumi engine events: a live status line on a TTY, plain lines otherwise (CI).

Only operations, resource types and names, durations and diagnostics are shown. Resource
inputs and outputs are never read, so no secret value reaches the terminal from here.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi.automation import EngineEvent

    from orchestrator.ui import UI

DOING = {
    "create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing",
    "create-replacement": "creating replacement", "delete-replaced": "deleting replaced", "read": "reading",
    "read-replacement": "reading replacement", "refresh": "refreshing", "discard": "forgetting",
    "discard-replaced": "forgetting replaced", "import": "importing", "import-replacement": "importing replacement",
    "remove-pending-replace": "clearing pending replace",
}
DONE = {
    "create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
    "create-replacement": "created replacement", "delete-replaced": "deleted replaced", "read": "read",
    "read-replacement": "read replacement", "refresh": "refreshed", "discard": "forgot",
    "discard-replaced": "forgot replaced", "import": "imported", "import-replacement": "imported replacement",
    "remove-pending-replace": "cleared pending replace",
}
PLANNED = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "++",
           "delete-replaced": "--", "import": "=", "import-replacement": "=>", "read": ">", "refresh": "~"}
_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Line:
    text: str
    level: str = "info"
    """info | step (in progress) | done | warn | error"""


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def clean(message: str) -> str:
    """One line of a diagnostic, without Pulumi's colour tags or ANSI codes."""
    return " ".join(_COLOR_TAG.sub("", message).split())


def _op(value: Any) -> str:
    return str(getattr(value, "value", value))


def changes_text(changes: Mapping[Any, int] | None, *, planned: bool) -> str:
    counts = {_op(k): v for k, v in (changes or {}).items() if v}
    same = counts.pop("same", 0)
    words = DOING if planned else DONE
    parts = [f"{n} {'to ' + op if planned else words.get(op, op)}" for op, n in sorted(counts.items())]
    if same:
        parts.append(f"{same} unchanged")
    return ", ".join(parts) or "no resources"


def has_changes(changes: Mapping[Any, int] | None) -> bool:
    return any(v for k, v in (changes or {}).items() if _op(k) != "same")


@dataclass
class Tracker:
    """Turns events into `Line`s and remembers what the caller reports at the end."""

    preview: bool = False
    started: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    summary: Mapping[Any, int] | None = None

    def describe(self, event: EngineEvent) -> Line | None:
        if event.resource_pre_event is not None:
            meta = event.resource_pre_event.metadata
            op = _op(meta.op)
            if op == "same" or meta.type == "pulumi:pulumi:Stack":
                return None
            if self.preview:
                return Line(f"{PLANNED.get(op, op)} {op} {meta.type} {resource_name(meta.urn)}")
            self.started[meta.urn] = time.monotonic()
            return Line(f"{DOING.get(op, op)} {meta.type} {resource_name(meta.urn)}", "step")
        if event.res_outputs_event is not None:
            meta = event.res_outputs_event.metadata
            op = _op(meta.op)
            if self.preview or op == "same" or meta.type == "pulumi:pulumi:Stack":
                return None
            took = _duration(time.monotonic() - self.started.pop(meta.urn, time.monotonic()))
            took = f" ({took})" if took else ""
            return Line(f"{DONE.get(op, op)} {meta.type} {resource_name(meta.urn)}{took}", "done")
        if event.res_op_failed_event is not None:
            meta = event.res_op_failed_event.metadata
            self.started.pop(meta.urn, None)
            return Line(f"failed to {_op(meta.op)} {meta.type} {resource_name(meta.urn)}", "error")
        if event.diagnostic_event is not None:
            return self._diagnostic(event.diagnostic_event)
        if event.summary_event is not None:
            self.summary = event.summary_event.resource_changes
            took = "" if self.preview else _duration(event.summary_event.duration_seconds)
            head = "plan" if self.preview else f"done in {took}" if took else "done"
            return Line(f"{head}: {changes_text(self.summary, planned=self.preview)}")
        return None

    def _diagnostic(self, diag: Any) -> Line | None:
        text = clean(diag.message)
        if not text or diag.ephemeral:
            return None
        where = f"{resource_name(diag.urn)}: " if diag.urn and not diag.urn.endswith("pulumi:pulumi:Stack") else ""
        if diag.severity == "error":
            self.errors.append(where + text)
            return Line(where + text, "error")
        if diag.severity == "warning":
            return Line(where + text, "warn")
        return Line(where + text)


def _duration(seconds: float) -> str:
    """`12s`, `3m04s`, or empty under a second."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s" if secs else ""


class Progress:
    """The `on_event` callback for Stack.up/preview/destroy/refresh; use it as a context manager."""

    def __init__(self, ui: UI, title: str, *, preview: bool = False) -> None:
        self.ui = ui
        self.title = title
        self.tracker = Tracker(preview=preview)
        self._lock = threading.Lock()
        self._live: Any = None
        self._console: Any = None
        self._active: dict[str, str] = {}

    @property
    def errors(self) -> list[str]:
        return self.tracker.errors

    def __enter__(self) -> Progress:
        if self.ui.color and not self.ui.quiet:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
            self._live = self._console.status(self.title)
            self._live.start()
        else:
            self.ui.step(self.title)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            line = self.tracker.describe(event)
            if line is None:
                return
            if self._live is not None:
                self._show_live(event, line)
            else:
                self._show_plain(line)

    def _show_live(self, event: EngineEvent, line: Line) -> None:
        from rich.markup import escape

        urn = _urn(event)
        if line.level == "step" and urn:
            self._active[urn] = line.text
        else:
            if urn:
                self._active.pop(urn, None)
            style = {"done": "green", "warn": "yellow", "error": "bold red"}.get(line.level)
            prefix = {"done": "✓ ", "warn": "warning: ", "error": "error: "}.get(line.level, "")
            self._console.print(escape(prefix + line.text), style=style)
        running = list(self._active.values())
        status = running[-1] if running else self.title
        more = f" (+{len(running) - 1} more)" if len(running) > 1 else ""
        self._live.update(escape(status + more))

    def _show_plain(self, line: Line) -> None:
        if line.level == "warn":
            self.ui.warn(line.text)
        elif line.level == "error":
            self.ui.error(line.text)
        elif not self.ui.quiet:
            print(("  " if line.level in ("step", "done") else "") + line.text, file=sys.stderr, flush=True)


def _urn(event: EngineEvent) -> str | None:
    for part in (event.resource_pre_event, event.res_outputs_event, event.res_op_failed_event):
        if part is not None:
            return part.metadata.urn
    return None
