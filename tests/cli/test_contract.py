"""The CLI contract platform engineers rely on, through the real entry point (a subprocess).

Exit codes (docs/exit-codes.md), one `error:` line and no traceback, documents only on stdout,
no ANSI codes off a TTY or with NO_COLOR, a closed pipe is not a failure, Ctrl-C is 130.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from orchestrator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
META = ROOT / "examples" / "quickstart" / "meta.pb"


def _entry_point() -> list[str]:
    """The console script next to the interpreter, as `make test` installs it (editable, into .venv).

    Fallback, said here on purpose: when that script is missing, or its interpreter imports
    `orchestrator` from another checkout (a shared .venv whose editable install points elsewhere),
    `python -m orchestrator` with this checkout on PYTHONPATH is the same `main()` of this code.
    """
    script = Path(sys.executable).parent / "orchestrator"
    if script.is_file():
        first = script.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
        interpreter = first[0][2:].strip() if first and first[0].startswith("#!") else sys.executable
        found = subprocess.run(
            [interpreter, "-c", "import orchestrator; print(orchestrator.__file__)"],
            cwd="/", capture_output=True, text=True, timeout=60,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        ).stdout.strip()
        if found and Path(found).resolve().is_relative_to(ROOT):
            return [str(script)]
    return [sys.executable, "-m", "orchestrator"]


ENTRY = _entry_point()


def env_for(extra: dict[str, str] | None = None, pythonpath: list[Path] | None = None) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_") and k != "NO_COLOR"}
    full["PYTHONPATH"] = os.pathsep.join(str(p) for p in [*(pythonpath or []), ROOT])
    full.update(extra or {})
    return full


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str = "",
        pythonpath: list[Path] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY, *args], cwd=cwd, env=env_for(env, pythonpath), input=stdin,
                          capture_output=True, text=True, timeout=120)


def assert_one_error_line(out: subprocess.CompletedProcess[str], code: int) -> None:
    assert out.returncode == code, (out.returncode, out.stderr)
    last = out.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("error: "), out.stderr
    assert out.stderr.count("error:") == 1, out.stderr
    assert "Traceback" not in out.stderr


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
    return found


ALL = commands()


@pytest.mark.parametrize("command", [" ".join(c) for c in ALL])
def test_help_exits_0_and_shows_an_example(command):
    out = run(*command.split(), "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Usage: orchestrator")
    starts = ("orchestrator ", "printf ", "eval ")
    examples = [line for line in out.stdout.splitlines() if line.strip().startswith(starts)]
    assert examples, f"`orchestrator {command} --help` shows no example line"


def test_the_group_help_and_no_arguments():
    assert run("--help").returncode == 0
    bare = run()
    assert bare.returncode == 0 and "Usage:" in bare.stdout


REQUIRED = [
    ("plan", "--env", "x"),
    ("plan", "--meta", "m.pb"),
    ("preview", "--env", "x"),
    ("deploy", "--env", "x"),
    ("destroy",),
    ("refresh",),
    ("status",),
    ("stop",),
    ("verify",),
    ("env-vars",),
    ("run", "--env", "x"),
    ("graph", "--env", "x"),
    ("secret", "set", "--env", "x"),
    ("secret", "set", "Name"),
    ("secret", "list",),
    ("secret", "rm", "--env", "x"),
    ("env", "show"),
    ("env", "init", "x"),
]


@pytest.mark.parametrize("args", REQUIRED, ids=" ".join)
def test_a_missing_required_option_is_exit_2_in_one_line(args, tmp_path):
    out = run(*args, cwd=tmp_path)
    assert_one_error_line(out, 2)
    assert out.stderr.count("\n") == 1
    assert out.stdout == ""


BAD_VALUES = [
    ("plan", "--env", "local", "--meta", str(META), "--format", "xml"),
    ("deploy", "--env", "local", "--meta", str(META), "--lock-timeout", "soon"),
    ("env-vars", "--env", "local", "--format", "yaml"),
    ("plan", "--env", "../etc", "--meta", str(META)),
    ("plan", "--env", "local", "--meta", "/no/such/meta.pb"),
    ("plan", "--env", "nope", "--meta", str(META)),
    ("env", "init", "new", "--cloud", "moon"),
    ("deploy", "--nope"),
]


@pytest.mark.parametrize("args", BAD_VALUES, ids=" ".join)
def test_a_bad_option_value_is_exit_2_in_one_line(args):
    out = run(*args)
    assert_one_error_line(out, 2)
    assert out.stdout == ""


def test_documents_go_to_stdout_and_people_text_to_stderr():
    as_json = run("plan", "--env", "local", "--meta", str(META), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    json.loads(as_json.stdout)
    assert "{" not in as_json.stderr
    as_text = run("plan", "--env", "local", "--meta", str(META))
    assert as_text.returncode == 0, as_text.stderr
    assert as_text.stdout == "" and as_text.stderr.strip()
    listed = run("env", "list")
    assert listed.stdout == "" and "local" in listed.stderr


@pytest.mark.parametrize("args", [("plan", "--env", "local", "--meta", str(META)), ("env", "list"),
                                  ("support-matrix",), ("plan", "--env", "nope", "--meta", "x")])
def test_no_ansi_codes_when_not_a_tty(args):
    out = run(*args)
    assert "\x1b[" not in out.stdout + out.stderr


def test_no_color_on_a_tty():
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([*ENTRY, "plan", "--env", "nope", "--meta", "x"], cwd=ROOT, stderr=follower,
                              stdout=subprocess.DEVNULL, env=env_for({"NO_COLOR": "1"}), timeout=120)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    text = b"".join(chunks).decode()
    assert proc.returncode == 2
    assert "error:" in text and "\x1b[" not in text


@pytest.mark.parametrize("args", [("support-matrix", "--format", "json"), ("env", "list", "--json"),
                                  ("env", "show", "local")])
def test_a_reader_that_goes_away_is_not_a_failure(args):
    """`orchestrator ... | head -c 10`: the reader closes the pipe; exit 0 and nothing on stderr."""
    proc = subprocess.Popen([*ENTRY, *args], cwd=ROOT, env=env_for(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the first write: every write now fails with EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""


def test_ctrl_c_while_waiting_for_the_lock_is_130(tmp_path):
    from orchestrator.state import open_store

    state = tmp_path / "state"
    with open_store(None, state).lock("local", "test"):
        proc = subprocess.Popen(
            [*ENTRY, "--state-dir", str(state), "stop", "--env", "local", "--lock-timeout", "60"],
            cwd=ROOT, env=env_for(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        time.sleep(4)  # started and blocked on the lock held above
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "error: interrupted"
    assert b"Traceback" not in err


def test_locked_is_3_and_names_the_holder(tmp_path):
    from orchestrator.state import open_store

    state = tmp_path / "state"
    with open_store(None, state).lock("local", "test"):
        out = run("--state-dir", str(state), "stop", "--env", "local")
    assert_one_error_line(out, 3)
    assert "pid" in out.stderr


MISSING_SDK = """\
import importlib.util
_real = importlib.util.find_spec
def _find_spec(name, *args, **kw):
    if name == "pulumi_gcp":
        return None
    return _real(name, *args, **kw)
importlib.util.find_spec = _find_spec
"""


def test_a_missing_cloud_sdk_is_6_with_the_install_command(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(MISSING_SDK)
    out = run("--state-dir", str(tmp_path / "state"), "status", "--env", "gcp-dev", pythonpath=[tmp_path])
    assert_one_error_line(out, 6)
    assert "pulumi_gcp" in out.stderr and "pip install" in out.stderr


def test_unsupported_is_7_and_lists_every_resource():
    out = run("plan", "--env", "azure-dev", "--meta", str(META))
    assert_one_error_line(out, 7)


def test_ok_is_0():
    assert run("--version").returncode == 0
    assert run("plan", "--env", "local", "--meta", str(META)).returncode == 0


def test_bad_input_is_2():
    assert_one_error_line(run("plan", "--env", "local", "--meta", str(ROOT / "README.md")), 2)


RAISE = """\
import orchestrator.pipeline as p
from orchestrator.core import errors
def _raise(*a, **k):
    raise getattr(errors, "{name}")("{name} happened", where="here")
p.plan = _raise
"""


@pytest.mark.parametrize(("name", "code"), [("OrchestratorError", 1), ("BadInput", 2), ("Locked", 3),
                                            ("PolicyViolation", 4), ("PendingOperations", 5),
                                            ("MissingTool", 6), ("Unsupported", 7), ("NotOwned", 10)])
def test_each_documented_exit_code_comes_from_its_error(name, code, tmp_path):
    """Every code in docs/exit-codes.md, from the error class the pipeline raises, as one line."""
    (tmp_path / "sitecustomize.py").write_text(RAISE.format(name=name))
    out = run("plan", "--env", "local", "--meta", str(META), pythonpath=[tmp_path])
    assert_one_error_line(out, code)
    assert f"{name} happened" in out.stderr
    documented = (ROOT / "docs" / "exit-codes.md").read_text()
    assert f"| {code} |" in documented


def test_an_unexpected_error_is_1_and_says_rerun_with_debug(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(RAISE.format(name="OrchestratorError").replace(
        'getattr(errors, "OrchestratorError")("OrchestratorError happened", where="here")', "ZeroDivisionError('x')"))
    out = run("plan", "--env", "local", "--meta", str(META), pythonpath=[tmp_path])
    assert_one_error_line(out, 1)
    assert "--debug" in out.stderr


def test_every_documented_code_has_a_test_here():
    documented = (ROOT / "docs" / "exit-codes.md").read_text()
    codes = {int(line.split("|")[1]) for line in documented.splitlines() if line.startswith("| ") and
             line.split("|")[1].strip().isdigit()}
    assert codes == {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130}


def test_not_owned_is_10_for_a_copied_state_directory(tmp_path: Path) -> None:
    """A real scenario for exit 10: `stop` in a `cp -a` copy of a local env's state directory, which owns nothing."""
    import shutil

    from providers.local import ownership

    original = tmp_path / "state" / "local" / "local"
    original.mkdir(parents=True, mode=0o700)
    ownership.claim(original)
    shutil.copytree(tmp_path / "state", tmp_path / "copy", symlinks=True)
    out = run("--state-dir", str(tmp_path / "copy"), "stop", "--env", "local")
    assert_one_error_line(out, 10)
    assert str(original.resolve()) in out.stderr and "takeover" in out.stderr


def test_a_production_stack_that_breaks_the_baseline_is_4_before_any_engine_call(tmp_path: Path) -> None:
    """A real scenario for exit 4: production with deletion protection switched off; no Pulumi CLI is needed."""
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n"
        "  orchestrator:sizing:\n    deletionProtection: false\n"
    )
    out = run("preview", "--env", "prod", "--meta", str(ROOT / "examples" / "quickstart" / "meta.pb"), cwd=tmp_path)
    assert_one_error_line(out, 4)
    assert "R-SQL-04" in out.stderr and "deletionProtection" in out.stderr
    assert not (tmp_path / ".orchestrator" / "pulumi").exists()


def _quickstart_without_a_topic(tmp_path: Path) -> tuple[Path, Path]:
    """The quickstart app's metadata as is and without its `uptime-transition` topic, in a folder named after it."""
    from google.protobuf import json_format

    from orchestrator.core.schema import meta_pb2

    app = tmp_path / "quickstart"
    app.mkdir()
    doc = json_format.MessageToDict(meta_pb2.Data.FromString(META.read_bytes()))
    full = app / "full.json"
    full.write_text(json.dumps(doc))
    doc["pubsubTopics"] = [t for t in doc["pubsubTopics"] if t["name"] != "uptime-transition"]
    for pkg in doc["pkgs"]:
        pkg["secrets"] = []
    for svc in doc["svcs"]:
        svc.pop("secrets", None)
    fewer = app / "fewer.json"
    fewer.write_text(json.dumps(doc))
    return full, fewer


def test_changes_are_8_with_detailed_exitcode(tmp_path):
    full, fewer = _quickstart_without_a_topic(tmp_path)
    args = ("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--base-meta", str(fewer))
    out = run(*args, "--meta", str(full), "--detailed-exitcode")
    assert out.returncode == 8, out.stderr
    assert "+ topic:uptime-transition" in out.stdout
    assert run(*args, "--meta", str(full)).returncode == 0
    assert run(*args, "--meta", str(fewer), "--detailed-exitcode").returncode == 0  # the same on both sides


def test_destroys_are_9_with_fail_on_destroy_and_win_over_8(tmp_path):
    full, fewer = _quickstart_without_a_topic(tmp_path)
    args = ("--state-dir", str(tmp_path / "state"), "preview", "--env", "local", "--base-meta", str(full))
    out = run(*args, "--meta", str(fewer), "--detailed-exitcode", "--fail-on-destroy")
    assert out.returncode == 9, out.stderr
    assert "! removes data: remove topic:uptime-transition" in out.stdout
    assert run(*args, "--meta", str(fewer), "--detailed-exitcode").returncode == 8
    assert run(*args, "--meta", str(full), "--fail-on-destroy").returncode == 0
