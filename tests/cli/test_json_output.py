"""Every `--json` document against its schema in docs/schemas/ (documented in docs/json-output.md).

verify --json and deploy --json need real servers: tests/local/test_verify.py validates them with
`validate` from here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_contract import META, ROOT, run

SCHEMAS = ROOT / "docs" / "schemas"
NAMES = ("verify", "env-list", "env-show", "secret-list", "deploy", "destroy", "status", "preview", "preview-env-up",
         "preview-env-down", "preview-env-list", "preview-env-gc")


def validate(doc: Any, name: str) -> None:
    """Check `doc` against docs/schemas/<name>.json (jsonschema when installed, else the required keys and types)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    try:
        import jsonschema
    except ImportError:
        _check(doc, schema, name)
        return
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema)


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "null": type(None)}


def _check(doc: Any, schema: dict[str, Any], where: str) -> None:
    kinds = schema.get("type")
    if kinds is not None:
        allowed = tuple(_TYPES[k] for k in ([kinds] if isinstance(kinds, str) else kinds))
        assert isinstance(doc, allowed), f"{where}: {type(doc).__name__} is not {kinds}"
    if "enum" in schema:
        assert doc in schema["enum"], f"{where}: {doc!r} not in {schema['enum']}"
    if isinstance(doc, dict):
        for key in schema.get("required", []):
            assert key in doc, f"{where}: missing {key!r}"
        for key, sub in schema.get("properties", {}).items():
            if key in doc:
                _check(doc[key], sub, f"{where}.{key}")
        if schema.get("additionalProperties") is False:
            extra = set(doc) - set(schema.get("properties", {}))
            assert not extra, f"{where}: extra keys {extra}"
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            _check(item, schema["items"], f"{where}[{i}]")


def document(*args: str, cwd: Path = ROOT, code: int = 0) -> Any:
    out = run(*args, cwd=cwd)
    assert out.returncode == code, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", NAMES)
def test_every_schema_is_valid_and_documented(name):
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert f"schemas/{name}.json" in (ROOT / "docs" / "json-output.md").read_text()


def test_env_list_json_and_its_old_spelling():
    doc = document("env", "list", "--json")
    validate(doc, "env-list")
    assert document("env", "list", "--format", "json") == doc
    assert {e["name"] for e in doc} >= {"local", "aws-prod", "gcp-dev", "azure-dev"}


def test_env_show_json():
    validate(document("env", "show", "local"), "env-show")
    validate(document("env", "show", "aws-preview"), "env-show")


def test_status_and_destroy_json_of_an_env_never_deployed(tmp_path):
    state = str(tmp_path / "state")
    validate(document("--state-dir", state, "status", "--env", "local", "--json"), "status")
    doc = document("--state-dir", state, "destroy", "--env", "local", "--yes", "--json")
    validate(doc, "destroy")
    assert doc["destroyed"] is False


def test_secret_list_set_rm_on_the_local_target(tmp_path):
    state = str(tmp_path / "state")
    listed = document("--state-dir", state, "secret", "list", "--env", "local", "--meta", str(META), "--json")
    validate(listed, "secret-list")
    assert [(s["name"], s["set"]) for s in listed["secrets"]] == [("SlackWebhookURL", False)]
    out = run("--state-dir", state, "secret", "set", "--env", "local", "--meta", str(META), "SlackWebhookURL",
              stdin="https://hooks.example/x")
    assert out.returncode == 0, out.stderr
    listed = document("--state-dir", state, "secret", "list", "--env", "local", "--meta", str(META), "--json")
    validate(listed, "secret-list")
    assert listed["secrets"][0]["set"] is True
    assert "hooks.example" not in json.dumps(listed)
    preview = document("--state-dir", state, "preview", "--env", "local", "--meta", str(META), "--format", "json")
    validate(preview, "preview")
    assert run("--state-dir", state, "secret", "rm", "--env", "local", "SlackWebhookURL").returncode == 0
    listed = document("--state-dir", state, "secret", "list", "--env", "local", "--meta", str(META), "--json")
    assert listed["secrets"][0]["set"] is False
    again = run("--state-dir", state, "secret", "rm", "--env", "local", "SlackWebhookURL")
    assert again.returncode == 2 and again.stderr.startswith("error: ")


def test_secret_list_of_an_env_never_deployed_without_meta_is_bad_input(tmp_path):
    out = run("--state-dir", str(tmp_path / "state"), "secret", "list", "--env", "local")
    assert out.returncode == 2 and "--meta" in out.stderr


def test_secret_list_and_rm_on_a_cloud(tmp_path):
    state = str(tmp_path / "state")
    listed = document("--state-dir", state, "secret", "list", "--env", "aws-prod", "--meta", str(META), "--json")
    validate(listed, "secret-list")
    assert listed["secrets"][0]["set"] is None and listed["secrets"][0]["where"].startswith("aws secret ")
    out = run("--state-dir", state, "secret", "rm", "--env", "aws-prod", "SlackWebhookURL")
    assert out.returncode == 7 and "not supported" in out.stderr
