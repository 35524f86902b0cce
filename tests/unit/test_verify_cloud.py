"""`orchestrator verify` against a cloud env reads only the process environment (usable inside its network)."""

from __future__ import annotations

import base64

import pytest
from orchestrator.targets import Options, operation

from orchestrator import stacks
from orchestrator.core import envs
from orchestrator.engine import operations as pulumi_target
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2


class UI:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, text: str) -> None:
        self.lines.append(text)

    success = error = info = warn = step

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        self.lines += [" | ".join(map(str, row)) for row in rows]


def _config(env_var: str) -> str:
    secret = infra_pb2.AppSecret(rid="s", encore_name="StripeKey", data=secretdata_pb2.SecretData(env=env_var))
    config = runtime_pb2.RuntimeConfig()
    config.infra.resources.app_secrets.append(secret)
    return base64.b64encode(config.SerializeToString()).decode()


@pytest.fixture
def aws_env() -> envs.Env:
    text = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n"
    return stacks.parse(text, name="prod", where="Pulumi.prod.yaml")


def test_cloud_verify_is_the_engine_operation(aws_env: envs.Env) -> None:
    assert operation(aws_env, "verify") is pulumi_target.verify


def test_cloud_verify_resolves_secrets_from_the_environment(aws_env, monkeypatch) -> None:
    for var in ("ENCORE_INFRA_CONFIG_PATH", "ENCORE_RUNTIME_CONFIG_PATH", "ENCORE_APP_META", "ENCORE_APP_META_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ENCORE_RUNTIME_CONFIG", _config("STRIPE_KEY"))
    monkeypatch.setenv("STRIPE_KEY", "sk-canary-1234")
    ui = UI()
    assert pulumi_target.verify(aws_env, Options(), ui) == 0  # type: ignore[arg-type]
    assert any("secret:StripeKey" in line and "ok" in line for line in ui.lines), ui.lines
    assert not any("sk-canary-1234" in line for line in ui.lines)

    monkeypatch.delenv("STRIPE_KEY")
    ui = UI()
    assert pulumi_target.verify(aws_env, Options(), ui) == 1  # type: ignore[arg-type]
    assert any("secret:StripeKey" in line and "FAILED" in line for line in ui.lines), ui.lines
