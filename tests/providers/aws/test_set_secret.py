"""`orchestrator secret set` for AWS envs: Secrets Manager on a real moto server process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from motoserver import CREDENTIALS, Moto, server
from orchestrator.targets import Options

from orchestrator import stacks
from orchestrator.core.errors import BadInput
from orchestrator.engine import operations as pt

pytestmark = pytest.mark.local

CANARY = "canary-3f9c1e"
STACK = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: development\n  orchestrator:app: shop\n" \
        "  aws:region: eu-west-1\n"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    yield from server(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def aws(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    return boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=moto.endpoint, **CREDENTIALS)


class UI:
    def __init__(self) -> None:
        self.said: list[str] = []

    def success(self, text: str) -> None:
        self.said.append(text)


def test_the_value_goes_to_the_plans_secret_and_is_never_echoed(aws: object) -> None:
    env = stacks.parse(STACK, name="dev", where="stacks/Pulumi.dev.yaml")
    name = pt.secret_name(env, "StripeKey", Options())
    aws.create_secret(Name=name, Description="made by the program")  # type: ignore[attr-defined]
    ui = UI()

    assert pt.set_secret(env, "StripeKey", CANARY, Options(), ui) == 0  # type: ignore[arg-type]

    assert aws.get_secret_value(SecretId=name)["SecretString"] == CANARY  # type: ignore[attr-defined]
    assert name in ui.said[0]
    assert CANARY not in " ".join(ui.said)


def test_a_secret_the_program_has_not_made_yet_says_deploy_first(aws: object, tmp_path: Path) -> None:
    env = stacks.parse(STACK, name="fresh", where="stacks/Pulumi.fresh.yaml")
    with pytest.raises(BadInput, match="deploy fresh first") as info:
        pt.set_secret(env, "StripeKey", CANARY, Options(), UI())  # type: ignore[arg-type]
    assert CANARY not in str(info.value)
