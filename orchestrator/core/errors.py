"""Errors the CLI turns into one line and a documented exit code (docs/exit-codes.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    LOCKED = 3
    POLICY = 4
    PENDING_OPERATIONS = 5
    MISSING_TOOL = 6
    UNSUPPORTED = 7
    CHANGES = 8
    """`preview --detailed-exitcode`: something would change."""
    DESTROYS = 9
    """`preview --fail-on-destroy`: something would be removed or replaced."""
    NOT_OWNED = 10


class OrchestratorError(Exception):
    """An expected failure: printed as one line, never with a traceback unless --debug."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class BadInput(OrchestratorError):
    """Metadata, stack files, flags or app sources that cannot be used."""

    exit_code = ExitCode.BAD_INPUT


class SecretsUnset(BadInput):
    """Declared secrets have no value yet; `orchestrator secret set` fixes it (so a new preview env stays known)."""


class Unsupported(OrchestratorError):
    """The app declares something the target cloud/runtime cannot do."""

    exit_code = ExitCode.UNSUPPORTED


class Locked(OrchestratorError):
    """Another run holds the environment's lock."""

    exit_code = ExitCode.LOCKED


class PolicyViolation(OrchestratorError):
    exit_code = ExitCode.POLICY


class PendingOperations(OrchestratorError):
    exit_code = ExitCode.PENDING_OPERATIONS


class MissingTool(OrchestratorError):
    """An external program we need (the Pulumi CLI, a server binary) is not installed."""

    exit_code = ExitCode.MISSING_TOOL


class NotOwned(OrchestratorError):
    """A server, database, role, queue, bucket or state directory this env cannot prove it made."""

    exit_code = ExitCode.NOT_OWNED
