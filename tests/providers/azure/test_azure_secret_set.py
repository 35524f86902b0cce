"""`orchestrator secret set` on Azure: the value goes to the Key Vault secret the last deployment recorded (the vault's
name is generated), through a test double of azure-keyvault-secrets' SecretClient (fake_azure.py); for Go apps on the
legacy runtime config it is stored as `name=<unpadded base64url>`, one pair of ENCORE_APP_SECRETS
(runtimes/go/appruntime/infrasdk/secrets/manager_internal.go `parse`). The value never reaches output or records."""

from __future__ import annotations

import base64
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azgraph import STACKS, fixture_plan, pinned_created_at, render, synth_plan, synth_render
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from fake_azure import FakeContainerApps, FakeSecretClient

from orchestrator import pipeline
from orchestrator.core.errors import BadInput, ExitCode, MissingTool, OrchestratorError
from orchestrator.core.plan import Plan
from orchestrator.records import DeploymentRecord
from providers.azure import delivery
from runtime_config.infra import Provisioned

CANARY = "canary-Kv7/+pQ9zz"
"""Holds characters base64url and plain base64 encode differently."""


def deployed(plan: Plan, rendered: Any, tmp_path: Path) -> dict[str, Any]:
    """The record a deploy of `plan` writes, as JSON (what the pipeline hands `set_secret`)."""
    outputs = {k: v for k, v in rendered.outputs.items() if k != "provisioned"}
    client = FakeContainerApps({job["job"]: ["Succeeded"] for job in outputs.get(delivery.SQL_JOBS_OUTPUT, [])})
    provisioned = Provisioned.model_validate(rendered.outputs["provisioned"])
    out = delivery.deliver(plan, provisioned, outputs, tmp_path, jobs_client=lambda sub: client)
    record = DeploymentRecord.new(plan, out.provisioned, env_vars=out.env_vars, secret_env=out.secret_env)
    return record.model_dump(mode="json")


def fake(made: list[FakeSecretClient], error: Exception | None = None) -> Callable[[str], FakeSecretClient]:
    """A `secret_client` factory keeping every client it makes in `made`."""
    def make(vault_url: str) -> FakeSecretClient:
        made.append(FakeSecretClient(vault_url, error=error))
        return made[-1]
    return make


def _secret(plan: Plan, name: str) -> str:
    return plan.get(f"secret:{name}").names["secret"]


def _unpadded_base64url(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def test_go_on_the_legacy_config_stores_name_equals_base64url(tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    record = deployed(plan, render(plan), tmp_path)
    made: list[FakeSecretClient] = []
    delivery.set_secret(plan.env, _secret(plan, "DiscordToken"), CANARY, record, secret_client=fake(made))
    ((client,),) = [made]
    ((vault, name, value, content_type),) = client.written
    source = next(s["ref"]["source"] for s in record["provisioned"]["secrets"] if s["encore_name"] == "DiscordToken")
    assert source == f"{vault}/secrets/{name}" and vault.startswith("https://") and vault.endswith(".vault.azure.net")
    assert name == _secret(plan, "DiscordToken")
    assert value == "DiscordToken=" + _unpadded_base64url(CANARY) and "=" not in value.partition("=")[2]
    assert content_type == delivery.APP_SECRET_CONTENT_TYPE == "text/plain"


@pytest.mark.parametrize("language", ["go", "typescript"])
def test_apps_without_the_legacy_config_store_the_value_itself(language: str, tmp_path: Path) -> None:
    plan = synth_plan(3, "ephemeral", language, False)
    record = deployed(plan, synth_render(3, "ephemeral", language, False), tmp_path)
    secret = next(r for r in plan.resources if r.kind.value == "secret")
    made: list[FakeSecretClient] = []
    delivery.set_secret(plan.env, secret.names["secret"], CANARY, record, secret_client=fake(made))
    assert [(name, value) for _, name, value, _ in made[0].written] == [(secret.names["secret"], CANARY)]


def test_before_any_deploy_the_vault_is_unknown() -> None:
    env = fixture_plan("ai-chat", "production").env
    with pytest.raises(BadInput, match="deploy azure-prod first") as err:
        delivery.set_secret(env, "some-secret", CANARY, None, secret_client=fake([]))
    assert err.value.exit_code is ExitCode.BAD_INPUT and CANARY not in str(err.value)


def test_a_secret_the_last_deployment_does_not_hold(tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    record = deployed(plan, render(plan), tmp_path)
    with pytest.raises(BadInput, match="has no Key Vault secret 'not-there'"):
        delivery.set_secret(plan.env, "not-there", CANARY, record, secret_client=fake([]))


@pytest.mark.parametrize(("error", "kind", "code"), [
    (ResourceNotFoundError("(SecretNotFound) A secret with (name/id) x was not found in this key vault.\nCode: x"),
     BadInput, ExitCode.BAD_INPUT),
    (HttpResponseError("(Forbidden) Caller is not authorized to perform action on resource.\nInner error: {}"),
     OrchestratorError, ExitCode.FAILURE),
])
def test_key_vault_errors_fail_on_one_line_without_the_value(error: Exception, kind: type, code: ExitCode,
                                                             tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    record = deployed(plan, render(plan), tmp_path)
    with pytest.raises(kind) as err:
        delivery.set_secret(plan.env, _secret(plan, "DiscordToken"), CANARY, record,
                            secret_client=fake([], error=error))
    message = str(err.value)
    assert err.value.exit_code is code and "\n" not in message and CANARY not in message
    assert str(error).splitlines()[0] in message and _secret(plan, "DiscordToken") in message


def test_the_missing_sdk_exits_6_with_the_pip_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    record = deployed(plan, render(plan), tmp_path)
    monkeypatch.setitem(sys.modules, "azure.keyvault.secrets", None)
    with pytest.raises(MissingTool, match=r"pip install 'encore-orchestrator\[azure\]'") as err:
        delivery.set_secret(plan.env, _secret(plan, "DiscordToken"), CANARY, record)
    assert err.value.exit_code is ExitCode.MISSING_TOOL


class UI:
    interactive = False

    def __init__(self) -> None:
        self.said: list[str] = []

    def success(self, text: str) -> None:
        self.said.append(text)

    warn = info = step = success


def test_secret_set_through_the_pipeline_uses_the_last_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.identity
    import azure.keyvault.secrets

    plan = fixture_plan("ai-chat", "production")
    with pinned_created_at():
        record = DeploymentRecord.model_validate(deployed(plan, render(plan), tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    Path("stacks").mkdir()
    shutil.copy(STACKS / "Pulumi.azure-prod.yaml", "stacks/Pulumi.azure-prod.yaml")
    ui = UI()
    ctx = pipeline.Context(stacks_dir=Path("stacks"), state_root=Path("state"), ui=ui)  # type: ignore[arg-type]
    with ctx.store().lock("azure-prod", "test"):
        ctx.store().write(record)
    made: list[FakeSecretClient] = []
    monkeypatch.setattr(azure.keyvault.secrets, "SecretClient",
                        lambda url, credential: made.append(FakeSecretClient(url, credential)) or made[-1])
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", lambda: "the-credential")

    assert pipeline.set_secret(ctx, "azure-prod", "DiscordToken", CANARY, None) == 0

    ((client,),) = [made]
    assert client.credential == "the-credential"
    assert [w[1:3] for w in client.written] == [(_secret(plan, "DiscordToken"),
                                                "DiscordToken=" + _unpadded_base64url(CANARY))]
    assert len(ui.said) == 1 and CANARY not in ui.said[0]
    for path in Path("state").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert CANARY not in text and _unpadded_base64url(CANARY) not in text
