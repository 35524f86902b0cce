"""Fuzz the commands that write (`deploy`, `secret set`, `destroy`, and `plan`) with bad input: nothing is written.

A real state root comes first: a local env deployed in-process with a server-less form of
polar-file-sharing (services and a secret: no server starts), holding its state, runtime config,
secrets, deployment record and history. Then each bad input (corrupted metadata, bad stack files,
undeclared or empty secret names and values, wrong-shaped state, stored secrets and records, missing
secrets, bad flags) goes to each command through the real entry point, in-process. Each must exit with
its documented code (docs/exit-codes.md: 2 for bad input), print one stderr line starting `error:`
and no traceback, leave every path, mode and byte under the state root as it was, and start no process.
Inputs come from a seeded random.Random, so every run checks the same cases.
"""

from __future__ import annotations

import copy
import json
import os
import random
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator import cli
from orchestrator.core.errors import ExitCode
from orchestrator.core.schema import meta_pb2
from tests.cli.test_fuzz import ENV_VARS, WRONG_TYPES, bad_stacks, corrupted_metadata

SEED = 20261207
ENV = "dev"
FRESH = "fresh"
"""An env with a stack file that was never deployed: a refused command must not even make its directories."""
SECRET = "PolarAccessToken"
STACK = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
BAD = int(ExitCode.BAD_INPUT)
PER_KIND = 15
"""Cases drawn from each large family (corrupted metadata, bad stack files) per command."""


def _serverless(data: meta_pb2.Data) -> None:
    """polar-file-sharing without what needs a server: no databases, no buckets."""
    del data.sql_databases[:]
    del data.buckets[:]
    for svc in data.svcs:
        del svc.databases[:]
        del svc.buckets[:]


def _write_meta(path: Path, mutate: Callable[[meta_pb2.Data], None]) -> Path:
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
    data = meta_pb2.Data.FromString((fixtures / "polar-file-sharing" / "meta.pb").read_bytes())
    mutate(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.SerializeToString())
    return path


@dataclass(frozen=True)
class Outcome:
    code: Any
    stdout: str
    stderr: str


class Machine:
    """A project directory (stacks, inputs, `.orchestrator` as the state root) and the CLI run in-process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / ".orchestrator"
        self.stack = root / "stacks" / f"Pulumi.{ENV}.yaml"
        self.stack.parent.mkdir()
        self.stack.write_text(STACK)
        (self.stack.parent / f"Pulumi.{FRESH}.yaml").write_text(STACK)
        self.meta = _write_meta(root / "app" / "meta.pb", _serverless)
        self.bad_meta = root / "input" / "meta.pb"
        self.bad_meta.parent.mkdir()

    def run(self, *args: str, stdin: str = "") -> Outcome:
        with CliRunner().isolation(input=stdin) as (out, err, _):
            try:
                cli.main(list(args))
                code: Any = 0
            except SystemExit as exc:
                code = exc.code
        return Outcome(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))

    def deploy(self, meta: Path | None = None, *extra: str) -> tuple[str, ...]:
        return ("deploy", "--env", ENV, "--meta", str(meta or self.meta), "--app-root", str(self.meta.parent),
                "--yes", *extra)

    def snapshot(self) -> dict[str, tuple[int, int, bytes]]:
        """Every path under the state root: (mode, owner, contents or link target); directories have no contents."""
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.state):
            for name in (*dirnames, *filenames):
                path = Path(dirpath) / name
                st = path.lstat()
                if stat.S_ISLNK(st.st_mode):
                    body = os.readlink(path).encode()
                elif stat.S_ISREG(st.st_mode):
                    body = path.read_bytes()
                else:
                    body = b""
                out[str(path.relative_to(self.state))] = (st.st_mode, st.st_uid, body)
        return out

    def processes(self) -> set[int]:
        """This process's children and every process naming the project (command line or working directory)."""
        marker = str(self.root).encode()
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cwd = os.readlink(entry / "cwd").encode()
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == os.getpid() or marker in cmdline or cwd == marker or cwd.startswith(marker + b"/"):
                found.add(int(entry.name))
        return found


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    root = tmp_path_factory.mktemp("nothing-written")
    saved = os.getcwd()
    env = {var: os.environ.pop(var) for var in (*ENV_VARS, "CI", "NO_COLOR") if var in os.environ}
    os.environ.update(CI="1", NO_COLOR="1")
    os.chdir(root)
    try:
        m = Machine(root)
        first = m.run("secret", "set", "--env", ENV, SECRET, "--meta", str(m.meta), stdin="polar-token")
        assert first.code == 0, first.stderr
        deployed = m.run(*m.deploy())
        assert deployed.code == 0, deployed.stderr
        assert (m.state / "local" / ENV / "state.json").is_file(), "the state root was not made"
        assert (m.state / "state" / "envs" / ENV / "record.json").is_file(), "no deployment record"
        yield m
    finally:
        os.chdir(saved)
        os.environ.pop("CI")
        os.environ.pop("NO_COLOR")
        os.environ.update(env)


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    label: str
    args: tuple[str, ...]
    stdin: str = ""
    expect: int = BAD
    plant: Callable[[Machine], object] | None = None
    """Changes the state root before the snapshot (a wrong-shaped file, a link)."""


def _commands(m: Machine, meta: Path) -> dict[str, tuple[str, ...]]:
    """Each writing command, reading `meta` where it reads metadata."""
    return {
        "deploy": m.deploy(meta),
        "secret set": ("secret", "set", "--env", ENV, SECRET, "--meta", str(meta)),
        "destroy": ("destroy", "--env", ENV, "--yes"),
        "plan": ("plan", "--env", ENV, "--meta", str(meta)),
    }


def _sample(rng: random.Random, items: list[tuple[str, bytes]], count: int) -> list[tuple[str, bytes]]:
    return rng.sample(items, min(count, len(items)))


def metadata_cases(m: Machine, rng: random.Random, fixtures: Path, names: tuple[str, ...]) -> Iterator[Case]:
    from orchestrator.core import appmeta
    from orchestrator.core.errors import BadInput

    corrupted = []
    for label, data in corrupted_metadata(fixtures, names):
        try:
            appmeta.load_bytes(data, where="fuzz", name="app")
        except BadInput:
            corrupted.append((label, data))
    for command in ("deploy", "secret set", "plan"):
        for label, data in _sample(rng, corrupted, PER_KIND):

            def plant(machine: Machine, data: bytes = data) -> None:
                machine.bad_meta.write_bytes(data)

            yield Case(f"{command}: metadata {label}", _commands(m, m.bad_meta)[command], "value", plant=plant)


def stack_cases(m: Machine, rng: random.Random) -> Iterator[Case]:
    stacks = list(bad_stacks())
    for command, args in _commands(m, m.meta).items():
        for label, text in _sample(rng, stacks, PER_KIND):

            def plant(machine: Machine, text: bytes = text) -> None:
                machine.stack.write_bytes(text)

            yield Case(f"{command}: stack file {label}", args, "value", plant=plant)


def _unset_secret(data: meta_pb2.Data) -> None:
    data.pkgs[0].secrets.append("NeverSet")


def _serverless_with_unset_secret(data: meta_pb2.Data) -> None:
    _serverless(data)
    _unset_secret(data)


def _other_app(data: meta_pb2.Data) -> None:
    _serverless(data)
    data.svcs[0].name = "renamed"


def input_cases(m: Machine) -> Iterator[Case]:
    deploy, secret = m.deploy(), ("secret", "set", "--env", ENV)
    for name in ("", "NotDeclared", "polaraccesstoken", "../../etc/passwd", "a/b", "Polar AccessToken", "x\ny",
                 "é", SECRET + " "):
        yield Case(f"secret set: undeclared name {name!r}", (*secret, name, "--meta", str(m.meta)), "value")
        yield Case(f"secret set: undeclared name {name!r}, checked against the record", (*secret, name), "value")
    yield Case("secret set: empty value", (*secret, SECRET), "")
    yield Case("secret set: a lone newline", (*secret, SECRET), "\n")

    yield Case("deploy: a secret with no value",
               m.deploy(_write_meta(m.root / "v1" / "meta.pb", _serverless_with_unset_secret)))
    # The whole app needs PostgreSQL and the emulator: a deploy refused for its input must refuse before starting them.
    full = _write_meta(m.root / "v2" / "meta.pb", lambda data: None)
    yield Case("deploy: databases, and a secret with no value",
               m.deploy(_write_meta(m.root / "v3" / "meta.pb", _unset_secret)))
    yield Case("deploy: another app in the env", m.deploy(_write_meta(m.root / "v4" / "meta.pb", _other_app)))
    fresh_deploy = ("deploy", "--env", FRESH, "--app-root", str(full.parent), "--yes", "--meta")
    yield Case("deploy, never deployed: a secret with no value", (*fresh_deploy, str(full)))
    yield Case("deploy, never deployed: corrupted metadata", (*fresh_deploy, str(m.bad_meta)),
               plant=lambda machine: machine.bad_meta.write_bytes(b"\x0a\xff\xff"))
    yield Case("deploy, never deployed: without --yes", ("deploy", "--env", FRESH, "--meta", str(m.meta)))
    yield Case("secret set, never deployed: undeclared name",
               ("secret", "set", "--env", FRESH, "Nope", "--meta", str(m.meta)), "value")

    flags = [
        ("deploy: without --yes", deploy[:-1]),
        ("deploy: --lock-timeout not a number", (*deploy, "--lock-timeout", "soon")),
        ("deploy: an unknown flag", (*deploy, "--force")),
        ("deploy: no --meta", ("deploy", "--env", ENV, "--yes")),
        ("deploy: no --env", ("deploy", "--meta", str(m.meta), "--yes")),
        ("deploy: --meta missing", m.deploy(m.root / "nowhere.pb")),
        ("deploy: --meta a directory", m.deploy(m.root)),
        ("deploy: --app-root missing (the migrations with it)",
         ("deploy", "--env", ENV, "--meta", str(full), "--app-root", str(m.root / "nowhere"), "--yes")),
        ("deploy: --env not a stack", ("deploy", "--env", "nope", "--meta", str(m.meta), "--yes")),
        ("deploy: --env a path", ("deploy", "--env", "../dev", "--meta", str(m.meta), "--yes")),
        ("destroy: without --yes", ("destroy", "--env", ENV)),
        ("destroy: --lock-timeout not a number", ("destroy", "--env", ENV, "--yes", "--lock-timeout", "x")),
        ("destroy: an unknown flag", ("destroy", "--env", ENV, "--yes", "--all")),
        ("destroy: --env not a stack", ("destroy", "--env", "prod", "--yes")),
        ("destroy: --env a path", ("destroy", "--env", "../../etc", "--yes")),
        ("secret set: no name", ("secret", "set", "--env", ENV)),
        ("secret set: two names", (*secret, SECRET, "Other")),
        ("secret set: --env not a stack", ("secret", "set", "--env", "nope", SECRET)),
        ("secret set: --meta missing", (*secret, SECRET, "--meta", str(m.root / "nowhere.pb"))),
        ("plan: --format unknown", ("plan", "--env", ENV, "--meta", str(m.meta), "--format", "xml")),
    ]
    yield from (Case(label, args, "value") for label, args in flags)


GARBAGE = (("a list", b"[]"), ("null", b"null"), ("a number", b"7"), ("truncated", b'{"servers": {'),
           ("not UTF-8", b'{"servers": "\xff"}'))


def _state_paths(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the local target walks in state.json: its ledger of resources and servers, outputs, the plan copy."""
    paths: list[tuple[Any, ...]] = [("servers",), ("resources",), ("outputs",), ("outputs", "env"),
                                    ("outputs", "paths"), ("plan",), ("plan", "resources"), ("plan", "grants"),
                                    ("provisioned",)]
    paths += [p for key in doc["resources"] for p in (("resources", key), ("resources", key, "names"))]
    paths += [p for i in range(len(doc["plan"]["resources"]))
              for p in (("plan", "resources", i), ("plan", "resources", i, "names"))]
    return paths


def _record_paths(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a deploy's diff and `secret set` read in the deployment record: its plan."""
    paths: list[tuple[Any, ...]] = [("plan",), ("plan", "resources"), ("plan", "grants"), ("plan", "env"),
                                    ("env_vars",), ("files",)]
    paths += [("plan", "grants", i) for i in range(len(doc["plan"]["grants"]))]
    paths += [(*p, field) for i in range(len(doc["plan"]["resources"])) for p in [("plan", "resources", i)]
              for field in ("kind", "name", "names", "settings")]
    return paths


def _wrong_shapes(rng: random.Random, doc: dict[str, Any], paths: list[tuple[Any, ...]],
                  count: int) -> Iterator[tuple[str, bytes]]:
    """`doc` with the value at one of `count` of `paths` replaced by a value of another type; then garbage."""
    for path in rng.sample(paths, min(count, len(paths))):
        wrong = rng.choice(WRONG_TYPES[type(_at(doc, path))])
        mutated = copy.deepcopy(doc)
        _at(mutated, path[:-1])[path[-1]] = wrong
        yield f"{'.'.join(map(str, path))} = {wrong!r}", json.dumps(mutated).encode()
    yield from GARBAGE


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def state_cases(m: Machine, rng: random.Random) -> Iterator[Case]:
    """Wrong-shaped files in the state root, each given to the commands that read it."""
    local = m.state / "local" / ENV
    record = m.state / "state" / "envs" / ENV / "record.json"
    state_doc, record_doc = json.loads((local / "state.json").read_bytes()), json.loads(record.read_bytes())
    files = [
        ("state.json", local / "state.json", "deploy", _wrong_shapes(rng, state_doc, _state_paths(state_doc), 16)),
        ("state.json", local / "state.json", "destroy",
         _wrong_shapes(rng, state_doc, [("servers",), ("resources",)], 2)),
        ("secrets.json", local / "secrets.json", "deploy", iter(GARBAGE)),
        ("secrets.json", local / "secrets.json", "secret set",
         _wrong_shapes(rng, {SECRET: "polar-token"}, [(SECRET,)], 1)),
        ("record.json", record, "deploy", _wrong_shapes(rng, record_doc, _record_paths(record_doc), 12)),
        ("record.json", record, "secret set", _wrong_shapes(rng, record_doc, _record_paths(record_doc), 12)),
    ]
    for name, path, command, shapes in files:
        args = _commands(m, m.meta)[command]
        if command == "secret set":
            args = args[:5]  # without --meta: the declared secrets come from the record
        for label, text in shapes:

            def plant(machine: Machine, path: Path = path, text: bytes = text) -> None:
                path.write_bytes(text)

            yield Case(f"{command}: {name} {label}", args, "value", plant=plant)

    def link_state(machine: Machine) -> None:
        target = machine.root / "elsewhere.json"
        target.write_bytes((local / "state.json").read_bytes())
        (local / "state.json").unlink()
        (local / "state.json").symlink_to(target)

    def foreign_secrets(machine: Machine) -> None:
        os.chown(local / "secrets.json", 54321, 54321)

    for command in ("deploy", "destroy"):
        yield Case(f"{command}: state.json a symbolic link", _commands(m, m.meta)[command], plant=link_state)
    yield Case("secret set: secrets.json another user's", _commands(m, m.meta)["secret set"], "value",
               plant=foreign_secrets)
    yield Case("deploy: secrets.json another user's", m.deploy(), plant=foreign_secrets)


# ---------------------------------------------------------------- the check


def _problems(m: Machine, case: Case) -> list[str]:
    pristine = m.snapshot()
    try:
        if case.plant:
            case.plant(m)
        before, procs = m.snapshot(), m.processes()
        outcome = m.run(*case.args, stdin=case.stdin)
        after = m.snapshot()
        started = m.processes() - procs
    finally:
        _restore(m, pristine)
    problems = []
    if outcome.code != case.expect:
        problems.append(f"exit {outcome.code!r}, not {case.expect}")
    lines = outcome.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("error: ") or not outcome.stderr.endswith("\n"):
        problems.append("stderr is not one line starting with 'error:'")
    if "Traceback" in outcome.stderr:
        problems.append("a traceback")
    if outcome.stdout:
        problems.append(f"stdout not empty: {outcome.stdout[:100]!r}")
    if after != before:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        problems.append(f"wrote under the state root: {changed}")
    if started:
        problems.append(f"started processes {sorted(started)}")
    return [f"{case.label}: {'; '.join(problems)}: {outcome.stderr.strip()[:300]!r}"] if problems else []


def _restore(m: Machine, pristine: dict[str, tuple[int, int, bytes]]) -> None:
    """Put the state root and the inputs back as the deploy left them."""
    m.stack.write_text(STACK)
    for rel, (mode, uid, body) in sorted(pristine.items()):
        path = m.state / rel
        if stat.S_ISDIR(mode):
            path.mkdir(exist_ok=True)
        elif stat.S_ISREG(mode):
            if path.is_symlink():
                path.unlink()
            path.write_bytes(body)
            os.chown(path, uid, -1)
        os.chmod(path, stat.S_IMODE(mode))
    for rel in sorted(set(m.snapshot()) - set(pristine), reverse=True):
        path = m.state / rel
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    assert m.snapshot() == pristine


def _check(m: Machine, cases: list[Case], minimum: int) -> None:
    assert len(cases) >= minimum, len(cases)
    failures = [problem for case in cases for problem in _problems(m, case)]
    assert not failures, f"{len(failures)} of {len(cases)} bad inputs broke a promise:\n" + "\n".join(failures)


def test_corrupted_metadata(machine: Machine, fixtures_dir: Path, fixture_names: tuple[str, ...]) -> None:
    _check(machine, list(metadata_cases(machine, random.Random(SEED), fixtures_dir, fixture_names)), 3 * PER_KIND)


def test_bad_stack_files(machine: Machine) -> None:
    _check(machine, list(stack_cases(machine, random.Random(SEED))), 4 * PER_KIND)


def test_bad_names_values_and_flags(machine: Machine) -> None:
    _check(machine, list(input_cases(machine)), 40)


def test_wrong_shaped_local_state(machine: Machine) -> None:
    """state.json, the local target's ledger: refused naming the file, never `unexpected ...` (exit 1) nor repaired
    by guessing (issue #8, item 10)."""
    cases = [c for c in state_cases(machine, random.Random(SEED)) if "state.json" in c.label]
    _check(machine, cases, 20)


def test_wrong_shaped_records_and_secrets(machine: Machine) -> None:
    cases = [c for c in state_cases(machine, random.Random(SEED)) if "state.json" not in c.label]
    _check(machine, cases, 30)


def test_the_state_root_is_real_and_a_good_input_writes(machine: Machine) -> None:
    """The cases above are refused for their bad input alone: the same commands with good input do write."""
    before = machine.snapshot()
    done = machine.run("secret", "set", "--env", ENV, SECRET, "--meta", str(machine.meta), stdin="another-token")
    assert done.code == 0, done.stderr
    assert machine.snapshot() != before
    planned = machine.run("plan", "--env", ENV, "--meta", str(machine.meta))
    assert planned.code == 0, planned.stderr
    _restore(machine, before)
