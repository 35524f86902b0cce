"""What a GCP deploy hands over: each service's runtime-config object in the env's bucket, the Go infra config and
secret-provider variable, the injected secrets' sources; and `secret set` through Secret Manager's REST API.
GCS and Secret Manager are replaced by recording fakes (no emulator of either is installable here)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from gcpgraph import PROJECT_OF, fixture_plan, fixture_render

from orchestrator.core.errors import BadInput, OrchestratorError
from orchestrator.engine.target import provisioned_from
from providers.gcp import delivery
from runtime_config.encode import PATH_VAR
from runtime_config.schema import runtime_pb2


class FakeStorage:
    """The part of google.cloud.storage.Client that `upload` uses, recording what it was given."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self.fail = fail

    def bucket(self, name: str) -> Any:
        storage = self

        class Blob:
            def __init__(self, obj: str) -> None:
                self.obj = obj

            def upload_from_filename(self, filename: str, **kw: Any) -> None:
                if storage.fail:
                    raise storage.fail
                storage.objects[f"gs://{name}/{self.obj}"] = (Path(filename).read_bytes(), kw)

        class Bucket:
            def blob(self, obj: str) -> Blob:
                return Blob(obj)

        return Bucket()


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> FakeStorage:
    fake = FakeStorage()
    real = delivery.upload
    monkeypatch.setattr(delivery, "upload", lambda path, *, bucket, obj: real(path, bucket=bucket, obj=obj,
                                                                                 client=fake))
    return fake


def test_typescript_each_service_gets_its_own_object(storage: FakeStorage, tmp_path: Path) -> None:
    plan = fixture_plan("ts-uptime", "production")
    outputs = fixture_render("ts-uptime", "production").outputs
    record = provisioned_from(outputs, plan.env)
    done = delivery.deliver(plan, record, outputs, tmp_path)
    bucket = outputs["runtime_config_bucket"]
    services = [r.name for r in plan.resources if r.kind.value == "service"]
    assert len(services) > 1
    assert sorted(storage.objects) == sorted(f"gs://{bucket}/{s}/runtime-config.pb" for s in services)
    for service in services:
        data, kw = storage.objects[f"gs://{bucket}/{service}/runtime-config.pb"]
        assert kw == {"content_type": "application/x-protobuf", "checksum": "crc32c"}
        assert done.files[f"runtime_config:{service}"].read_bytes() == data
        config = runtime_pb2.RuntimeConfig.FromString(data)
        assert config.environment.cloud == runtime_pb2.Environment.CLOUD_GCP
        assert sorted(h.name for h in config.deployment.hosted_services) == sorted(services)
        assert any(n == f"service {service}: {PATH_VAR}=gs://{bucket}/{service}/runtime-config.pb "
                        "(readable by its service account only)" for n in done.notes)
    assert done.env_vars == {"GOOGLE_CLOUD_PROJECT": PROJECT_OF["production"]}  # the path differs per service
    assert set(done.secret_env) >= {r.names["password_env"] for r in plan.resources if r.kind.value == "sql"}
    assert all(v and v.startswith(f"projects/{PROJECT_OF['production']}/secrets/") for v in done.secret_env.values())


def test_go_ships_its_infra_config_and_reads_secrets_through_the_providers_variable(tmp_path: Path) -> None:
    plan = fixture_plan("ai-chat", "production")
    outputs = fixture_render("ai-chat", "production").outputs
    done = delivery.deliver(plan, provisioned_from(outputs, plan.env), outputs, tmp_path)
    assert set(done.files) == {"infra_config"} and done.files["infra_config"].exists()
    assert done.env_vars["ENCORE_INFRA_CONFIG_PATH"] == str(done.files["infra_config"])
    providers = json.loads(done.env_vars["ENCORE_SECRET_PROVIDERS"])
    assert providers["providers"]["gcp_secret_manager"]["config"] == {"project_id": PROJECT_OF["production"]}
    assert "ship it with the image" in done.notes[0]


def test_upload_errors_are_one_line_naming_the_url(tmp_path: Path) -> None:
    pb = tmp_path / "runtime-config.pb"
    pb.write_bytes(b"x")
    with pytest.raises(OrchestratorError) as info:
        delivery.upload(pb, bucket="b", obj="svc/runtime-config.pb",
                        client=FakeStorage(fail=RuntimeError("403 Forbidden\nmore detail")))
    assert str(info.value) == "gs://b/svc/runtime-config.pb: upload failed: 403 Forbidden"


def test_bucket_comes_from_the_stack_output() -> None:
    from pulumi.automation import OutputValue

    assert delivery.bucket_from_outputs({"runtime_config_bucket": OutputValue("b-1", False)}, env="dev") == "b-1"
    with pytest.raises(OrchestratorError, match="runtime_config_bucket") as info:
        delivery.bucket_from_outputs({"provisioned": {}}, env="dev")
    assert str(info.value).startswith("env dev: ")


class FakeReply:
    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        self.status_code, self.body, self.reason = status, body or {}, "Reason"

    def json(self) -> dict[str, Any]:
        return self.body


class FakeSession:
    def __init__(self, reply: FakeReply) -> None:
        self.reply = reply
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: str, *, json: dict[str, Any], timeout: float) -> FakeReply:
        self.calls.append((url, json))
        return self.reply


def test_set_secret_adds_a_version_with_its_checksum() -> None:
    env = fixture_plan("ts-uptime", "production").env
    session = FakeSession(FakeReply(200, {"name": "projects/1/secrets/s/versions/2"}))
    delivery.set_secret(env, "shop-secret", "123456789", session=session)
    ((url, body),) = session.calls
    assert url == f"https://secretmanager.googleapis.com/v1/projects/{PROJECT_OF['production']}/secrets/" \
                  "shop-secret:addVersion"
    assert base64.b64decode(body["payload"]["data"]) == b"123456789"
    assert body["payload"]["dataCrc32c"] == str(0xE3069283)  # the CRC-32C check value of "123456789"


def test_set_secret_errors() -> None:
    env = fixture_plan("ts-uptime", "production").env
    with pytest.raises(BadInput, match="deploy gcp-prod first"):
        delivery.set_secret(env, "missing", "v", session=FakeSession(FakeReply(404)))
    with pytest.raises(OrchestratorError) as info:
        delivery.set_secret(env, "s", "v", session=FakeSession(FakeReply(403, {"error": {"message": "denied"}})))
    assert str(info.value) == "s: HTTP 403: denied"
