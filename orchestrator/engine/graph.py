"""The resource graph: a Plan's Pulumi program rendered under Pulumi's mocks (no CLI, no credentials).

Every registered resource becomes {"urn", "type", "name", "parent", "inputs", "options",
"dependencies"}; secret inputs become SECRET. The env's cloud answers the mocks (its `mocks`
part: realistic ids and outputs, so the stack outputs and the runtime config built from them look
like a real deployment's). Tests, policy checks and previews read this graph.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from providers.base import mock_id

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan

SECRET = "[secret]"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
PROJECT = "encore-orchestrator"
_STACK_PREFIX = "pulumi:pulumi:Stack$"


@dataclass
class Rendered:
    resources: list[dict[str, Any]]
    outputs: dict[str, Any]
    """Stack outputs, resolved."""
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def render(plan: Plan, *, app_root: Path | None = None) -> list[dict[str, Any]]:
    return render_full(plan, app_root=app_root).resources


def render_full(plan: Plan, *, app_root: Path | None = None, password: str | None = None) -> Rendered:
    """Run the program for `plan` under mocks; `password` is what generated passwords resolve to (a test canary)."""
    return contextvars.copy_context().run(_render, plan, app_root, password)


def to_json(resources: list[dict[str, Any]]) -> str:
    """Canonical JSON: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(resources, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _render(plan: Plan, app_root: Path | None, password: str | None) -> Rendered:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from orchestrator.engine import program
    from providers import registry

    runtime_settings.ROOT.set(None)
    mocks = _mocks_class()(registry.get(plan.env.cloud).part("mocks"), plan.env.region, password)
    monitor = _monitor_class()(mocks)
    warnings: list[str] = []
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=plan.env.name, preview=False, monitor=monitor, logger=_collector(warnings)
    )
    outputs: dict[str, Any] = {}
    secret: set[str] = set()

    async def main() -> None:
        declared = program.run(plan, app_root=app_root)
        for name, value in declared.items():
            out = pulumi.Output.from_input(value)
            outputs[name] = await out.future()
            if await out.is_secret():
                secret.add(name)

    _sync_await(run_pulumi_func(main))
    _close_loop_at_exit()
    resources = sorted(monitor.records, key=lambda r: r["urn"])
    return Rendered(resources=resources, outputs=outputs, secret_outputs=secret, warnings=warnings)


_LOOPS_CLOSED_AT_EXIT: set[int] = set()


def _close_loop_at_exit() -> None:
    """Close the event loop the mocks ran on when the process exits, before the interpreter tears down: left to the
    garbage collector, its self-pipe may already be closed and Python prints an `Exception ignored` traceback
    (about one `orchestrator graph` in twenty under load). Later renders in this process keep using the loop."""
    import asyncio
    import atexit

    loop = asyncio.get_event_loop()
    if id(loop) not in _LOOPS_CLOSED_AT_EXIT:
        _LOOPS_CLOSED_AT_EXIT.add(id(loop))
        atexit.register(lambda: loop.is_running() or loop.is_closed() or loop.close())


class _Collector(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


def _collector(sink: list[str]) -> logging.Logger:
    logger = logging.Logger("orchestrator.engine.graph", logging.WARNING)
    logger.addHandler(_Collector(sink))
    logger.propagate = False
    return logger


# ---- the recording monitor ----------------------------------------------------------------------------------------


def _monitor_class() -> type:
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            self.records: list[dict[str, Any]] = []
            self._lock = threading.Lock()

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                record = _record(request, response.urn, rpc)
                with self._lock:
                    self.records.append(record)
            return response

    return RecordingMonitor


def _urn(urn: str) -> str:
    return urn.replace(_STACK_PREFIX, "")


def _record(request: Any, urn: str, rpc: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "protect": bool(request.protect),
        "retainOnDelete": bool(request.retainOnDelete),
        "provider": _urn(request.provider.rsplit("::", 1)[0]) if request.provider else None,
    }
    extra = {
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "ignoreChanges": sorted(request.ignoreChanges),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
        "replaceOnChanges": sorted(request.replaceOnChanges),
    }
    options.update((k, v) for k, v in extra.items() if v)
    parent = _urn(request.parent)
    return {
        "urn": _urn(urn),
        "type": request.type,
        "name": request.name,
        "parent": None if not parent or "::pulumi:pulumi:Stack::" in parent else parent,
        "inputs": _plain(rpc.deserialize_properties(request.object), rpc),
        "options": options,
        "dependencies": sorted({_urn(d) for d in request.dependencies}),
    }


def _plain(value: Any, rpc: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _plain(v, rpc) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, rpc) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---- the mocks ------------------------------------------------------------------------------------------------------


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _mocks_class() -> type:
    import pulumi

    class CloudMocks(pulumi.runtime.Mocks):
        """Ids and outputs from the cloud's `mocks` part; generated passwords resolve to `password` if given."""

        def __init__(self, cloud: Any, region: str | None, password: str | None) -> None:
            self.cloud = cloud
            self.region = region
            self.password = password

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            inputs = dict(args.inputs)
            if args.typ == RANDOM_PASSWORD:
                made = f"none-{_h(args.name, 8)}", {"result": self.password or f"mock-password-{_h(args.name, 16)}"}
            else:
                made = self.cloud.new_resource(args.typ, inputs, args.name, self.region)
            rid, extra = made if made is not None else (mock_id(args.typ, inputs, args.name), {})
            return rid, {**inputs, **extra}

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            return self.cloud.call(args.token, dict(args.args), self.region) or {}, []

    return CloudMocks
