"""DeploymentRecord: filled by `new`, loads back from JSON, never holds a secret value."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import rc_fixtures as fx

from orchestrator import records
from orchestrator.core.whoami import host_name, user_name
from orchestrator.records import DeploymentRecord, SecretInRecord, assert_no_secrets


def local_record(**kw: object) -> DeploymentRecord:
    plan = fx.shop_plan("local")
    return DeploymentRecord.new(plan, fx.provisioned(plan), **kw)  # type: ignore[arg-type]


def test_new_fills_who_when_and_which_version(tmp_path: Path) -> None:
    record = local_record(env_vars={"ENCORE_RUNTIME_CONFIG": "x"}, files={"runtime_config": tmp_path / "rc.pb"})
    assert (record.app, record.env, record.cloud, record.language.value) == ("shop", "dev", "local", "typescript")
    assert record.deployed_by == f"{user_name()}@{host_name()}"
    assert record.deployed_at.utcoffset() is not None and record.deployed_at.utcoffset().total_seconds() == 0
    assert record.orchestrator_version
    assert record.files == {"runtime_config": str(tmp_path / "rc.pb")}
    assert record.git_commit is None
    assert "path" not in record.plan["env"]
    assert record.plan == fx.shop_plan("local").model_dump(mode="json", exclude={"env": {"path"}})


def test_round_trips_through_json() -> None:
    record = local_record(graph=[{"type": "postgres:database", "name": "shop-dev-orders"}])
    again = DeploymentRecord.model_validate_json(record.to_json())
    assert again == record
    assert record.to_json().endswith("\n")


def test_a_record_with_an_unknown_plan_shape_still_loads() -> None:
    doc = json.loads(local_record().to_json())
    doc["plan"] = {"app": "shop", "resources": [{"kind": "kind-from-the-future", "name": "x"}]}
    assert DeploymentRecord.model_validate(doc).plan["resources"][0]["kind"] == "kind-from-the-future"


def test_version_falls_back_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "DISTRIBUTION", "no-such-distribution-xyz")
    assert records.orchestrator_version() == "0+unknown"


def test_git_commit_of_a_checkout_and_of_a_plain_directory(tmp_path: Path) -> None:
    assert records.git_commit(tmp_path) is None
    assert records.git_commit(tmp_path / "missing") is None
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    assert records.git_commit(repo) == head
    assert local_record(source_dir=repo).git_commit == head


def test_git_missing_is_not_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert records.git_commit(tmp_path) is None


def test_provisioned_is_redacted() -> None:
    record = local_record()
    assert fx.CANARY not in record.to_json()
    assert record.provisioned["sql_databases"][0]["password"]["value"] == "[secret]"


def test_a_planted_canary_is_refused_wherever_it_is() -> None:
    canary = f"{fx.CANARY}-planted"
    for planted in ({"env_vars": {"API_KEY": canary}}, {"files": {canary: "x"}},
                    {"graph": [{"props": {"nested": [f"prefix {canary} suffix"]}}]}):
        with pytest.raises(SecretInRecord) as err:
            local_record(secret_values=[canary], **planted)
        assert canary not in str(err.value)
    with pytest.raises(SecretInRecord, match="a key of files"):
        local_record(secret_values=[canary], files={canary: "x"})


def test_a_secret_embedded_in_provisioned_is_refused_when_it_leaks_elsewhere() -> None:
    leaked = f"{fx.CANARY}-sql-orders"
    with pytest.raises(SecretInRecord, match=r"env_vars\.DATABASE_URL"):
        local_record(env_vars={"DATABASE_URL": f"postgres://u:{leaked}@h/db"})


def test_assert_no_secrets_ignores_short_values() -> None:
    record = local_record()
    assert_no_secrets(record, ["dev", "shop", ""])
    with pytest.raises(SecretInRecord, match="at app"):
        assert_no_secrets(record.model_copy(update={"app": "shop-canary-value"}), ["canary-value"])
