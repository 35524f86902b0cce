"""`orchestrator verify` against a cloud env reads only the process environment (usable inside its network)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orchestrator import pipeline
from orchestrator import verify as verifying
from orchestrator.core.envs import Env
from runtime_config.schema import infra_pb2, runtime_pb2, secretdata_pb2

STACK = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n"


class UI:
    interactive = False

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, text: str) -> None:
        self.lines.append(text)

    success = error = info = warn = text = step

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        self.lines += [" | ".join(map(str, row)) for row in rows]


def _config(env_var: str) -> str:
    secret = infra_pb2.AppSecret(rid="s", encore_name="StripeKey", data=secretdata_pb2.SecretData(env=env_var))
    config = runtime_pb2.RuntimeConfig()
    config.infra.resources.app_secrets.append(secret)
    return base64.b64encode(config.SerializeToString()).decode()


@pytest.fixture(autouse=True)
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A production AWS env `prod` in `stacks/`, never deployed (no record), in a clean working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    Path("stacks").mkdir()
    Path("stacks/Pulumi.prod.yaml").write_text(STACK)


def context(ui: UI) -> pipeline.Context:
    return pipeline.Context(stacks_dir=Path("stacks"), state_root=Path("state"), ui=ui)  # type: ignore[arg-type]


def test_cloud_verify_runs_on_the_process_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Env, dict[str, str]]] = []

    def report(env: Env, overlay: Mapping[str, str], ui: Any) -> dict[str, Any]:
        seen.append((env, dict(overlay)))
        return {"summary": {"failed": 0}}

    def no_env_vars(*a: Any, **kw: Any) -> Any:
        raise AssertionError("cloud verify must not read the env's record (it runs inside the cloud's network)")

    monkeypatch.setattr(verifying, "report", report)
    monkeypatch.setattr(pipeline, "env_vars", no_env_vars)
    assert pipeline.verify(context(UI()), "prod")["summary"]["failed"] == 0
    assert [(env.name, env.cloud, overlay) for env, overlay in seen] == [("prod", "aws", {})]
    assert not Path("state").exists()


def test_cloud_verify_resolves_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ENCORE_INFRA_CONFIG_PATH", "ENCORE_RUNTIME_CONFIG_PATH", "ENCORE_APP_META", "ENCORE_APP_META_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ENCORE_RUNTIME_CONFIG", _config("STRIPE_KEY"))
    monkeypatch.setenv("STRIPE_KEY", "sk-canary-1234")
    ui = UI()
    assert pipeline.verify(context(ui), "prod")["summary"]["failed"] == 0
    assert any("secret:StripeKey" in line and "ok" in line for line in ui.lines), ui.lines
    assert not any("sk-canary-1234" in line for line in ui.lines)

    monkeypatch.delenv("STRIPE_KEY")
    ui = UI()
    assert pipeline.verify(context(ui), "prod")["summary"]["failed"] == 1
    assert any("secret:StripeKey" in line and "FAILED" in line for line in ui.lines), ui.lines
