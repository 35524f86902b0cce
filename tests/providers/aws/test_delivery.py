"""Uploading the runtime config to S3, against a real moto server process."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from motoserver import Moto, server

from orchestrator.core.errors import OrchestratorError
from providers.aws import delivery as config_upload

pytestmark = pytest.mark.local


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    yield from server(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def bucket(moto: Moto, request: pytest.FixtureRequest) -> str:
    name = "shop-dev-config-" + hashlib.sha1(request.node.name.encode()).hexdigest()[:8]
    moto.client("s3").create_bucket(Bucket=name)
    return name


def test_upload_writes_the_bytes_encrypted_and_returns_the_s3_url(moto: Moto, bucket: str, tmp_path: Path) -> None:
    pb = tmp_path / "runtime-config.pb"
    pb.write_bytes(b"\x0a\x03dev\x12\x00" * 100)
    s3 = moto.client("s3")

    url = config_upload.upload(pb, bucket=bucket, region="us-east-1", client=s3)

    assert url == f"s3://{bucket}/runtime-config.pb"
    obj = s3.get_object(Bucket=bucket, Key="runtime-config.pb", ChecksumMode="ENABLED")
    assert obj["Body"].read() == pb.read_bytes()
    assert obj["ServerSideEncryption"] == "AES256"
    assert obj["ContentType"] == "application/x-protobuf"
    assert obj["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(pb.read_bytes()).digest()).decode()


def test_a_second_deploy_replaces_the_object(moto: Moto, bucket: str, tmp_path: Path) -> None:
    s3 = moto.client("s3")
    pb = tmp_path / "runtime-config.pb"
    for content in (b"first", b"second"):
        pb.write_bytes(content)
        config_upload.upload(pb, bucket=bucket, region="us-east-1", client=s3)
    assert s3.get_object(Bucket=bucket, Key="runtime-config.pb")["Body"].read() == b"second"


def test_a_missing_bucket_is_one_line_naming_the_url(moto: Moto, tmp_path: Path) -> None:
    pb = tmp_path / "runtime-config.pb"
    pb.write_bytes(b"x")
    with pytest.raises(OrchestratorError) as info:
        config_upload.upload(pb, bucket="shop-dev-nonexistent", region="us-east-1", client=moto.client("s3"))
    message = str(info.value)
    assert message.startswith("s3://shop-dev-nonexistent/runtime-config.pb: upload failed: NoSuchBucket")
    assert "\n" not in message


def test_bucket_comes_from_the_stack_output() -> None:
    from pulumi.automation import OutputValue

    assert config_upload.bucket_from_outputs({"runtime_config_bucket": OutputValue("b-1", False)}, env="dev") == "b-1"
    assert config_upload.bucket_from_outputs({"runtime_config_bucket": "b-2"}, env="dev") == "b-2"
    with pytest.raises(OrchestratorError, match="runtime_config_bucket") as info:
        config_upload.bucket_from_outputs({"provisioned": {}}, env="dev")
    assert str(info.value).startswith("env dev: ")
