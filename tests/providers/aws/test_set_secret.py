"""`orchestrator secret set` for AWS envs: Secrets Manager on a real moto server process.

The delivery part (`providers/aws/delivery.py`) puts the value; the pipeline names the secret
from the app's plan (--meta, else the env's last record).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from motoserver import CREDENTIALS, Moto, server

from orchestrator import pipeline, stacks
from orchestrator.core.errors import BadInput
from providers.aws import delivery

pytestmark = pytest.mark.local

CANARY = "canary-3f9c1e"
STACK = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: development\n  aws:region: eu-west-1\n"
META = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "booking-system" / "meta.pb"
"""A real app's metadata, read by the pipeline as `--meta`; it declares the secret SendGridAPIKey."""


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    yield from server(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def aws(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    return boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=moto.endpoint, **CREDENTIALS)


class UI:
    interactive = False

    def __init__(self) -> None:
        self.said: list[str] = []

    def success(self, text: str) -> None:
        self.said.append(text)

    warn = info = step = success


def test_the_delivery_puts_the_value_as_the_secrets_current_version(aws: Any) -> None:
    env = stacks.parse(STACK, name="dev", where="stacks/Pulumi.dev.yaml")
    aws.create_secret(Name="shop-dev-secret-StripeKey", Description="made by the program")

    delivery.set_secret(env, "shop-dev-secret-StripeKey", CANARY)

    assert aws.get_secret_value(SecretId="shop-dev-secret-StripeKey")["SecretString"] == CANARY


def test_a_secret_the_program_has_not_made_yet_says_deploy_first(aws: Any) -> None:
    env = stacks.parse(STACK, name="fresh", where="stacks/Pulumi.fresh.yaml")
    with pytest.raises(BadInput, match="deploy fresh first") as info:
        delivery.set_secret(env, "shop-fresh-secret-StripeKey", CANARY)
    assert "shop-fresh-secret-StripeKey" in str(info.value)
    assert CANARY not in str(info.value)


def test_a_shared_preview_says_where_its_secrets_are_read(aws: Any) -> None:
    stack = STACK.replace("development", "ephemeral") + "  orchestrator:base: dev\n  orchestrator:pr: 7\n"
    env = stacks.parse(stack, name="pr-7", where="stacks/Pulumi.pr-7.yaml")
    with pytest.raises(BadInput, match=r"pr-7 reads its secrets from its base env dev .*--own-secret") as info:
        delivery.set_secret(env, "shop-pr-7-secret-StripeKey", CANARY)
    assert CANARY not in str(info.value)


def test_secret_set_puts_the_value_in_the_secret_the_plan_names(aws: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    Path("stacks").mkdir()
    Path("stacks/Pulumi.dev.yaml").write_text(STACK)
    ui = UI()
    ctx = pipeline.Context(stacks_dir=Path("stacks"), state_root=Path("state"), ui=ui)  # type: ignore[arg-type]
    name = pipeline.plan(ctx, "dev", META).get("secret:SendGridAPIKey").names["secret"]
    assert name.startswith("booking-system-dev-")
    aws.create_secret(Name=name, Description="made by the program")

    assert pipeline.set_secret(ctx, "dev", "SendGridAPIKey", CANARY, META) == 0

    assert aws.get_secret_value(SecretId=name)["SecretString"] == CANARY
    assert len(ui.said) == 1 and name in ui.said[0]
    assert CANARY not in " ".join(ui.said)
