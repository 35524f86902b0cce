"""envs: stack files -> Env; every error names the file and the key; presets per env type."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator import stacks as stack_files
from orchestrator.core.envs import PRESETS, EnvType
from orchestrator.core.errors import BadInput, ExitCode

LOCAL = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
AWS = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n"


def write(tmp_path: Path, text: str, name: str = "dev") -> Path:
    stacks = tmp_path / "stacks"
    stacks.mkdir(exist_ok=True)
    path = stacks / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return stacks


def fails(tmp_path: Path, text: str, *fragments: str, name: str = "dev") -> str:
    stacks = write(tmp_path, text, name)
    with pytest.raises(BadInput) as info:
        stack_files.load(stacks, name)
    message = str(info.value)
    assert str(stacks / f"Pulumi.{name}.yaml") in message, message
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert info.value.exit_code is ExitCode.BAD_INPUT
    return message


ERRORS = {
    "unknown orchestrator key": (LOCAL + "  orchestrator:colour: blue\n", "orchestrator:colour", "unknown key"),
    "unknown nested key": (LOCAL + "  orchestrator:local:\n    port: 1\n", "orchestrator:local.port", "unknown key"),
    "unknown sizing key": (LOCAL + "  orchestrator:sizing:\n    cpus: 4\n", "orchestrator:sizing.cpus"),
    "unknown namespace": (LOCAL + "  kubernetes:context: x\n", "'kubernetes:context'",
                          "unknown namespace 'kubernetes'"),
    "key without namespace": (LOCAL + "  region: x\n", "'region'", "needs a namespace"),
    "bad envType": (LOCAL.replace("development", "staging"), "orchestrator:envType"),
    "missing envType": ("config:\n  orchestrator:cloud: local\n", "orchestrator:envType"),
    "bad cloud": (LOCAL.replace("local", "heroku"), "orchestrator:cloud"),
    "missing cloud": ("config:\n  orchestrator:envType: test\n", "orchestrator:cloud"),
    "bad aws:region": (AWS.replace("eu-west-1", "Europe"), "aws:region 'Europe'"),
    "missing aws:region": (AWS.replace("  aws:region: eu-west-1\n", ""), "aws:region is required"),
    "aws:region not a string": (AWS.replace("eu-west-1", "[1, 2]"), "aws:region is required"),
    "missing gcp:project": ("config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: test\n", "gcp:project"),
    "missing azure location": ("config:\n  orchestrator:cloud: azure\n  orchestrator:envType: test\n",
                               "azure-native:location"),
    "bad YAML": ("config:\n  orchestrator:cloud: [local\n", "not valid YAML"),
    "bad YAML indentation": ("config:\n  a: 1\n b: 2\n", "not valid YAML"),
    "tab YAML": ("config:\n\torchestrator:cloud: local\n", "not valid YAML"),
    "non-mapping list": ("- a\n- b\n", "must be a mapping"),
    "non-mapping scalar": ("just text\n", "must be a mapping"),
    "config not mapping": ("config: [1, 2]\n", "'config' must be a mapping"),
    "unknown top-level key": ("configuration: {}\n", "unknown top-level key 'configuration'"),
    "sizing out of range": (LOCAL + "  orchestrator:sizing:\n    sqlInstances: 99\n",
                            "orchestrator:sizing.sqlInstances"),
    "sizing not mapping": (LOCAL + "  orchestrator:sizing: big\n", "orchestrator:sizing"),
    "min above max": (LOCAL + "  orchestrator:sizing:\n    sqlMinCapacity: 4\n    sqlMaxCapacity: 2\n",
                      "sqlMinCapacity is above sqlMaxCapacity"),
    "bad override key": (LOCAL + "  orchestrator:overrides:\n    orders:\n      cacheReplicas: 1\n", "'orders'"),
    "bad override value": (LOCAL + "  orchestrator:overrides:\n    sql:orders:\n      cacheReplicas: 9\n",
                           "orchestrator:overrides.sql:orders.cacheReplicas"),
    "pr in production": (AWS + "  orchestrator:pr: 3\n", "orchestrator:pr"),
    "bad app name": (LOCAL + "  orchestrator:app: My_App\n", "orchestrator:app"),
    "bad backend": (LOCAL + "  orchestrator:backend: ftp://x\n", "orchestrator:backend"),
    "bad port": (LOCAL + "  orchestrator:local:\n    postgresPort: 80\n", "orchestrator:local.postgresPort"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_error_names_file_and_key(case: str, tmp_path: Path) -> None:
    text, *fragments = ERRORS[case]
    fails(tmp_path, text, *fragments)


def test_bad_yaml_names_line(tmp_path: Path) -> None:
    message = fails(tmp_path, "config:\n  orchestrator:cloud: local\n  x: [\n")
    assert "Pulumi.dev.yaml:" in message


def test_missing_env_lists_known(tmp_path: Path) -> None:
    stacks = write(tmp_path, LOCAL, "dev")
    with pytest.raises(BadInput, match=r"Pulumi\.prod\.yaml: no such environment \(known: dev\)"):
        stack_files.load(stacks, "prod")


def test_bad_env_name(tmp_path: Path) -> None:
    stacks = write(tmp_path, LOCAL, "dev")
    with pytest.raises(BadInput, match="environment name 'Dev_1'"):
        stack_files.load(stacks, "Dev_1")


def test_non_utf8_file(tmp_path: Path) -> None:
    stacks = write(tmp_path, LOCAL)
    (stacks / "Pulumi.dev.yaml").write_bytes(b"config:\n  orchestrator:cloud: \xff\xfe\n")
    with pytest.raises(BadInput, match=r"Pulumi\.dev\.yaml"):
        stack_files.load(stacks, "dev")


@pytest.mark.parametrize("env_type", list(EnvType))
def test_presets_per_env_type(env_type: EnvType, tmp_path: Path) -> None:
    stacks = write(tmp_path, LOCAL.replace("development", env_type.value))
    env = stack_files.load(stacks, "dev")
    assert env.env_type is env_type
    assert env.sizing == PRESETS[env_type]


def test_production_preset_is_safe_and_previews_are_disposable() -> None:
    prod = PRESETS[EnvType.PRODUCTION]
    assert prod.protect and prod.deletion_protection and not prod.force_destroy and prod.high_availability
    assert prod.backup_retention_days >= 7
    for env_type in (EnvType.EPHEMERAL, EnvType.TEST, EnvType.DEVELOPMENT):
        preset = PRESETS[env_type]
        assert not preset.protect and not preset.deletion_protection and preset.force_destroy


def test_sizing_and_overrides_layer_on_preset(tmp_path: Path) -> None:
    text = AWS + (
        "  orchestrator:sizing:\n    sqlMaxCapacity: 16\n"
        "  orchestrator:overrides:\n    sql:orders:\n      sqlInstances: 3\n"
    )
    env = stack_files.load(write(tmp_path, text), "dev")
    assert env.sizing.sql_max_capacity == 16 and env.sizing.protect  # preset kept
    assert env.sizing_for("sql:orders").sql_instances == 3
    assert env.sizing_for("sql:orders").sql_max_capacity == 16
    assert env.sizing_for("sql:other") == env.sizing
    assert env.region == "eu-west-1" and env.cloud == "aws"


def test_empty_file_names_missing_key(tmp_path: Path) -> None:
    fails(tmp_path, "", "orchestrator:cloud")
