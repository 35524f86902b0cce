"""The cloud engine's guards and error paths, with the Automation API replaced by fakes.

The Pulumi CLI is not installed here, so no real stack operation runs. The fakes raise what the
Automation API raises (ConcurrentUpdateError, CommandError built from the CLI's real messages)
and return its result types; what the engine does with them is what is tested.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import rc_fixtures as fx
import yaml
from orchestrator.targets import Options
from pulumi import automation as auto
from pulumi.automation import CommandResult, ConcurrentUpdateError, OpType, OutputValue, PreviewResult, UpResult

from orchestrator import stacks
from orchestrator.core import envs
from orchestrator.core.errors import BadInput, ExitCode, Locked, MissingTool, OrchestratorError, PendingOperations
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from orchestrator.engine import operations as pt

REPO = Path(__file__).resolve().parents[2]
DIY_LOCK = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the "
    "lock file with `pulumi cancel`.\n  file:///srv/state/.pulumi/locks/organization/orchestrator/dev/1f2e.json: "
    "created by alice@ci-runner-7 (pid 4242) at 2026-01-05T10:00:00Z\n"
)
CLOUD_LOCK = "error: [409] Conflict: Another update is currently in progress.\n"
BUCKET_URN = "urn:pulumi:dev::orchestrator::orchestrator:aws:Bucket$aws:s3/bucketV2:BucketV2::shop-dev-invoices"
CLUSTER_URN = "urn:pulumi:dev::orchestrator::aws:rds/cluster:Cluster::shop-dev-sql"


def stack_yaml(env_type: str) -> str:
    return f"config:\n  orchestrator:cloud: aws\n  orchestrator:envType: {env_type}\n  aws:region: eu-west-1\n"


def make_env(env_type: str = "development", name: str = "dev", extra: str = "") -> envs.Env:
    Path("stacks").mkdir(exist_ok=True)
    path = Path("stacks") / f"Pulumi.{name}.yaml"
    path.write_text(stack_yaml(env_type) + extra)
    return stacks.load(Path("stacks"), name)


def make_plan(env: envs.Env, language: Language = Language.TYPESCRIPT) -> Plan:
    return fx.make_plan(fx.shop_app(language), env)


def lock_error(stderr: str) -> ConcurrentUpdateError:
    return ConcurrentUpdateError(CommandResult(stdout="", stderr=stderr, code=255))


def pending(op: str, urn: str) -> dict[str, Any]:
    return {"resource": {"urn": urn, "type": urn.split("::")[2].rsplit("$", 1)[-1]}, "type": op}


class UI:
    """Records what the engine says; answers confirmations with `answer`."""

    color = False
    quiet = False

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.said: list[tuple[str, str]] = []

    def __getattr__(self, kind: str) -> Callable[[str], None]:
        if kind not in ("info", "step", "success", "warn", "error"):
            raise AttributeError(kind)
        return lambda text: self.said.append((kind, text))

    def table(self, title: str, columns: Any, rows: Any) -> None:
        self.said.append(("table", json.dumps([title, rows], default=str)))

    def confirm(self, question: str) -> bool:
        self.said.append(("confirm", question))
        return self.answer

    def text(self) -> str:
        return "\n".join(t for _, t in self.said)


class FakeStack:
    """Answers like pulumi.automation.Stack; `fail[op]` lists exceptions raised by successive calls."""

    def __init__(self, outputs: dict[str, Any] | None = None, pending_ops: list[dict[str, Any]] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.outputs = outputs or {}
        self.pending_ops = pending_ops or []
        self.fail: dict[str, list[Exception]] = {}
        self.after_refresh: list[dict[str, Any]] | None = None
        self.name = "dev"

    def _op(self, name: str, kw: dict[str, Any]) -> None:
        self.calls.append((name, {k: v for k, v in kw.items() if k != "on_event"}))
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    @property
    def workspace(self) -> Any:
        return SimpleNamespace(work_dir="/ws", env_vars={"PULUMI_BACKEND_URL": "file:///state"},
                               pulumi_command=SimpleNamespace(run=self._cli))

    def _cli(self, args: list[str], cwd: str, env: dict[str, str]) -> CommandResult:
        assert args == ["stack", "export", "--stack", self.name], args
        assert env["PULUMI_BACKEND_URL"] == "file:///state"
        self.calls.append(("export", {}))
        doc = {"version": 3, "deployment": {"resources": [], "pending_operations": self.pending_ops}}
        return CommandResult(json.dumps(doc), "", 0)

    def preview(self, **kw: Any) -> PreviewResult:
        self._op("preview", kw)
        return PreviewResult("", "", {OpType.CREATE: 3, OpType.SAME: 1})

    def up(self, **kw: Any) -> UpResult:
        self._op("up", kw)
        return UpResult("", "", summary=None, outputs=self.outputs)  # type: ignore[arg-type]

    def destroy(self, **kw: Any) -> None:
        self._op("destroy", kw)

    def refresh(self, **kw: Any) -> None:
        self._op("refresh", kw)
        if self.after_refresh is not None:
            self.pending_ops = self.after_refresh

    def cancel(self) -> None:
        self._op("cancel", {})


class Api:
    def __init__(self) -> None:
        self.stack = FakeStack()
        self.calls: list[tuple[str, dict[str, Any]]] = []


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setattr(pt.time, "sleep", lambda s: None)
    return tmp_path


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Api:
    """A present CLI and Automation API entry points that hand out `api.stack`."""
    fake = Api()

    def command(**kw: Any) -> str:
        fake.calls.append(("PulumiCommand", kw))
        return "pulumi-command"

    def create_or_select_stack(name: str, **kw: Any) -> FakeStack:
        fake.calls.append(("create_or_select_stack", {"name": name, **kw}))
        return fake.stack

    def select_stack(name: str, **kw: Any) -> FakeStack:
        fake.calls.append(("select_stack", {"name": name, **kw}))
        return fake.stack

    monkeypatch.setattr(pt.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    monkeypatch.setattr(auto, "PulumiCommand", command)
    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    monkeypatch.setattr(auto, "select_stack", select_stack)
    return fake


@pytest.fixture
def untouchable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any look for the CLI or call into the Automation API fails the test."""

    def forbidden(*a: Any, **kw: Any) -> Any:
        raise AssertionError("the Automation API (or the CLI lookup) was used")

    monkeypatch.setattr(pt.shutil, "which", forbidden)
    for name in ("PulumiCommand", "LocalWorkspace", "LocalWorkspaceOptions", "create_or_select_stack", "select_stack",
                 "create_stack"):
        monkeypatch.setattr(auto, name, forbidden)


def opts(**kw: Any) -> Options:
    return Options(state_root=Path("state"), stacks_dir=Path("stacks"), **kw)


def outputs_for(plan: Plan) -> dict[str, Any]:
    return {"provisioned": OutputValue(fx.provisioned(plan).model_dump(mode="json"), False),
            "runtime_config_bucket": OutputValue("shop-dev-config", False), "cron_jobs": OutputValue([], False)}


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str, str | None]]:
    from providers.aws import delivery as config_upload

    done: list[tuple[Path, str, str | None]] = []

    def upload(path: Path, *, bucket: str, region: str | None, key: str = config_upload.KEY, client: Any = None) -> str:
        done.append((path, bucket, region))
        return f"s3://{bucket}/{key}"

    monkeypatch.setattr(config_upload, "upload", upload)
    return done


# ---------------------------------------------------------------------------- missing CLI


@pytest.mark.parametrize("operation", ["deploy", "preview", "destroy", "refresh", "status"])
def test_a_missing_cli_is_exit_6_with_the_install_hint(operation: str, untouchable: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pt.shutil, "which", lambda name: None)
    env = make_env()
    call: dict[str, Callable[[], int]] = {
        "deploy": lambda: pt.deploy(make_plan(env), fx.shop_app(), opts(yes=True), UI()),  # type: ignore[arg-type]
        "preview": lambda: pt.preview(make_plan(env), fx.shop_app(), opts(), UI()),  # type: ignore[arg-type]
        "destroy": lambda: pt.destroy(env, opts(yes=True), UI()),  # type: ignore[arg-type]
        "refresh": lambda: pt.refresh(env, opts(), UI()),  # type: ignore[arg-type]
        "status": lambda: pt.status(env, opts(), UI()),  # type: ignore[arg-type]
    }
    with pytest.raises(MissingTool) as info:
        call[operation]()
    assert info.value.exit_code == ExitCode.MISSING_TOOL == 6
    assert "curl -fsSL https://get.pulumi.com | sh" in str(info.value)
    assert "\n" not in str(info.value)
    assert not Path("state").exists()


def test_a_cli_that_vanishes_after_the_lookup_is_still_missing_tool(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def gone(**kw: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "pulumi")

    monkeypatch.setattr(auto, "PulumiCommand", gone)
    with pytest.raises(MissingTool, match=r"get\.pulumi\.com"):
        pt.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_an_old_cli_is_missing_tool_naming_the_minimum(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def old(**kw: Any) -> Any:
        raise auto.InvalidVersionError("Minimum version requirement failed. The minimum CLI version is 3.200.0")

    monkeypatch.setattr(auto, "PulumiCommand", old)
    with pytest.raises(MissingTool, match=r"too old .* 3\.200\.0 or newer"):
        pt.status(make_env(), opts(), UI())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- --yes and confirmation


@pytest.mark.parametrize("operation", ["deploy", "destroy"])
def test_non_interactive_without_yes_is_exit_2_and_touches_nothing(operation: str, untouchable: None) -> None:
    env = make_env()
    with pytest.raises(BadInput) as info:
        if operation == "deploy":
            pt.deploy(make_plan(env), fx.shop_app(), opts(interactive=False), UI())  # type: ignore[arg-type]
        else:
            pt.destroy(env, opts(interactive=False), UI())  # type: ignore[arg-type]
    assert info.value.exit_code == ExitCode.BAD_INPUT == 2
    assert "--yes" in str(info.value)
    assert not Path("state").exists()


def test_interactive_deploy_previews_then_stops_when_declined(api: Api, uploads: list[Any]) -> None:
    ui = UI(answer=False)
    env = make_env()
    assert pt.deploy(make_plan(env), fx.shop_app(), opts(interactive=True), ui) == 1  # type: ignore[arg-type]
    assert api.stack.names() == ["export", "preview"]
    assert ("confirm", "Apply these changes to dev?") in ui.said
    assert uploads == []


def test_production_deploy_prints_the_preview_first_even_with_yes(api: Api, uploads: list[Any]) -> None:
    env = make_env("production")
    plan = make_plan(env)
    api.stack.outputs = outputs_for(plan)
    ui = UI()
    assert pt.deploy(plan, fx.shop_app(), opts(yes=True), ui) == 0  # type: ignore[arg-type]
    assert api.stack.names() == ["export", "preview", "up"]
    assert not any(kind == "confirm" for kind, _ in ui.said)


def test_production_destroy_needs_yes_and_the_typed_name(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    env = make_env("production")
    with pytest.raises(BadInput, match="needs --yes and typing its name"):
        pt.destroy(env, opts(interactive=True), UI())  # type: ignore[arg-type]
    assert api.calls == []

    monkeypatch.setattr(click, "prompt", lambda *a, **kw: "dev2")
    assert pt.destroy(env, opts(interactive=True, yes=True), UI()) == 1  # type: ignore[arg-type]
    assert api.stack.names() == []

    monkeypatch.setattr(click, "prompt", lambda *a, **kw: "dev")
    assert pt.destroy(env, opts(interactive=True, yes=True), UI()) == 0  # type: ignore[arg-type]
    assert api.stack.names() == ["export", "destroy"]
    assert api.stack.calls[-1][1]["show_secrets"] is False


# ---------------------------------------------------------------------------- secrets provider


def test_the_passphrase_provider_needs_a_passphrase_and_none_is_invented(untouchable: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setattr(pt.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    with pytest.raises(BadInput, match="PULUMI_CONFIG_PASSPHRASE") as info:
        pt.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]
    assert str(info.value).startswith("stacks/Pulumi.dev.yaml: ")


def test_a_passphrase_file_is_enough(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/run/secrets/pp")
    assert pt.refresh(make_env(), opts(), UI()) == 0  # type: ignore[arg-type]
    ws = api.calls[-1][1]["opts"]
    assert "PULUMI_CONFIG_PASSPHRASE" not in ws.env_vars and "PULUMI_CONFIG_PASSPHRASE_FILE" not in ws.env_vars


def test_a_kms_provider_needs_its_key_url(untouchable: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pt.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    env = make_env(extra="  orchestrator:secretsProvider: awskms\n")
    with pytest.raises(BadInput, match="awskms://"):
        pt.refresh(env, opts(), UI())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- locks


def test_a_locked_stack_is_exit_3_naming_the_holder(api: Api) -> None:
    api.stack.fail["up"] = [lock_error(DIY_LOCK)]
    env = make_env()
    with pytest.raises(Locked) as info:
        pt.deploy(make_plan(env), fx.shop_app(), opts(yes=True), UI())  # type: ignore[arg-type]
    message = str(info.value)
    assert info.value.exit_code == ExitCode.LOCKED == 3
    assert "alice@ci-runner-7 (pid 4242) since 2026-01-05T10:00:00Z" in message
    assert "file:///srv/state/.pulumi/locks/organization/orchestrator/dev/1f2e.json" in message
    assert "--force-unlock" in message
    assert "\n" not in message


def test_a_pulumi_cloud_conflict_is_locked_without_a_holder(api: Api) -> None:
    api.stack.fail["refresh"] = [lock_error(CLOUD_LOCK)]
    with pytest.raises(Locked, match="another update of this stack is in progress"):
        pt.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_lock_timeout_waits_for_the_holder(api: Api) -> None:
    api.stack.fail["refresh"] = [lock_error(DIY_LOCK), lock_error(DIY_LOCK)]
    ui = UI()
    assert pt.refresh(make_env(), opts(lock_timeout=60), ui) == 0  # type: ignore[arg-type]
    assert api.stack.names().count("refresh") == 3
    assert "waiting up to" in ui.text()


def test_force_unlock_breaks_a_dead_runs_lock_and_retries(api: Api) -> None:
    api.stack.fail["destroy"] = [lock_error(DIY_LOCK)]
    assert pt.destroy(make_env(), opts(yes=True, force_unlock=True), UI()) == 0  # type: ignore[arg-type]
    assert api.stack.names() == ["export", "destroy", "cancel", "destroy"]


def test_force_unlock_leaves_a_live_local_holder_alone(api: Api) -> None:
    here = DIY_LOCK.replace("alice@ci-runner-7 (pid 4242)", f"bob@{socket.gethostname()} (pid {os.getpid()})")
    api.stack.fail["refresh"] = [lock_error(here)]
    with pytest.raises(Locked, match="still running here"):
        pt.refresh(make_env(), opts(force_unlock=True), UI())  # type: ignore[arg-type]
    assert "cancel" not in api.stack.names()


# ---------------------------------------------------------------------------- pending operations


def test_pending_creates_stop_a_deploy_with_the_recovery_commands(api: Api) -> None:
    api.stack.pending_ops = [pending("creating", BUCKET_URN)]
    env = make_env()
    with pytest.raises(PendingOperations) as info:
        pt.deploy(make_plan(env), fx.shop_app(), opts(yes=True), UI())  # type: ignore[arg-type]
    message = str(info.value)
    assert info.value.exit_code == ExitCode.PENDING_OPERATIONS == 5
    assert "creating aws:s3/bucketV2:BucketV2 shop-dev-invoices" in message
    assert BUCKET_URN in message
    work = Path("state/pulumi/workspaces/dev").absolute()
    assert f"pulumi -C {work} refresh --stack dev --yes --import-pending-creates <urn> <cloud id>" in message
    assert f"pulumi -C {work} refresh --stack dev --yes --clear-pending-creates" in message
    assert "orchestrator refresh" not in message
    assert "\n" not in message
    assert "up" not in api.stack.names()


def test_pending_updates_point_at_orchestrator_refresh(api: Api) -> None:
    api.stack.pending_ops = [pending("updating", CLUSTER_URN), pending("deleting", BUCKET_URN)]
    with pytest.raises(PendingOperations) as info:
        pt.destroy(make_env(), opts(yes=True), UI())  # type: ignore[arg-type]
    assert "`orchestrator refresh --env dev`" in str(info.value)
    assert "--clear-pending-creates" not in str(info.value)
    assert "destroy" not in api.stack.names()


def test_refresh_clears_updates_but_reports_creates_it_cannot(api: Api) -> None:
    api.stack.pending_ops = [pending("updating", CLUSTER_URN), pending("creating", BUCKET_URN)]
    api.stack.after_refresh = [pending("creating", BUCKET_URN)]
    with pytest.raises(PendingOperations, match="--clear-pending-creates"):
        pt.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]
    assert api.stack.names() == ["refresh", "export"]

    api.stack.pending_ops, api.stack.after_refresh = [pending("updating", CLUSTER_URN)], []
    assert pt.refresh(make_env(), opts(), UI()) == 0  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- other failures


def test_a_wrong_passphrase_is_bad_input(api: Api) -> None:
    result = CommandResult("", "error: constructing secrets manager of type \"passphrase\": incorrect passphrase", 255)
    api.stack.fail["refresh"] = [auto.CommandError(result)]
    with pytest.raises(BadInput, match="PULUMI_CONFIG_PASSPHRASE does not decrypt"):
        pt.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_an_engine_failure_is_one_line_with_the_cli_error(api: Api) -> None:
    result = CommandResult("", "warning: A new version of Pulumi is available.\nerror: update failed\n", 255)
    api.stack.fail["destroy"] = [auto.CommandError(result)]
    with pytest.raises(OrchestratorError) as info:
        pt.destroy(make_env(), opts(yes=True), UI())  # type: ignore[arg-type]
    assert str(info.value) == "env dev: pulumi destroy failed: update failed"
    assert info.value.exit_code == ExitCode.FAILURE


def test_a_missing_stack_has_nothing_to_destroy(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str, **kw: Any) -> Any:
        raise auto.StackNotFoundError(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(auto, "select_stack", missing)
    ui = UI()
    assert pt.destroy(make_env(), opts(yes=True), ui) == 0  # type: ignore[arg-type]
    assert "nothing to destroy" in ui.text()


# ---------------------------------------------------------------------------- a successful deploy


def test_deploy_runs_the_program_writes_uploads_and_records(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    plan = make_plan(env)
    api.stack.outputs = outputs_for(plan)
    ui = UI()

    assert pt.deploy(plan, fx.shop_app(), opts(yes=True, meta_path=Path("app/meta.pb")), ui) == 0  # type: ignore[arg-type]

    name, call = api.calls[-1]
    assert name == "create_or_select_stack" and call["name"] == "dev" and call["project_name"] == pt.PROJECT
    assert callable(call["program"])
    ws = call["opts"]
    work = Path("state/pulumi/workspaces/dev").absolute()
    assert ws.work_dir == str(work)
    assert ws.secrets_provider == "passphrase"
    assert ws.env_vars["PULUMI_BACKEND_URL"] == f"file://{Path('state/pulumi').absolute()}"
    assert "PULUMI_CONFIG_PASSPHRASE" not in ws.env_vars
    assert api.stack.names() == ["export", "up"]
    assert api.stack.calls[-1][1] == {"color": "never", "show_secrets": False}

    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    assert project["name"] == pt.PROJECT
    assert project["backend"]["url"] == ws.env_vars["PULUMI_BACKEND_URL"]
    assert (work / project["stackConfigDir"]).resolve() == Path("stacks").resolve()

    out = Path("state/aws/dev").absolute()
    pb = out / "runtime-config.pb"
    assert uploads == [(pb, "shop-dev-config", "eu-west-1")]
    assert stat.S_IMODE(pb.stat().st_mode) == 0o600
    record = json.loads((out / "deployment.json").read_text())
    assert record["provisioned"]["runtime_config_url"] == "s3://shop-dev-config/runtime-config.pb"

    values = pt.env_vars(env, opts())
    assert values["ENCORE_RUNTIME_CONFIG_PATH"] == "s3://shop-dev-config/runtime-config.pb"
    assert values["AWS_REGION"] == "eu-west-1"
    sources = json.loads(values[pt.SECRETS_VAR])
    sql = {plan.get(f"sql:{db}").names["password_env"]: f"arn:secret:{db}" for db in ("billing", "orders")}
    assert sources == {**sql, "CACHE_SESSIONS_AUTH": None, "SVC_KEY_1": None, "SVC_KEY_2": None,
                       **{plan.get(f"secret:{s}").names["env"]: None for s in ("SlackHook", "StripeKey")}}
    assert "shop-dev-config" in ui.text()


def test_a_go_app_gets_the_infra_config_and_no_upload(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    plan = make_plan(env, Language.GO)
    api.stack.outputs = outputs_for(plan)
    assert pt.deploy(plan, fx.shop_app(Language.GO), opts(yes=True), UI()) == 0  # type: ignore[arg-type]
    assert uploads == []
    path = Path("state/aws/dev/infra.config.json").absolute()
    assert pt.env_vars(env, opts())["ENCORE_INFRA_CONFIG_PATH"] == str(path)


def test_without_the_bucket_output_the_deploy_says_what_is_missing(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    plan = make_plan(env)
    api.stack.outputs = {k: v for k, v in outputs_for(plan).items() if k != "runtime_config_bucket"}
    with pytest.raises(OrchestratorError, match="runtime_config_bucket"):
        pt.deploy(plan, fx.shop_app(), opts(yes=True), UI())  # type: ignore[arg-type]


def test_an_invalid_provisioned_output_names_the_field_not_the_value(api: Api) -> None:
    env = make_env()
    plan = make_plan(env)
    bad = fx.provisioned(plan).model_dump(mode="json")
    bad["secrets"][0]["ref"] = {"value": fx.CANARY}
    api.stack.outputs = {**outputs_for(plan), "provisioned": OutputValue(bad, False)}
    with pytest.raises(OrchestratorError) as info:
        pt.deploy(plan, fx.shop_app(), opts(yes=True), UI())  # type: ignore[arg-type]
    assert "plaintext secret values are only allowed for the local cloud" in str(info.value)
    assert fx.CANARY not in str(info.value)


def test_env_vars_before_any_deploy_says_so(untouchable: None) -> None:
    with pytest.raises(BadInput, match="orchestrator deploy --env dev"):
        pt.env_vars(make_env(), opts())


# ---------------------------------------------------------------------------- names and project


def test_the_secret_name_is_the_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_env(extra="  orchestrator:app: shop\n")
    plan = make_plan(env)
    assert pt.secret_name(env, "StripeKey", opts()) == plan.get("secret:StripeKey").names["secret"]
    with pytest.raises(BadInput, match=r"orchestrator:app .* --meta"):
        pt.secret_name(make_env(), "StripeKey", opts())


def test_a_backend_from_the_stack_file_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://from-env")
    assert pt.backend_url(make_env(), opts()) == "s3://from-env"
    env = make_env(extra="  orchestrator:backend: file://./pulumi-state\n")
    assert pt.backend_url(env, opts()) == f"file://{Path('pulumi-state').absolute()}"


def test_the_repository_pulumi_yaml_names_the_same_project() -> None:
    """`pulumi preview -s ENV` in the repository must find the stacks `orchestrator deploy` made."""
    path = REPO / "Pulumi.yaml"
    if not path.exists():
        pytest.skip("no Pulumi.yaml in the repository yet")
    assert yaml.safe_load(path.read_text())["name"] == pt.PROJECT


# ---------------------------------------------------------------------------- the security-baseline gate


def test_a_blocking_policy_violation_is_exit_4_before_any_engine_call(
    untouchable: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator import policy

    def violating(resources: Any, env_type: Any, rules: Any) -> list[policy.Violation]:
        return [policy.Violation("R-S3-04", "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "no TLS-only policy"),
                policy.Violation("R-SEC-01", "urn:pulumi:dev::p::aws:secretsmanager/secret:Secret::s", "no CMK",
                                 advisory=True)]

    monkeypatch.setattr(policy, "evaluate", violating)
    ui = UI()
    env = make_env()
    with pytest.raises(OrchestratorError) as info:
        pt.deploy(make_plan(env), fx.shop_app(), opts(yes=True), ui)  # type: ignore[arg-type]
    assert info.value.exit_code == ExitCode.POLICY == 4
    assert "R-S3-04" in str(info.value) and "R-SEC-01" not in str(info.value)
    notes = "policy: not blocking (advisory here, or a documented exception): R-SEC-01 (advisory) x1"
    assert ("warn", notes) in ui.said


def test_the_real_program_passes_the_gate(untouchable: None) -> None:
    ui = UI()
    env = make_env("production")
    pt.check_policy(make_plan(env), opts(), ui)  # type: ignore[arg-type]
    assert all(text.startswith("policy: not blocking") for kind, text in ui.said if kind == "warn")
