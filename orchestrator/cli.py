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
    from orchestrator.core.model import App
    from orchestrator.core.plan import Plan
    from orchestrator.targets import Options
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

    def env(self, name: str) -> Env:
        from orchestrator import stacks

        return stacks.load(self.stacks, name)

    def options(self, **kw: Any) -> Options:
        from orchestrator.targets import Options

        base: dict[str, Any] = {"stacks_dir": self.stacks, "debug": self.debug}
        if self.state_dir is not None:
            base["state_root"] = self.state_dir
        return Options(**base, **kw)


pass_state = click.make_pass_decorator(State)


def _load_app(meta: Path) -> App:
    from orchestrator.core import appmeta

    return appmeta.load(meta)


def _plan(env: Env, meta: Path) -> tuple[App, Plan]:
    from orchestrator import support
    from orchestrator.core import plan as planning

    app = _load_app(meta)
    the_plan = planning.build(app, env)
    support.check(the_plan)
    return app, the_plan


def _exit(code: int) -> NoReturn:
    sys.exit(code)


def meta_option_for(*, required: bool, help_text: str) -> Any:
    return click.option(
        "--meta",
        "meta",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="ORCHESTRATOR_META",
        required=required,
        default=None,
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


def lock_options(command: Any) -> Any:
    """--lock-timeout and --force-unlock, for the commands that take the env's lock."""
    command = click.option("--force-unlock", is_flag=True, help="Break a stale lock left by a dead run.")(command)
    return click.option(
        "--lock-timeout", type=float, default=0.0, show_default=True, help="Seconds to wait for another run's lock."
    )(command)


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
    """Show every resource the app needs in ENV, its physical names and the grants."""
    env = state.env(env_name)
    _, the_plan = _plan(env, meta)
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
    required=True,
    help="A Provisioned record (JSON) as a target wrote it.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["pb", "env", "infra-json", "json"]), default="pb", show_default=True
)
@output_option("Write here instead of stdout (pb needs --output or a non-TTY stdout).")
@click.option("--hosted-service", "hosted", multiple=True, help="Only these services run in the process (repeatable).")
@pass_state
def runtime_config_cmd(
    state: State, env_name: str, meta: Path, provisioned: Path, fmt: str, output: Path | None, hosted: tuple[str, ...]
) -> None:
    """Write the runtime config the native core reads, from a plan and a Provisioned record."""
    from orchestrator.runtime_config_cli import render

    env = state.env(env_name)
    _, the_plan = _plan(env, meta)
    data = render(the_plan, provisioned, fmt, hosted_services=hosted or None)
    if output is None and fmt == "pb" and sys.stdout.isatty():
        from orchestrator.core.errors import BadInput

        raise BadInput("refusing to write binary protobuf to a terminal; use --output FILE", where="--format pb")
    _emit(state, data, output, mode=0o600)


@cli.command("support-matrix")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@pass_state
def support_matrix(state: State, fmt: str) -> None:
    """What each target can provide, per resource kind and app language."""
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
    """Inspect environments (stacks/Pulumi.<env>.yaml)."""


@env.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_state
def env_list(state: State, fmt: str) -> None:
    """List environments with their cloud and type."""
    from orchestrator import stacks
    from orchestrator.core import envs

    loaded = [stacks.load(state.stacks, name) for name in envs.list_envs(state.stacks)]
    if fmt == "json":
        state.ui.document(
            [{"name": e.name, "cloud": e.cloud, "type": e.env_type.value, "region": e.region} for e in loaded]
        )
        return
    state.ui.table(
        "Environments",
        ["name", "cloud", "type", "region", "base"],
        [[e.name, e.cloud, e.env_type.value, e.region or "-", e.base or "-"] for e in loaded],
    )


@env.command("show")
@click.argument("name")
@pass_state
def env_show(state: State, name: str) -> None:
    """Show one environment as resolved (presets and overrides applied), as JSON on stdout."""
    e = state.env(name)
    state.ui.document(e.model_dump(mode="json", by_alias=False))


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
) -> None:
    """Provision ENV for the app and write its runtime config."""
    from orchestrator.targets import operation

    env_ = state.env(env_name)
    app, the_plan = _plan(env_, meta)
    opts = state.options(
        meta_path=meta,
        app_root=app_root or meta.parent,
        yes=yes,
        interactive=state.ui.interactive,
        allow_destroy=allow_destroy,
        lock_timeout=lock_timeout,
        force_unlock=force_unlock,
    )
    _exit(operation(env_, "deploy")(the_plan, app, opts, state.ui))


@cli.command()
@env_option
@meta_option
@pass_state
def preview(state: State, env_name: str, meta: Path) -> None:
    """Show what `deploy` would change in ENV."""
    from orchestrator.targets import operation

    env_ = state.env(env_name)
    app, the_plan = _plan(env_, meta)
    _exit(operation(env_, "preview")(the_plan, app, state.options(meta_path=meta), state.ui))


def _env_command(name: str, help_text: str, *, confirm: bool = False, lock: bool = False) -> None:
    def command(state: State, env_name: str, **kw: Any) -> None:
        from orchestrator.targets import operation

        env_ = state.env(env_name)
        opts = state.options(interactive=state.ui.interactive, **kw)
        _exit(operation(env_, name)(env_, opts, state.ui))

    command.__doc__ = help_text
    cmd: Any = pass_state(command)
    if confirm:
        cmd = yes_option(cmd)
    if lock:
        cmd = lock_options(cmd)
    cli.command(name)(env_option(cmd))


_env_command("destroy", "Remove every resource of ENV (data included).", confirm=True, lock=True)
_env_command("refresh", "Reconcile ENV's recorded state with what exists.", lock=True)
_env_command("status", "Show what is deployed in ENV and whether its servers run.")
_env_command("stop", "Stop ENV's local servers, keeping their data.")
_env_command("verify", "Prove every resource of ENV works, reading only the written runtime config.")


@cli.command("env-vars")
@env_option
@click.option("--format", "fmt", type=click.Choice(["sh", "dotenv", "json"]), default="sh", show_default=True)
@pass_state
def env_vars(state: State, env_name: str, fmt: str) -> None:
    """Print the environment variables an app process needs to run against ENV."""
    from orchestrator.report.text import format_env_vars
    from orchestrator.targets import operation

    env_ = state.env(env_name)
    values = operation(env_, "env_vars")(env_, state.options())
    sys.stdout.write(format_env_vars(values, fmt))


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@env_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@pass_state
def run(state: State, env_name: str, command: tuple[str, ...]) -> None:
    """Run COMMAND with ENV's environment variables: orchestrator run --env local -- node app.js"""
    import shutil

    from orchestrator.core.errors import BadInput
    from orchestrator.targets import operation

    env_ = state.env(env_name)
    values = operation(env_, "env_vars")(env_, state.options())
    program = shutil.which(command[0])
    if program is None:
        raise BadInput(f"command not found: {command[0]}", where="run")
    os.execvpe(program, list(command), {**os.environ, **values})


@cli.group()
def secret() -> None:
    """Manage app secret values (read from stdin or a prompt, never from arguments)."""


@secret.command("set")
@env_option
@click.argument("name")
@meta_option_for(required=False, help_text="App metadata (to check NAME is declared and find the app name).")
@pass_state
def secret_set(state: State, env_name: str, name: str, meta: Path | None) -> None:
    """Set secret NAME for ENV; the value comes from stdin (piped) or a hidden prompt."""
    from orchestrator.core.errors import BadInput
    from orchestrator.targets import operation

    env_ = state.env(env_name)
    if meta is not None:
        declared = {s.name for s in _load_app(meta).secrets}
        if name not in declared:
            raise BadInput(
                f"secret {name!r} is not declared by the app (declared: {', '.join(sorted(declared)) or 'none'})",
                where=str(meta),
            )
    if sys.stdin.isatty():
        value = click.prompt(f"Value for {name}", hide_input=True, confirmation_prompt=True, err=True)
    else:
        value = sys.stdin.read()
        if value.endswith("\n"):
            value = value[:-1]
    if not value:
        raise BadInput("empty secret value", where=f"secret {name}")
    _exit(operation(env_, "set_secret")(env_, name, value, state.options(meta_path=meta), state.ui))


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
    """Render ENV's Pulumi program under mocks (no CLI, no credentials) and dump every resource."""
    from orchestrator.engine import graph as graphing

    env_ = state.env(env_name)
    if env_.cloud == "local":
        from orchestrator.core.errors import BadInput

        raise BadInput("the local target has no Pulumi program; use a cloud environment", where=f"env {env_name}")
    _, the_plan = _plan(env_, meta)
    rendered = graphing.render_full(the_plan, app_root=app_root)
    for warning in rendered.warnings:
        state.ui.warn(warning)
    _emit(state, graphing.to_json(rendered.resources).encode(), output, mode=0o644)


def _emit(state: State, data: bytes, output: Path | None, *, mode: int) -> None:
    """A command's document: to `output` (atomically, with `mode`) or to stdout."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from orchestrator.core.files import write_atomic

    write_atomic(output, data, mode=mode)
    state.ui.success(f"wrote {output}")


def main(argv: list[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("ORCHESTRATOR_DEBUG") == "1"
    try:
        cli.main(args=argv, prog_name="orchestrator", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "), 2)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except SystemExit:
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


def _fail(message: str, code: int) -> NoReturn:
    prefix = "error: "
    if sys.stderr.isatty() and "NO_COLOR" not in os.environ:
        prefix = "\x1b[1;31merror:\x1b[0m "
    sys.stderr.write(prefix + message + "\n")
    sys.stderr.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
