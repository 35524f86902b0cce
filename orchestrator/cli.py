"""The `orchestrator` command: thin click commands that parse flags, call the pipeline and print.

Only click is imported at module level so that `--help` stays fast and imports no SDK.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from orchestrator.core.envs import Env
    from orchestrator.pipeline import Context
    from orchestrator.ui import UI

VERSION = "0.1.0"


class State:
    def __init__(self, debug: bool, stacks: Path, state_dir: Path | None) -> None:
        self.debug = debug
        self.stacks = stacks
        self.state_dir = state_dir

    @property
    def ui(self) -> UI:
        from orchestrator.ui import UI

        return UI()

    @property
    def ctx(self) -> Context:
        from orchestrator.pipeline import Context

        root = self.state_dir or Path(os.environ.get("ORCHESTRATOR_HOME") or ".orchestrator")
        flags = (("--stacks", str(self.stacks)) if self.stacks != Path("stacks") else ()) + (
            ("--state-dir", str(self.state_dir)) if self.state_dir is not None else ())
        return Context(stacks_dir=self.stacks, state_root=root, ui=self.ui, debug=self.debug, hint_flags=flags)

    def env(self, name: str) -> Env:
        return self.ctx.env(name)


pass_state = click.make_pass_decorator(State)


def _exit(code: int) -> NoReturn:
    sys.exit(code)


def meta_option_for(*, required: bool, help_text: str) -> Any:
    return click.option(
        "--meta",
        "meta",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="ORCHESTRATOR_META",
        required=required,
        help=help_text,
    )


meta_option = meta_option_for(
    required=True,
    help_text="The parser's app metadata: binary (/encore/meta), ENCORE_APP_META value (base64 / gzip:) "
    "or protobuf JSON.",
)
env_option = click.option(
    "--env", "env_name", required=True, envvar="ORCHESTRATOR_ENV", help="Environment (stack) name."
)


def output_option(help_text: str) -> Any:
    return click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None, help=help_text)


lock_timeout_option = click.option(
    "--lock-timeout", type=float, default=0.0, show_default=True, help="Seconds to wait for another run's lock."
)


def lock_options(command: Any) -> Any:
    """--lock-timeout and --force-unlock, for the commands that take the env's lock."""
    command = click.option("--force-unlock", is_flag=True, help="Break a stale lock left by a dead run.")(command)
    return lock_timeout_option(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as a JSON document on stdout.")
yes_option = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (required when not interactive)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(VERSION, prog_name="orchestrator")
@click.option("--debug", is_flag=True, envvar="ORCHESTRATOR_DEBUG", help="Show tracebacks for errors.")
@click.option(
    "--stacks",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("stacks"),
    show_default=True,
    envvar="ORCHESTRATOR_STACKS",
    help="Directory holding Pulumi.<env>.yaml stack files.",
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    envvar="ORCHESTRATOR_HOME",
    help="Where local state, Pulumi's file backend and written configs live [default: .orchestrator].",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, stacks: Path, state_dir: Path | None) -> None:
    """Deploy Encore-style apps: metadata in, infrastructure and runtime config out."""
    ctx.obj = State(debug, stacks, state_dir)


@cli.command()
@env_option
@meta_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def plan(state: State, env_name: str, meta: Path, fmt: str) -> None:
    """Show every resource the app needs in ENV, its physical names and the grants.

        orchestrator plan --env local --meta .encore/meta --format json
    """
    from orchestrator import pipeline

    the_plan = pipeline.plan(state.ctx, env_name, meta)
    if fmt == "json":
        sys.stdout.write(the_plan.to_json() + "\n")
        return
    from orchestrator.report.text import plan_text

    plan_text(the_plan, state.ui)


@cli.command("runtime-config")
@env_option
@meta_option
@click.option(
    "--provisioned",
    type=click.Path(path_type=Path, dir_okay=False, exists=False),
    default=None,
    help="A Provisioned record (JSON) as a target wrote it [default: the env's last deployment record, whose "
    "secret values show as [secret]].",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Cloud envs: render the env's program under mocks, before any deploy. Every id, host, ARN and URL is then "
    "a placeholder (AWS account 123456789012), not what a deploy will create.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pb", "env", "infra-json", "json", "go-legacy-json"]), default="pb",
    show_default=True, help="go-legacy-json: the Go runtime's legacy config (Azure Service Bus), secrets as [secret].",
)
@output_option("Write here instead of stdout (pb needs --output or a non-TTY stdout).")
@click.option("--hosted-service", "hosted", multiple=True, help="Only these services run in the process (repeatable).")
@pass_state
def runtime_config_cmd(
    state: State, env_name: str, meta: Path, provisioned: Path | None, offline: bool, fmt: str, output: Path | None,
    hosted: tuple[str, ...],
) -> None:
    """Write the runtime config the native core reads: from the env's last deployment, a Provisioned record, or
    (--offline, cloud envs) the program rendered under mocks, with placeholder values. Example:

        orchestrator runtime-config --env aws-prod --meta build/meta.pb --offline --format json
    """
    from orchestrator import pipeline

    if output is None and fmt == "pb" and sys.stdout.isatty():
        from orchestrator.core.errors import BadInput

        raise BadInput("refusing to write binary protobuf to a terminal; use --output FILE", where="--format pb")
    data = pipeline.runtime_config(state.ctx, env_name, meta, provisioned, offline, fmt, hosted or None)
    _emit(state, data, output, mode=0o600)


@cli.command("support-matrix")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@pass_state
def support_matrix(state: State, fmt: str) -> None:
    """What each target can provide, per resource kind and app language.

        orchestrator support-matrix --format markdown
    """
    from orchestrator import support
    from orchestrator.report.text import matrix_markdown

    rows = support.matrix()
    if fmt == "json":
        state.ui.document(rows)
    elif fmt == "markdown":
        sys.stdout.write(matrix_markdown(rows))
    else:
        cols = list(rows[0])
        state.ui.table("Support matrix", cols, [[r[c] for c in cols] for r in rows])


@cli.group()
def env() -> None:
    """Make and inspect environments (stacks/Pulumi.<env>.yaml).

        orchestrator env init dev --cloud local
    """


@env.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: same as --json.")
@json_option
@pass_state
def env_list(state: State, fmt: str, as_json: bool) -> None:
    """List environments with their cloud and type; a stack file that does not load is shown with its error.

        orchestrator env list --json
    """
    from orchestrator import pipeline

    rows = pipeline.list_envs(state.ctx)
    if as_json or fmt == "json":
        state.ui.document(rows)
        return
    state.ui.table(
        "Environments",
        ["name", "cloud", "type", "region", "base"],
        [[r["name"], r["cloud"], r["type"], r["region"] or "-", r["base"] or "-"] if r["error"] is None
         else [r["name"], "-", "-", "-", f"error: {r['error']}"] for r in rows],
    )


@env.command("show")
@click.argument("name")
@pass_state
def env_show(state: State, name: str) -> None:
    """Show one environment as resolved (presets and overrides applied), as JSON on stdout.

        orchestrator env show local
    """
    e = state.env(name)
    state.ui.document(e.model_dump(mode="json", by_alias=False))


class _Clouds(click.Choice):
    """The registered targets, asked for only when `env init` parses or shows its help (keeps `--help` light)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self) -> Any:
        from orchestrator import pipeline

        return pipeline.clouds()

    @choices.setter
    def choices(self, _value: Any) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        pass


@env.command("init")
@click.argument("name")
@click.option("--cloud", type=_Clouds(), required=True, help="The target that runs the env.")
@click.option("--type", "env_type", type=click.Choice(["development", "production", "ephemeral", "test"]),
              default="development", show_default=True)
@click.option("--app", default=None, help="The one app this env holds [default: the app's folder name].")
@pass_state
def env_init(state: State, name: str, cloud: str, env_type: str, app: str | None) -> None:
    """Write stacks/Pulumi.NAME.yaml for a new environment (never overwrites one).

        orchestrator env init dev --cloud local --app my-app
    """
    from orchestrator import pipeline

    path = pipeline.init_env(state.ctx, name, cloud, env_type, app)
    state.ui.success(f"wrote {path}; deploy with: orchestrator deploy --env {name} --meta <meta.pb> --yes")


@cli.command()
@env_option
@meta_option
@click.option(
    "--app-root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The app's source tree (for migrations) [default: the metadata's directory].",
)
@yes_option
@click.option("--allow-destroy", is_flag=True, help="Remove resources that vanished from the metadata.")
@lock_options
@json_option
@pass_state
def deploy(
    state: State,
    env_name: str,
    meta: Path,
    app_root: Path | None,
    yes: bool,
    allow_destroy: bool,
    lock_timeout: float,
    force_unlock: bool,
    as_json: bool,
) -> None:
    """Provision ENV for the app and write its runtime config.

    Shows what changes (removals of data first) and asks before changing anything; --yes skips the
    question, and without a terminal deploy needs --yes. Example:

        orchestrator deploy --env local --meta .encore/meta --yes
    """
    from orchestrator import pipeline

    try:
        result = pipeline.deploy(state.ctx, env_name, meta, app_root, yes=yes, allow_destroy=allow_destroy,
                                 lock_timeout=lock_timeout, force_unlock=force_unlock)
    except pipeline.Cancelled:
        _exit(1)
    if as_json:
        state.ui.document(result)


@cli.command()
@env_option
@meta_option
@click.option("--base-meta", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Compare against this metadata (the base branch's), rendered offline: no state store, no "
              "credentials [default: the env's last deployment].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="markdown: the pull-request comment (under 60,000 characters, destructive changes first).")
@output_option("Write the preview here [default: stdout].")
@click.option("--app-root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The app's source tree, as given to deploy (migrations) [default: the metadata's directory; "
              "not read with --base-meta].")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 8 when anything would change.")
@click.option("--fail-on-destroy", is_flag=True,
              help="Exit 9 when anything would be removed or replaced (wins over 8).")
@click.option("--pulumi", "with_pulumi", is_flag=True,
              help="Also run the real `pulumi preview` (needs the Pulumi CLI and the cloud's credentials).")
@pass_state
def preview(state: State, env_name: str, meta: Path, base_meta: Path | None, fmt: str, output: Path | None,
            app_root: Path | None, detailed_exitcode: bool, fail_on_destroy: bool, with_pulumi: bool) -> None:
    """Show what `deploy` would change in ENV, app by resource kind and resource by resource; changes nothing.

    Against the env's last deployment, or with --base-meta against other metadata rendered offline (a PR
    job then needs no state and no credentials). Example:

    \b
        orchestrator preview --env prod --meta pr.pb --base-meta main.pb --format markdown
    """
    from orchestrator import pipeline
    from orchestrator.core.errors import ExitCode
    from orchestrator.report import markdown
    from orchestrator.report import preview as report

    result = pipeline.preview(state.ctx, env_name, meta, base_meta, pulumi=with_pulumi, app_root=app_root)
    text = {"text": report.to_text, "markdown": markdown.render, "json": report.to_json}[fmt](result)
    _emit(state, text.encode(), output, mode=0o644)
    if fail_on_destroy and result.destroys:
        _exit(ExitCode.DESTROYS)
    if detailed_exitcode and result.has_changes:
        _exit(ExitCode.CHANGES)


@cli.command()
@env_option
@yes_option
@lock_options
@json_option
@pass_state
def destroy(state: State, env_name: str, yes: bool, lock_timeout: float, force_unlock: bool, as_json: bool) -> None:
    """Remove every resource of ENV (data included).

        orchestrator destroy --env local --yes
    """
    from orchestrator import pipeline

    try:
        result = pipeline.destroy(state.ctx, env_name, yes=yes, lock_timeout=lock_timeout, force_unlock=force_unlock)
    except pipeline.Cancelled:
        _exit(1)
    if as_json:
        state.ui.document(result)


@cli.command()
@env_option
@lock_options
@pass_state
def refresh(state: State, env_name: str, lock_timeout: float, force_unlock: bool) -> None:
    """Reconcile ENV's recorded state with what exists.

        orchestrator refresh --env aws-prod
    """
    from orchestrator import pipeline

    _exit(pipeline.refresh(state.ctx, env_name, lock_timeout=lock_timeout, force_unlock=force_unlock))


@cli.command()
@env_option
@json_option
@pass_state
def status(state: State, env_name: str, as_json: bool) -> None:
    """Show what is deployed in ENV (its last deployment record) and whether its servers run.

        orchestrator status --env local --json
    """
    from orchestrator import pipeline

    result = pipeline.status(state.ctx, env_name)
    if as_json:
        state.ui.document(result)


@cli.command()
@env_option
@lock_timeout_option
@pass_state
def stop(state: State, env_name: str, lock_timeout: float) -> None:
    """Stop ENV's local servers, keeping their data.

        orchestrator stop --env local
    """
    from orchestrator import pipeline

    _exit(pipeline.stop(state.ctx, env_name, lock_timeout=lock_timeout))


@cli.command()
@env_option
@yes_option
@lock_timeout_option
@pass_state
def takeover(state: State, env_name: str, yes: bool, lock_timeout: float) -> None:
    """Bind the local servers of a moved or restored state directory to it (refused while the original exists).

        orchestrator takeover --env local --yes
    """
    from orchestrator import pipeline

    _exit(pipeline.takeover(state.ctx, env_name, yes=yes, lock_timeout=lock_timeout))


@cli.command()
@env_option
@json_option
@pass_state
def verify(state: State, env_name: str, as_json: bool) -> None:
    """Prove every resource of ENV works, reading only the written runtime config (exit 1 if one fails).

        orchestrator verify --env local --json
    """
    from orchestrator import pipeline

    result = pipeline.verify(state.ctx, env_name)
    if as_json:
        state.ui.document(result)
    _exit(1 if result["summary"]["failed"] else 0)


@cli.command("env-vars")
@env_option
@click.option("--format", "fmt", type=click.Choice(["sh", "dotenv", "json"]), default="sh", show_default=True)
@pass_state
def env_vars(state: State, env_name: str, fmt: str) -> None:
    """Print the environment variables an app process needs to run against ENV.

        eval "$(orchestrator env-vars --env local)"
    """
    from orchestrator import pipeline
    from orchestrator.report.text import format_env_vars

    values = pipeline.env_vars(state.ctx, env_name)
    sys.stdout.write(format_env_vars(values, fmt))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@env_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@pass_state
def run(state: State, env_name: str, command: tuple[str, ...]) -> None:
    """Run COMMAND with ENV's environment variables.

        orchestrator run --env local -- node app.js
    """
    import shutil

    from orchestrator import pipeline
    from orchestrator.core.errors import BadInput

    values = pipeline.env_vars(state.ctx, env_name)
    program = shutil.which(command[0])
    if program is None:
        raise BadInput(f"command not found: {command[0]}", where="run")
    os.execvpe(program, list(command), {**os.environ, **values})


@cli.group()
def secret() -> None:
    """Manage app secret values (read from stdin or a prompt, never from arguments).

        orchestrator secret list --env local --meta .encore/meta
    """


@secret.command("set")
@env_option
@click.argument("name")
@meta_option_for(required=False, help_text="App metadata (to check NAME is declared and find the app name).")
@pass_state
def secret_set(state: State, env_name: str, name: str, meta: Path | None) -> None:
    """Set secret NAME for ENV; the value comes from stdin (piped) or a hidden prompt.

        printf %s "$TOKEN" | orchestrator secret set --env prod StripeKey
    """
    from orchestrator import pipeline
    from orchestrator.core.errors import BadInput

    if sys.stdin.isatty():
        value = click.prompt(f"Value for {name}", hide_input=True, confirmation_prompt=True, err=True)
    else:
        value = sys.stdin.read()
        if value.endswith("\n"):
            value = value[:-1]
    if not value:
        raise BadInput("empty secret value", where=f"secret {name}")
    _exit(pipeline.set_secret(state.ctx, env_name, name, value, meta))


@secret.command("list")
@env_option
@meta_option_for(required=False, help_text="App metadata (the declared secrets) [default: the env's last deployment].")
@json_option
@pass_state
def secret_list(state: State, env_name: str, meta: Path | None, as_json: bool) -> None:
    """List the app's declared secrets for ENV: where each is stored and whether it is set (never values).

        orchestrator secret list --env local --meta .encore/meta --json
    """
    from orchestrator import pipeline

    result = pipeline.list_secrets(state.ctx, env_name, meta)
    if as_json:
        state.ui.document(result)
        return
    state.ui.table(
        f"secrets of {result['env']} (declared in {result['declared_in']})",
        ["name", "set", "where"],
        [[r["name"], {True: "set", False: "MISSING", None: "unknown"}[r["set"]], r["where"]]
         for r in result["secrets"]],
    )


@secret.command("rm")
@env_option
@click.argument("name")
@lock_timeout_option
@pass_state
def secret_rm(state: State, env_name: str, name: str, lock_timeout: float) -> None:
    """Remove secret NAME's value from ENV (local target; clouds: exit 7, not supported yet).

        orchestrator secret rm --env local StripeKey
    """
    from orchestrator import pipeline

    _exit(pipeline.remove_secret(state.ctx, env_name, name, lock_timeout=lock_timeout))


@cli.command()
@env_option
@meta_option
@output_option("Write the graph JSON here [default: stdout].")
@click.option(
    "--app-root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The app's source tree, to include migration SQL in the graph [default: not read].",
)
@pass_state
def graph(state: State, env_name: str, meta: Path, output: Path | None, app_root: Path | None) -> None:
    """Render ENV's Pulumi program under mocks (no CLI, no credentials) and dump every resource.

        orchestrator graph --env aws-prod --meta .encore/meta --output graph.json
    """
    from orchestrator.engine import graph as graphing

    env_ = state.env(env_name)
    if env_.cloud == "local":
        from orchestrator.core.errors import BadInput

        raise BadInput("the local target has no Pulumi program; use a cloud environment", where=f"env {env_name}")
    from orchestrator import pipeline

    the_plan = state.ctx.plan_for(pipeline.read_source(meta), env_, offline=True)
    rendered = graphing.render_full(the_plan, app_root=app_root)
    for warning in rendered.warnings:
        state.ui.warn(warning)
    _emit(state, graphing.to_json(rendered.resources).encode(), output, mode=0o600)


def _global_flag(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """--stacks, --state-dir and --debug given after the subcommand override the ones before it."""
    if value in (None, False):
        return
    state = ctx.find_object(State)
    if state is not None:
        setattr(state, {"stacks": "stacks", "state_dir": "state_dir", "debug": "debug"}[param.name or ""], value)


def _accept_global_flags(group: click.Group) -> None:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_global_flags(command)
            continue
        command.params += [
            click.Option(["--stacks"], type=click.Path(path_type=Path, file_okay=False), default=None,
                         expose_value=False, callback=_global_flag, help="Same as before the subcommand."),
            click.Option(["--state-dir", "state_dir"], type=click.Path(path_type=Path, file_okay=False), default=None,
                         expose_value=False, callback=_global_flag, help="Same as before the subcommand."),
            click.Option(["--debug"], is_flag=True, default=False, expose_value=False, callback=_global_flag,
                         help="Same as before the subcommand."),
        ]


def _emit(state: State, data: bytes, output: Path | None, *, mode: int) -> None:
    """A command's document: to `output` (atomically, with `mode`) or to stdout."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from orchestrator.core.files import write_atomic

    write_atomic(output, data, mode=mode)
    state.ui.success(f"wrote {output}")

@cli.group("preview-env")
def preview_env() -> None:
    """Preview environments per pull request: env pr-N, on its base env's servers (shared) or its own (isolated).

        orchestrator preview-env up --pr 42 --base staging --meta .encore/meta --yes
    """


@preview_env.command("up")
@click.option("--pr", "pr", required=True, help="The pull request's number.")
@click.option("--base", required=True, help="The env whose stack (and, shared, whose servers) the PR env takes.")
@meta_option
@click.option("--app-root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The app's source tree (its migrations) [default: the metadata's folder].")
@click.option("--strategy", type=click.Choice(["shared", "isolated"]), default=None,
              help="shared: own databases, roles, queues and prefixes on the base's servers; isolated: own "
              "smallest servers [default: the template's, else shared].")
@click.option("--buckets", type=click.Choice(["prefix", "separate"]), default=None,
              help="shared: the PR's objects under the key prefix pr-N/ in the base's buckets (prefix), or in buckets "
              "of its own (separate) [default: the template's previewBuckets, else prefix].")
@click.option("--template", default=None, help="An ephemeral stack whose keys the PR env takes (sizes, TTL, "
              "cloud block); it must name the base's cloud.")
@click.option("--own-secret", "own_secrets", multiple=True,
              help="A secret the PR env keeps itself instead of reading the base's (repeatable).")
@yes_option
@click.option("--allow-destroy", is_flag=True, help="Remove resources that vanished from the metadata.")
@lock_timeout_option
@json_option
@pass_state
def preview_env_up(state: State, pr: str, base: str, meta: Path, app_root: Path | None, strategy: str | None,
                   buckets: str | None, template: str | None, own_secrets: tuple[str, ...], yes: bool,
                   allow_destroy: bool, lock_timeout: float, as_json: bool) -> None:
    """Create or update env pr-N from the base env and deploy the app to it; prints what it created and how long
    it took. Example:

        orchestrator preview-env up --pr 42 --base staging --meta .encore/meta --yes
    """
    from orchestrator import pipeline
    from orchestrator.preview_env import verbs

    try:
        result = verbs.up(state.ctx, pr=pr, base=base, meta=meta, app_root=app_root,
                          strategy=strategy,  # type: ignore[arg-type]
                          buckets=buckets,  # type: ignore[arg-type]
                          template=template, own_secrets=own_secrets, yes=yes, allow_destroy=allow_destroy,
                          lock_timeout=lock_timeout)
    except pipeline.Cancelled:
        _exit(1)
    if as_json:
        state.ui.document(result)


@preview_env.command("down")
@click.option("--pr", "pr", required=True, help="The pull request's number.")
@yes_option
@lock_timeout_option
@json_option
@pass_state
def preview_env_down(state: State, pr: str, yes: bool, lock_timeout: float, as_json: bool) -> None:
    """Remove env pr-N: only what carries its ownership mark, never its base's. Example:

        orchestrator preview-env down --pr 42 --yes
    """
    from orchestrator import pipeline
    from orchestrator.preview_env import verbs

    try:
        result = verbs.down(state.ctx, pr=pr, yes=yes, lock_timeout=lock_timeout)
    except pipeline.Cancelled:
        _exit(1)
    if as_json:
        state.ui.document(result)


@preview_env.command("list")
@json_option
@pass_state
def preview_env_list(state: State, as_json: bool) -> None:
    """Every preview env: PR, base, strategy, age, last deploy and what it holds. Example:

        orchestrator preview-env list --json
    """
    from orchestrator.preview_env import verbs

    rows = verbs.rows(state.ctx)
    if as_json:
        state.ui.document(rows)
        return
    state.ui.table(
        "Preview environments",
        ["pr", "env", "base", "strategy", "age", "last deploy", "holds"],
        [[str(r["pr"]), r["env"], r["base"], r["strategy"], f"{r['age_seconds'] // 3600}h",
          r["last_deploy"] or "never", ", ".join(f"{n} {k}" for k, n in r["holds"].items()) or "-"] for r in rows],
    )


@preview_env.command("gc")
@click.option("--ttl", required=True, help="Remove envs idle longer than this since their last deploy: 90s, 72h, 7d.")
@click.option("--open-prs", default=None, help="The open PRs (1,2,3): every other preview env is removed.")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@yes_option
@lock_timeout_option
@json_option
@pass_state
def preview_env_gc(state: State, ttl: str, open_prs: str | None, dry_run: bool, yes: bool, lock_timeout: float,
                   as_json: bool) -> None:
    """Remove idle preview envs and those of closed PRs, printing each as pr-N on stdout. Example:

        orchestrator preview-env gc --ttl 72h --open-prs 12,15 --yes
    """
    from orchestrator import pipeline
    from orchestrator.preview_env import verbs

    try:
        result = verbs.gc(state.ctx, ttl=ttl, open_prs=open_prs, dry_run=dry_run, yes=yes, lock_timeout=lock_timeout,
                          chosen_env=(lambda env: None) if as_json else click.echo)
    except pipeline.Cancelled:
        _exit(1)
    if as_json:
        state.ui.document(result)



def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("ORCHESTRATOR_DEBUG") == "1"
    if not args:
        args = ["--help"]
    try:
        cli.main(args=args, prog_name="orchestrator", standalone_mode=False)
        sys.stdout.flush()
    except (KeyboardInterrupt, click.exceptions.Abort):
        _fail("interrupted", 130)
    except BrokenPipeError:
        _reader_went_away()
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "), 2)
    except SystemExit as exc:
        if exc.code == 1 and type(sys.stdout).__name__.lstrip("_") == "PacifyFlushWrapper":
            _reader_went_away()  # click turned EPIPE on stdout into exit 1; a reader that left is not a failure
        raise
    except BaseException as exc:
        from orchestrator.core.errors import OrchestratorError

        if debug:
            raise
        if isinstance(exc, OrchestratorError):
            _fail(str(exc).replace("\n", " "), int(exc.exit_code))
        _fail(
            f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (rerun with --debug)", 1
        )
    sys.exit(0)


def _reader_went_away() -> NoReturn:
    """`orchestrator ... | head`: the reader stopped reading; that is not our failure (exit 0, nothing more)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _fail(message: str, code: int) -> NoReturn:
    prefix = "error: "
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        prefix = "\x1b[1;31merror:\x1b[0m "
    sys.stderr.write(prefix + message + "\n")
    sys.stderr.flush()
    sys.exit(code)


_accept_global_flags(cli)

if __name__ == "__main__":
    main()
