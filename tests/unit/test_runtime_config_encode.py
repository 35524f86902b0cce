"""runtime_config.encode (env value, size fallback) and runtime_config.write (atomic, private files)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import stat

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Language
from runtime_config import write
from runtime_config.build import build
from runtime_config.encode import INLINE_VAR, PATH_VAR, runtime_config_env, to_env_value
from runtime_config.schema import runtime_pb2
from runtime_config.write import INFRA_CONFIG_FILE, RUNTIME_CONFIG_FILE, write_outputs

# Bytes whose base64 uses '+' and '/' and needs padding.
AWKWARD = bytes([0xFB, 0xFF, 0xBF, 0x3E, 0x00])


def decode(value: str) -> bytes:
    """What the native core does with an ENCORE_RUNTIME_CONFIG value."""
    if value.startswith("gzip:"):
        return gzip.decompress(base64.b64decode(value[5:], validate=True))
    return base64.b64decode(value, validate=True)


def test_small_values_are_plain_standard_padded_base64():
    value = to_env_value(AWKWARD)
    assert value == base64.b64encode(AWKWARD).decode() == "+/+/PgA="
    assert decode(value) == AWKWARD


def test_compressible_values_are_gzipped():
    data = b"encore " * 1000
    value = to_env_value(data)
    assert value.startswith("gzip:") and len(value) < len(base64.b64encode(data))
    assert decode(value) == data
    assert len(value[5:]) % 4 == 0 and "-" not in value and "_" not in value


def test_gzip_is_deterministic():
    data = b"abc" * 500
    assert to_env_value(data) == to_env_value(data)
    raw = base64.b64decode(to_env_value(data)[5:])
    assert raw[4:8] == b"\0\0\0\0"  # mtime


def test_real_config_round_trips():
    plan = fx.shop_plan("aws")
    data = build(plan, fx.provisioned(plan)).SerializeToString(deterministic=True)
    assert decode(to_env_value(data)) == data
    runtime_pb2.RuntimeConfig.FromString(decode(to_env_value(data)))


def test_inline_when_name_and_value_fit():
    value = to_env_value(AWKWARD)
    limit = len(INLINE_VAR) + 1 + len(value)
    assert runtime_config_env(AWKWARD, size_limit=limit, path="/cfg/rc.pb") == {INLINE_VAR: value}
    assert runtime_config_env(AWKWARD, size_limit=limit - 1, path="/cfg/rc.pb") == {PATH_VAR: "/cfg/rc.pb"}


@pytest.mark.parametrize("path", ["/srv/config/runtime-config.pb", "s3://bucket/key.pb", "gs://bucket/a/b.pb"])
def test_valid_locations(path):
    assert runtime_config_env(os.urandom(1000), size_limit=256, path=path) == {PATH_VAR: path}


@pytest.mark.parametrize("path", ["", "relative/rc.pb", "s3://bucket", "s3://bucket/", "gs:///key",
                                  "https://example.com/rc.pb"])
def test_invalid_locations(path):
    with pytest.raises(BadInput, match=PATH_VAR):
        runtime_config_env(b"x", size_limit=1024, path=path)


# --- write_outputs ---------------------------------------------------------------------------------


def test_typescript_writes_the_protobuf_privately(tmp_path):
    plan = fx.shop_plan("local")
    out = tmp_path / "deep" / "out"
    written = write_outputs(plan, fx.provisioned(plan), out)
    path = out / RUNTIME_CONFIG_FILE
    assert written.paths == {"runtime_config": path}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert decode(written.env[INLINE_VAR]) == path.read_bytes()
    assert os.listdir(out) == [RUNTIME_CONFIG_FILE]


def test_go_writes_the_json_privately(tmp_path):
    plan = fx.shop_plan("aws", Language.GO)
    written = write_outputs(plan, fx.provisioned(plan), tmp_path)
    path = tmp_path / INFRA_CONFIG_FILE
    assert written.paths == {"infra_config": path}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert text.endswith("\n") and json.loads(text)["metadata"]["cloud"] == "aws"


def test_every_process_of_one_deploy_reads_the_same_deploy_id(tmp_path):
    """Go takes it from ENCORE_DEPLOY_ID only (runtimes/go/appruntime/shared/appconf/appconf.go); the Rust core from
    Deployment.deploy_id, whichever services the process hosts."""
    go = fx.shop_plan("aws", Language.GO)
    record = fx.provisioned(go).model_copy(update={"deploy_id": "deploy_1"})
    assert write_outputs(go, record, tmp_path / "go").env["ENCORE_DEPLOY_ID"] == "deploy_1"
    ts = fx.shop_plan("aws")
    record = fx.provisioned(ts).model_copy(update={"deploy_id": "deploy_1"})
    hosts = ("mailer", "orders")
    assert {build(ts, record, hosted_services=[svc]).deployment.deploy_id for svc in hosts} == {"deploy_1"}


def test_relative_out_dir_gives_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = fx.shop_plan("aws", Language.GO)
    written = write_outputs(plan, fx.provisioned(plan), write.Path("rel"))
    assert written.env["ENCORE_INFRA_CONFIG_PATH"] == str(tmp_path / "rel" / INFRA_CONFIG_FILE)


def test_rewrites_are_byte_identical_and_replace_the_file(tmp_path):
    plan = fx.shop_plan("aws")
    path = tmp_path / RUNTIME_CONFIG_FILE
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_outputs(plan, fx.provisioned(plan), tmp_path)
    first = path.read_bytes()
    write_outputs(plan, fx.provisioned(plan), tmp_path)
    assert path.read_bytes() == first != b"old"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_build_leaves_the_previous_file_alone(tmp_path):
    plan = fx.shop_plan("aws")
    write_outputs(plan, fx.provisioned(plan), tmp_path)
    before = (tmp_path / RUNTIME_CONFIG_FILE).read_bytes()
    with pytest.raises(BadInput):
        write_outputs(plan, fx.provisioned(plan), tmp_path, hosted_services=["nope"])
    assert (tmp_path / RUNTIME_CONFIG_FILE).read_bytes() == before
    assert os.listdir(tmp_path) == [RUNTIME_CONFIG_FILE]


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    plan = fx.shop_plan("aws")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(plan, fx.provisioned(plan), tmp_path)
    assert os.listdir(tmp_path) == []
