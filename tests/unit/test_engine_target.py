"""A Pulumi cloud env through orchestrator/pipeline.py and the engine target, with the Automation API faked.

The Pulumi CLI is not installed here, so no real stack operation runs. The fakes raise what the
Automation API raises (ConcurrentUpdateError, CommandError built from the CLI's real messages)
and return its result types; what the engine and the pipeline do with them is what is tested.
What the pipeline owns (asking, --yes, the app diff, the record in the state store, the secret's
physical name) is tested through `pipeline.<verb>`; what the engine owns (the CLI, the secrets
provider, Pulumi's stack lock, pending operations, engine failures) through `engine.target`.
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
from pulumi import automation as auto
from pulumi.automation import CommandResult, ConcurrentUpdateError, OpType, OutputValue, PreviewResult, UpResult

from orchestrator import pipeline, stacks
from orchestrator.core import envs
from orchestrator.core.errors import BadInput, ExitCode, Locked, MissingTool, OrchestratorError, PendingOperations
from orchestrator.core.model import Language
from orchestrator.core.plan import Plan
from orchestrator.engine import operations as engine_ops
from orchestrator.engine import policy_gate, target, workspace
from orchestrator.records import DeploymentRecord
from orchestrator.source import Source
from providers.base import Options

REPO = Path(__file__).resolve().parents[2]
META = Path("app/meta.pb")
DIY_LOCK = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the "
    "lock file with `pulumi cancel`.\n  file:///srv/state/.pulumi/locks/organization/orchestrator/dev/1f2e.json: "
    "created by alice@ci-runner-7 (pid 4242) at 2026-01-05T10:00:00Z\n"
)
CLOUD_LOCK = "error: [409] Conflict: Another update is currently in progress.\n"
BUCKET_URN = "urn:pulumi:dev::orchestrator::orchestrator:aws:Bucket$aws:s3/bucketV2:BucketV2::shop-dev-invoices"
CLUSTER_URN = "urn:pulumi:dev::orchestrator::aws:rds/cluster:Cluster::shop-dev-sql"
PASSPHRASE = "passphrase-canary-7c41d2"
PREVIEW_LINE = ("info", "~ pulumi preview: 3 to create, 1 unchanged")


def stack_yaml(env_type: str) -> str:
    return (f"config:\n  orchestrator:cloud: aws\n  orchestrator:envType: {env_type}\n  aws:region: eu-west-1\n"
            "  orchestrator:aws:\n    gatewayBaseUrl: https://api.example.com\n")


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
    """Records what is said; answers confirmations with `answer`; `interactive` is whether a terminal is there."""

    color = False
    quiet = False

    def __init__(self, answer: bool = True, *, interactive: bool = False) -> None:
        self.answer = answer
        self.interactive = interactive
        self.said: list[tuple[str, str]] = []

    def __getattr__(self, kind: str) -> Callable[[str], None]:
        if kind not in ("info", "step", "success", "warn", "error", "text"):
            raise AttributeError(kind)
        return lambda text: self.said.append((kind, text))

    def table(self, title: str, columns: Any, rows: Any) -> None:
        self.said.append(("table", json.dumps([title, rows], default=str)))

    def confirm(self, question: str) -> bool:
        self.said.append(("confirm", question))
        return self.answer

    def all_text(self) -> str:
        return "\n".join(t for _, t in self.said)

    def asked(self) -> list[str]:
        return [t for kind, t in self.said if kind == "confirm"]


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

    def stacks_opened(self) -> list[str]:
        return [name for name, _ in self.calls if name != "PulumiCommand"]


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv(pipeline.STORE_VAR, raising=False)
    monkeypatch.setattr(engine_ops.time, "sleep", lambda s: None)
    return tmp_path


@pytest.fixture(autouse=True)
def app(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """What `--meta` holds: the shop app in `app.language` (set it before the verb runs); `app.read` counts reads."""
    current = SimpleNamespace(language=Language.TYPESCRIPT, read=[])

    def read_source(meta: Path | str, app_root: Path | None = None) -> Source:
        current.read.append(meta)
        return Source(app=fx.shop_app(current.language), meta=b"\x0a\x04shop", where=str(meta), app_root=app_root)

    monkeypatch.setattr(pipeline, "read_source", read_source)
    return current


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

    monkeypatch.setattr(workspace.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    monkeypatch.setattr(auto, "PulumiCommand", command)
    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    monkeypatch.setattr(auto, "select_stack", select_stack)
    return fake


@pytest.fixture
def untouchable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any look for the CLI or call into the Automation API fails the test."""

    def forbidden(*a: Any, **kw: Any) -> Any:
        raise AssertionError("the Automation API (or the CLI lookup) was used")

    monkeypatch.setattr(workspace.shutil, "which", forbidden)
    for name in ("PulumiCommand", "LocalWorkspace", "LocalWorkspaceOptions", "create_or_select_stack", "select_stack",
                 "create_stack"):
        monkeypatch.setattr(auto, name, forbidden)


def opts(**kw: Any) -> Options:
    return Options(state_root=Path("state"), stacks_dir=Path("stacks"), **kw)


def context(ui: UI) -> pipeline.Context:
    return pipeline.Context(stacks_dir=Path("stacks"), state_root=Path("state"), ui=ui)  # type: ignore[arg-type]


def deploy(ui: UI, *, yes: bool = True, env: str = "dev", **kw: Any) -> dict[str, Any]:
    return pipeline.deploy(context(ui), env, META, None, yes=yes, allow_destroy=False, **kw)


def store() -> Any:
    return context(UI()).store()


def state_files() -> list[str]:
    return sorted(p.relative_to("state").as_posix() for p in Path("state").rglob("*") if p.is_file())


def outputs_for(plan: Plan) -> dict[str, Any]:
    return {"provisioned": OutputValue(fx.provisioned(plan).model_dump(mode="json"), False),
            "runtime_config_bucket": OutputValue("shop-dev-config", False), "cron_jobs": OutputValue([], False)}


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str, str | None]]:
    from providers.aws import delivery

    done: list[tuple[Path, str, str | None]] = []

    def upload(path: Path, *, bucket: str, region: str | None, key: str = delivery.KEY, client: Any = None) -> str:
        done.append((path, bucket, region))
        return f"s3://{bucket}/{key}"

    monkeypatch.setattr(delivery, "upload", upload)
    return done


# ---------------------------------------------------------------------------- missing CLI


@pytest.mark.parametrize("verb", ["deploy", "preview", "destroy", "refresh", "status"])
def test_a_missing_cli_is_exit_6_with_the_install_hint(verb: str, untouchable: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace.shutil, "which", lambda name: None)
    make_env()
    ctx = context(UI())
    call: dict[str, Callable[[], Any]] = {
        "deploy": lambda: deploy(UI()),
        "preview": lambda: pipeline.preview(ctx, "dev", META, pulumi=True),
        "destroy": lambda: pipeline.destroy(ctx, "dev", yes=True),
        "refresh": lambda: pipeline.refresh(ctx, "dev"),
        "status": lambda: pipeline.status(ctx, "dev"),
    }
    with pytest.raises(MissingTool) as info:
        call[verb]()
    assert info.value.exit_code == ExitCode.MISSING_TOOL == 6
    assert "curl -fsSL https://get.pulumi.com | sh" in str(info.value)
    assert "\n" not in str(info.value)
    # destroy and refresh take the env's lock in the state store first; nothing else is written
    assert state_files() == (["state/envs/dev/lock"] if verb in ("destroy", "refresh") else [])


def test_a_cli_that_vanishes_after_the_lookup_is_still_missing_tool(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def gone(**kw: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "pulumi")

    monkeypatch.setattr(auto, "PulumiCommand", gone)
    with pytest.raises(MissingTool, match=r"get\.pulumi\.com"):
        target.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_an_old_cli_is_missing_tool_naming_the_minimum(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def old(**kw: Any) -> Any:
        raise auto.InvalidVersionError("Minimum version requirement failed. The minimum CLI version is 3.200.0")

    monkeypatch.setattr(auto, "PulumiCommand", old)
    with pytest.raises(MissingTool, match=r"too old .* 3\.200\.0 or newer"):
        target.status(make_env(), opts(), UI())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- --yes and confirmation


@pytest.mark.parametrize("verb", ["deploy", "destroy"])
def test_non_interactive_without_yes_is_exit_2_and_touches_nothing(verb: str, untouchable: None) -> None:
    make_env()
    ui = UI(interactive=False)
    with pytest.raises(BadInput) as info:
        if verb == "deploy":
            deploy(ui, yes=False)
        else:
            pipeline.destroy(context(ui), "dev", yes=False)
    assert info.value.exit_code == ExitCode.BAD_INPUT == 2
    assert "--yes" in str(info.value)
    assert ui.asked() == []
    assert not Path("state").exists()


def test_a_gateway_without_its_base_url_is_exit_2_naming_the_stack_key_and_touches_nothing(untouchable: None) -> None:
    """stacks/Pulumi.aws-preview.yaml sets no URL; the runtime config would tell the app its API lives at ""."""
    Path("stacks").mkdir()
    Path("stacks/Pulumi.dev.yaml").write_text(stack_yaml("ephemeral").split("  orchestrator:aws:")[0])
    with pytest.raises(BadInput) as info:
        deploy(UI())
    assert info.value.exit_code == 2
    assert "orchestrator:aws.gatewayBaseUrl" in str(info.value)
    assert not Path("state").exists()


def test_interactive_deploy_shows_both_diffs_asks_once_and_stops_when_declined(api: Api, uploads: list[Any]) -> None:
    ui = UI(answer=False, interactive=True)
    make_env()
    with pytest.raises(pipeline.Cancelled):
        deploy(ui, yes=False)
    assert api.stack.names() == ["export", "preview"]
    assert ui.asked() == ["Apply these changes to dev?"]
    before = ui.said[:ui.said.index(("confirm", "Apply these changes to dev?"))]
    app_diff = [t for kind, t in before if kind == "text"]
    assert len(app_diff) == 1 and "+ service:orders" in app_diff[0] and "env dev: " in app_diff[0]
    assert PREVIEW_LINE in before
    assert ("warn", "deploy cancelled; nothing in dev changed") in ui.said
    assert uploads == []
    assert store().read("dev") is None


def test_production_deploy_prints_the_engines_preview_first_even_with_yes(api: Api, uploads: list[Any]) -> None:
    env = make_env("production")
    api.stack.outputs = outputs_for(make_plan(env))
    ui = UI()
    assert deploy(ui)["changed"] is True
    assert api.stack.names() == ["export", "preview", "export", "up"]
    assert PREVIEW_LINE in ui.said
    assert ui.said.index(PREVIEW_LINE) < next(i for i, (kind, t) in enumerate(ui.said) if t.startswith("deployed "))
    assert ui.asked() == []
    assert store().read("dev") is not None


def test_production_destroy_needs_yes_and_the_typed_name(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    make_env("production")
    ctx = context(UI(interactive=True))
    with pytest.raises(BadInput, match="needs --yes and typing its name"):
        pipeline.destroy(ctx, "dev", yes=False)
    assert api.calls == []

    monkeypatch.setattr(click, "prompt", lambda *a, **kw: "dev2")
    with pytest.raises(pipeline.Cancelled):
        pipeline.destroy(ctx, "dev", yes=True)
    assert api.stack.names() == []

    monkeypatch.setattr(click, "prompt", lambda *a, **kw: "dev")
    assert pipeline.destroy(ctx, "dev", yes=True) == {"env": "dev", "destroyed": True}
    assert api.stack.names() == ["export", "destroy"]
    assert api.stack.calls[-1][1]["show_secrets"] is False


# ---------------------------------------------------------------------------- secrets provider


def test_the_passphrase_provider_needs_a_passphrase_and_none_is_invented(untouchable: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setattr(workspace.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    with pytest.raises(BadInput, match="PULUMI_CONFIG_PASSPHRASE") as info:
        target.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]
    assert str(info.value).startswith("stacks/Pulumi.dev.yaml: ")


def test_a_passphrase_file_is_enough(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/run/secrets/pp")
    assert target.refresh(make_env(), opts(), UI()) == 0  # type: ignore[arg-type]
    ws = api.calls[-1][1]["opts"]
    assert "PULUMI_CONFIG_PASSPHRASE" not in ws.env_vars and "PULUMI_CONFIG_PASSPHRASE_FILE" not in ws.env_vars


def test_a_kms_provider_needs_its_key_url(untouchable: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    env = make_env(extra="  orchestrator:secretsProvider: awskms\n")
    with pytest.raises(BadInput, match="awskms://"):
        target.refresh(env, opts(), UI())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- locks


def test_a_locked_stack_is_exit_3_naming_the_holder(api: Api, uploads: list[Any]) -> None:
    api.stack.fail["up"] = [lock_error(DIY_LOCK)]
    make_env()
    with pytest.raises(Locked) as info:
        deploy(UI())
    message = str(info.value)
    assert info.value.exit_code == ExitCode.LOCKED == 3
    assert "alice@ci-runner-7 (pid 4242) since 2026-01-05T10:00:00Z" in message
    assert "file:///srv/state/.pulumi/locks/organization/orchestrator/dev/1f2e.json" in message
    assert "--force-unlock" in message
    assert "\n" not in message
    assert uploads == []
    assert store().read("dev") is None


def test_a_pulumi_cloud_conflict_is_locked_without_a_holder(api: Api) -> None:
    api.stack.fail["refresh"] = [lock_error(CLOUD_LOCK)]
    with pytest.raises(Locked, match="another update of this stack is in progress"):
        target.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_lock_timeout_waits_for_the_holder(api: Api) -> None:
    api.stack.fail["refresh"] = [lock_error(DIY_LOCK), lock_error(DIY_LOCK)]
    make_env()
    ui = UI()
    assert pipeline.refresh(context(ui), "dev", lock_timeout=60) == 0
    assert api.stack.names().count("refresh") == 3
    assert "waiting up to" in ui.all_text()


def test_force_unlock_breaks_a_dead_runs_lock_and_retries(api: Api) -> None:
    api.stack.fail["destroy"] = [lock_error(DIY_LOCK)]
    make_env()
    assert pipeline.destroy(context(UI()), "dev", yes=True, force_unlock=True) == {"env": "dev", "destroyed": True}
    assert api.stack.names() == ["export", "destroy", "cancel", "destroy"]


def test_force_unlock_leaves_a_live_local_holder_alone(api: Api) -> None:
    here = DIY_LOCK.replace("alice@ci-runner-7 (pid 4242)", f"bob@{socket.gethostname()} (pid {os.getpid()})")
    api.stack.fail["refresh"] = [lock_error(here)]
    with pytest.raises(Locked, match="still running here"):
        target.refresh(make_env(), opts(force_unlock=True), UI())  # type: ignore[arg-type]
    assert "cancel" not in api.stack.names()


# ---------------------------------------------------------------------------- pending operations


def test_pending_creates_stop_a_deploy_with_the_recovery_commands(api: Api, uploads: list[Any]) -> None:
    api.stack.pending_ops = [pending("creating", BUCKET_URN)]
    make_env()
    with pytest.raises(PendingOperations) as info:
        deploy(UI())
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
    assert store().read("dev") is None


def test_pending_updates_point_at_orchestrator_refresh(api: Api) -> None:
    api.stack.pending_ops = [pending("updating", CLUSTER_URN), pending("deleting", BUCKET_URN)]
    make_env()
    with pytest.raises(PendingOperations) as info:
        pipeline.destroy(context(UI()), "dev", yes=True)
    assert "`orchestrator refresh --env dev`" in str(info.value)
    assert "--clear-pending-creates" not in str(info.value)
    assert "destroy" not in api.stack.names()


def test_refresh_clears_updates_but_reports_creates_it_cannot(api: Api) -> None:
    api.stack.pending_ops = [pending("updating", CLUSTER_URN), pending("creating", BUCKET_URN)]
    api.stack.after_refresh = [pending("creating", BUCKET_URN)]
    with pytest.raises(PendingOperations, match="--clear-pending-creates"):
        target.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]
    assert api.stack.names() == ["refresh", "export"]

    api.stack.pending_ops, api.stack.after_refresh = [pending("updating", CLUSTER_URN)], []
    assert target.refresh(make_env(), opts(), UI()) == 0  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- other failures


def test_a_wrong_passphrase_is_bad_input(api: Api) -> None:
    result = CommandResult("", "error: constructing secrets manager of type \"passphrase\": incorrect passphrase", 255)
    api.stack.fail["refresh"] = [auto.CommandError(result)]
    with pytest.raises(BadInput, match="PULUMI_CONFIG_PASSPHRASE does not decrypt"):
        target.refresh(make_env(), opts(), UI())  # type: ignore[arg-type]


def test_an_engine_failure_is_one_line_with_the_cli_error(api: Api) -> None:
    result = CommandResult("", "warning: A new version of Pulumi is available.\nerror: update failed\n", 255)
    api.stack.fail["destroy"] = [auto.CommandError(result)]
    with pytest.raises(OrchestratorError) as info:
        target.destroy(make_env(), opts(yes=True), UI())  # type: ignore[arg-type]
    assert str(info.value) == "env dev: pulumi destroy failed: update failed"
    assert info.value.exit_code == ExitCode.FAILURE


def test_a_missing_stack_has_nothing_to_destroy(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str, **kw: Any) -> Any:
        raise auto.StackNotFoundError(CommandResult("", "error: no stack named 'dev' found", 255))

    monkeypatch.setattr(auto, "select_stack", missing)
    make_env()
    ui = UI()
    assert pipeline.destroy(context(ui), "dev", yes=True) == {"env": "dev", "destroyed": False}
    assert "nothing to destroy" in ui.all_text()


# ---------------------------------------------------------------------------- a successful deploy


def test_deploy_runs_the_program_writes_uploads_and_records(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    plan = make_plan(env)
    api.stack.outputs = outputs_for(plan)
    ui = UI()

    result = deploy(ui)

    assert result["changed"] is True
    name, call = api.calls[-1]
    assert name == "create_or_select_stack" and call["name"] == "dev" and call["project_name"] == workspace.PROJECT
    assert callable(call["program"])
    ws = call["opts"]
    work = Path("state/pulumi/workspaces/dev").absolute()
    assert ws.work_dir == str(work)
    assert ws.secrets_provider == "passphrase"
    assert ws.env_vars["PULUMI_BACKEND_URL"] == f"file://{Path('state/pulumi').absolute()}"
    assert "PULUMI_CONFIG_PASSPHRASE" not in ws.env_vars
    assert api.stack.names() == ["export", "up"]
    assert api.stack.calls[-1][1] == {"color": "never", "show_secrets": False}
    assert ("info", "~ dev: the engine's own preview is skipped with --yes") in ui.said

    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    assert project["name"] == workspace.PROJECT
    assert project["backend"]["url"] == ws.env_vars["PULUMI_BACKEND_URL"]
    assert (work / project["stackConfigDir"]).resolve() == Path("stacks").resolve()

    out = Path("state/aws/dev").absolute()
    pb = out / "runtime-config.pb"
    assert uploads == [(pb, "shop-dev-config", "eu-west-1")]
    assert stat.S_IMODE(pb.stat().st_mode) == 0o600
    assert not (out / "deployment.json").exists()

    record = store().read("dev")
    assert isinstance(record, DeploymentRecord)
    assert (record.app, record.env, record.cloud, record.language) == ("shop", "dev", "aws", Language.TYPESCRIPT)
    assert record.provisioned["runtime_config_url"] == "s3://shop-dev-config/runtime-config.pb"
    assert record.env_vars == {"AWS_REGION": "eu-west-1",
                               "ENCORE_RUNTIME_CONFIG_PATH": "s3://shop-dev-config/runtime-config.pb"}
    assert record.files["runtime_config"] == str(pb)
    assert record.graph, "the graph the policy gate rendered is kept"
    assert record.plan["resources"] == json.loads(plan.to_json())["resources"]
    sql = {plan.get(f"sql:{db}").names["password_env"]: f"arn:secret:{db}" for db in ("billing", "orders")}
    sources = {**sql, "CACHE_SESSIONS_AUTH": None, "SVC_KEY_1": None, "SVC_KEY_2": None,
               **{plan.get(f"secret:{s}").names["env"]: None for s in ("SlackHook", "StripeKey")}}
    assert record.secret_env == sources
    assert result["env_vars"] == record.env_vars and result["deployed_at"] == record.deployed_at.isoformat()
    stored = Path("state/state/envs/dev/record.json")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    for path in Path("state").rglob("*"):
        if path.is_file():
            assert PASSPHRASE.encode() not in path.read_bytes(), path
            assert fx.CANARY.encode() not in path.read_bytes(), path

    values = pipeline.env_vars(context(UI()), "dev")
    assert values["ENCORE_RUNTIME_CONFIG_PATH"] == "s3://shop-dev-config/runtime-config.pb"
    assert values["AWS_REGION"] == "eu-west-1"
    assert json.loads(values[target.SECRETS_VAR]) == sources
    assert "shop-dev-config" in ui.all_text()

    assert pipeline.destroy(context(UI()), "dev", yes=True)["destroyed"] is True
    assert store().read("dev") is None and len(store().history("dev")) == 1
    assert not out.exists()


def test_a_go_app_gets_the_infra_config_and_no_upload(api: Api, app: SimpleNamespace, uploads: list[Any]) -> None:
    env = make_env()
    app.language = Language.GO
    api.stack.outputs = outputs_for(make_plan(env, Language.GO))
    deploy(UI())
    assert uploads == []
    path = Path("state/aws/dev/infra.config.json").absolute()
    assert pipeline.env_vars(context(UI()), "dev")["ENCORE_INFRA_CONFIG_PATH"] == str(path)
    record = store().read("dev")
    assert record is not None and record.language is Language.GO
    assert record.files["infra_config"] == str(path)
    assert "runtime_config_url" not in record.provisioned or not record.provisioned["runtime_config_url"]
    assert record.env_vars["ENCORE_DEPLOY_ID"] == record.provisioned["deploy_id"]


def test_each_deploy_has_its_own_deploy_id_in_the_config_and_not_in_the_plan(api: Api, uploads: list[Any]) -> None:
    """The Rust core reads Deployment.deploy_id (runtimes/core/src/lib.rs) for healthz, traces and the caller."""
    from runtime_config.schema import runtime_pb2

    env = make_env()
    api.stack.outputs = outputs_for(make_plan(env))
    ids, plans = [], []
    for _ in range(2):
        deploy(UI())
        record = store().read("dev")
        assert record is not None
        config = runtime_pb2.RuntimeConfig.FromString(Path(record.files["runtime_config"]).read_bytes())
        assert config.deployment.deploy_id == record.provisioned["deploy_id"]
        ids.append(config.deployment.deploy_id)
        plans.append(record.plan)
    assert ids[0] != ids[1] and all(ids)
    assert plans[0] == plans[1] and ids[0] not in json.dumps(plans[0])


def test_without_the_bucket_output_the_deploy_says_what_is_missing(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    api.stack.outputs = {k: v for k, v in outputs_for(make_plan(env)).items() if k != "runtime_config_bucket"}
    with pytest.raises(OrchestratorError, match="runtime_config_bucket"):
        deploy(UI())
    assert uploads == []
    assert store().read("dev") is None


def test_an_invalid_provisioned_output_names_the_field_not_the_value(api: Api, uploads: list[Any]) -> None:
    env = make_env()
    plan = make_plan(env)
    bad = fx.provisioned(plan).model_dump(mode="json")
    bad["secrets"][0]["ref"] = {"value": fx.CANARY}
    api.stack.outputs = {**outputs_for(plan), "provisioned": OutputValue(bad, False)}
    with pytest.raises(OrchestratorError) as info:
        deploy(UI())
    assert "plaintext secret values are only allowed for the local cloud" in str(info.value)
    assert fx.CANARY not in str(info.value)
    assert store().read("dev") is None


def test_env_vars_before_any_deploy_says_so(untouchable: None) -> None:
    make_env()
    with pytest.raises(BadInput, match="orchestrator deploy --env dev"):
        pipeline.env_vars(context(UI()), "dev")


# ---------------------------------------------------------------------------- the secret's physical name


@pytest.fixture
def secrets_set(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """The AWS delivery's set_secret, recording (env, physical name, value) instead of calling Secrets Manager."""
    from providers.aws import delivery

    done: list[tuple[str, str, str]] = []
    monkeypatch.setattr(delivery, "set_secret",
                        lambda env, secret_id, value, deployed: done.append((env.name, secret_id, value)))
    return done


def test_the_secret_name_is_the_plans_from_meta(untouchable: None, app: SimpleNamespace,
                                                secrets_set: list[Any]) -> None:
    env = make_env()
    physical = make_plan(env).get("secret:StripeKey").names["secret"]
    ui = UI()
    assert pipeline.set_secret(context(ui), "dev", "StripeKey", fx.CANARY, META) == 0
    assert secrets_set == [("dev", physical, fx.CANARY)]
    assert app.read == [META]
    assert physical in ui.all_text() and fx.CANARY not in ui.all_text()


def test_the_secret_name_comes_from_the_last_record_without_meta(untouchable: None, app: SimpleNamespace,
                                                                 secrets_set: list[Any]) -> None:
    env = make_env(extra="  orchestrator:app: shop\n")
    plan = make_plan(env)
    with store().lock("dev", "test"):
        store().write(DeploymentRecord.new(plan, fx.provisioned(plan)))
    assert pipeline.set_secret(context(UI()), "dev", "StripeKey", fx.CANARY, None) == 0
    assert secrets_set == [("dev", plan.get("secret:StripeKey").names["secret"], fx.CANARY)]
    assert app.read == []


def test_without_meta_or_a_deploy_the_secret_name_is_unknown(untouchable: None, secrets_set: list[Any]) -> None:
    make_env()
    ui = UI()
    with pytest.raises(BadInput, match=r"pass --meta, or deploy first") as info:
        pipeline.set_secret(context(ui), "dev", "StripeKey", fx.CANARY, None)
    assert ("warn", "dev was never deployed and no --meta was given: 'StripeKey' is not checked against the app's "
                    "declared secrets") in ui.said
    assert secrets_set == []
    assert fx.CANARY not in str(info.value)


def test_a_secret_the_app_does_not_declare_is_refused(untouchable: None, secrets_set: list[Any]) -> None:
    make_env()
    with pytest.raises(BadInput) as info:
        pipeline.set_secret(context(UI()), "dev", "GithubToken", fx.CANARY, META)
    assert str(info.value) == ("app/meta.pb: secret 'GithubToken' is not declared by the app "
                               "(declared: SlackHook, StripeKey)")
    assert secrets_set == []


# ---------------------------------------------------------------------------- backend and project


def test_a_backend_from_the_stack_file_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://from-env")
    assert workspace.backend_url(make_env(), opts()) == "s3://from-env"
    env = make_env(extra="  orchestrator:backend: file://./pulumi-state\n")
    assert workspace.backend_url(env, opts()) == f"file://{Path('pulumi-state').absolute()}"


def test_the_repository_pulumi_yaml_names_the_same_project() -> None:
    """`pulumi preview -s ENV` in the repository must find the stacks `orchestrator deploy` made."""
    path = REPO / "Pulumi.yaml"
    if not path.exists():
        pytest.skip("no Pulumi.yaml in the repository yet")
    assert yaml.safe_load(path.read_text())["name"] == workspace.PROJECT


# ---------------------------------------------------------------------------- the security-baseline gate


def test_a_blocking_policy_violation_is_exit_4_before_any_engine_call(
    api: Api, uploads: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator import policy

    def violating(resources: Any, env_type: Any, rules: Any) -> list[policy.Violation]:
        return [policy.Violation("R-S3-04", "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "no TLS-only policy"),
                policy.Violation("R-SEC-01", "urn:pulumi:dev::p::aws:secretsmanager/secret:Secret::s", "no CMK",
                                 advisory=True)]

    monkeypatch.setattr(policy, "evaluate", violating)
    ui = UI()
    make_env()
    with pytest.raises(OrchestratorError) as info:
        deploy(ui)
    assert info.value.exit_code == ExitCode.POLICY == 4
    assert "R-S3-04" in str(info.value) and "R-SEC-01" not in str(info.value)
    notes = "policy: not blocking (advisory here, or a documented exception): R-SEC-01 (advisory) x1"
    assert ("warn", notes) in ui.said
    # the check found the CLI, but no stack was opened, nothing ran and nothing was recorded
    assert api.stacks_opened() == [] and api.stack.calls == []
    assert uploads == [] and store().read("dev") is None
    assert not Path("state/state").exists()


def test_the_real_program_passes_the_gate(untouchable: None) -> None:
    ui = UI()
    env = make_env("production")
    graph = policy_gate.check_policy(make_plan(env), opts(), ui)  # type: ignore[arg-type]
    assert graph and all("type" in node for node in graph)
    assert all(text.startswith("policy: not blocking") for kind, text in ui.said if kind == "warn")
