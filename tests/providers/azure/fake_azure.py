"""Test doubles of Azure's SDK clients: the same method names and return types (the SDK's own models) and the SDK's
own exception types, recording every call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from azure.keyvault.secrets import KeyVaultSecret, SecretProperties
from azure.mgmt.appcontainers import models


@dataclass
class _Poller:
    value: Any

    def result(self) -> Any:
        return self.value


@dataclass
class FakeJobs:
    """`ContainerAppsAPIClient.jobs`: begin_start (LROPoller[JobExecutionBase])."""

    owner: FakeContainerApps

    def begin_start(self, resource_group_name: str, job_name: str, template: Any = None) -> _Poller:
        self.owner.calls.append(("begin_start", resource_group_name, job_name))
        if job_name in self.owner.start_errors:
            raise self.owner.start_errors[job_name]
        return _Poller(models.JobExecutionBase(name=f"{job_name}-exec1"))


@dataclass
class FakeContainerApps:
    """`ContainerAppsAPIClient`: each job's execution walks through `statuses[job]` one poll at a time, then stays at
    the last one."""

    statuses: dict[str, list[str]]
    messages: dict[str, str] = field(default_factory=dict)
    start_errors: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    _walks: dict[str, Iterator[str]] = field(default_factory=dict)
    _last: dict[str, str] = field(default_factory=dict)

    @property
    def jobs(self) -> FakeJobs:
        return FakeJobs(self)

    def job_execution(self, resource_group_name: str, job_name: str, job_execution_name: str
                      ) -> models.JobExecution:
        self.calls.append(("job_execution", resource_group_name, job_name, job_execution_name))
        walk = self._walks.setdefault(job_name, iter(self.statuses[job_name]))
        status = self._last[job_name] = next(walk, self._last.get(job_name, "Running"))
        properties = {"status": status, "message": self.messages.get(job_name)}
        return models.JobExecution({"name": job_execution_name, "properties": properties})


@dataclass
class FakeSecretClient:
    """`azure.keyvault.secrets.SecretClient(vault_url, credential)`: set_secret records (vault, name, value, content
    type) in `written`, or raises `error`."""

    vault_url: str
    credential: Any = None
    written: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    error: Exception | None = None

    def set_secret(self, name: str, value: str, *, content_type: str | None = None, **kwargs: Any) -> KeyVaultSecret:
        if self.error is not None:
            raise self.error
        self.written.append((self.vault_url, name, value, content_type))
        properties = SecretProperties(vault_id=f"{self.vault_url}/secrets/{name}/v{len(self.written)}",
                                      content_type=content_type)
        return KeyVaultSecret(properties, value)
