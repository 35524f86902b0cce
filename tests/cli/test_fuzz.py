"""Fuzz `orchestrator plan` with corrupted metadata and bad stack files, in-process through the real entry point.

Every bad input must give exit code 2, exactly one stderr line starting with "error:", no
traceback, nothing on stdout, and no file written beside the inputs. Inputs are generated
from a seeded random.Random, so every run checks the same cases.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bench import synth
from orchestrator import cli
from orchestrator.core import appmeta
from orchestrator.core.errors import BadInput

SEED = 20261121
VALID_STACK = b"config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
ENV_VARS = ("ORCHESTRATOR_DEBUG", "ORCHESTRATOR_META", "ORCHESTRATOR_ENV", "ORCHESTRATOR_STACKS", "ORCHESTRATOR_HOME")


class Sandbox:
    """A cwd with stacks/Pulumi.dev.yaml and one metadata input; checks each CLI run's promises."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stack = root / "stacks" / "Pulumi.dev.yaml"
        self.meta = root / "input" / "meta.pb"
        self.stack.parent.mkdir()
        self.meta.parent.mkdir()
        self.runner = CliRunner()
        self.last_stderr = ""

    def run(self, *, meta: bytes, stack: bytes = VALID_STACK) -> str | None:
        """None when every promise holds, else what broke."""
        self.stack.write_bytes(stack)
        self.meta.write_bytes(meta)
        with self.runner.isolation() as (out, err, _):
            try:
                cli.main(["plan", "--env", "dev", "--meta", str(self.meta)])
                code: Any = 0
            except SystemExit as exc:
                code = exc.code
        stderr = self.last_stderr = err.getvalue().decode("utf-8", "replace")
        problems = []
        if code != 2:
            problems.append(f"exit code {code!r}")
        if not (stderr.startswith("error:") and stderr.endswith("\n") and stderr.count("\n") == 1):
            problems.append("stderr is not one line starting with 'error:'")
        if "Traceback" in stderr:
            problems.append("traceback")
        if out.getvalue():
            problems.append("stdout not empty")
        if self.files() != {"stacks/Pulumi.dev.yaml", "input/meta.pb"}:
            problems.append(f"files written: {sorted(self.files())}")
        return f"{'; '.join(problems)}: {stderr!r}" if problems else None

    def files(self) -> set[str]:
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*") if not p.is_dir()}


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return Sandbox(tmp_path)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


# ---------------------------------------------------------------------------
# Corrupted metadata


def _truncations(rng: random.Random, data: bytes, count: int) -> Iterator[bytes]:
    for i in range(count):
        yield data[: max(1, len(data) * i // count + rng.randrange(0, 7))]


def _bit_flips(rng: random.Random, data: bytes, count: int) -> Iterator[bytes]:
    for _ in range(count):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        yield bytes(buf)


def _json_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if path:
        yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _json_paths(value, (*path, i))


WRONG_TYPES: dict[type, list[Any]] = {
    str: [5, 1.5, [], {}, True, ["x"]],
    int: ["x", [], {}, 1.5, "1e3"],
    float: ["x", []],
    bool: ["yes", [], {}, 2],
    list: ["x", 5, {}, True],
    dict: [[], "x", 5, False],
}


def _wrong_json_types(rng: random.Random, doc: dict[str, Any], count: int) -> Iterator[bytes]:
    paths = list(_json_paths(doc))
    for path, value in rng.sample(paths, min(count, len(paths))):
        wrong = rng.choice(WRONG_TYPES[type(value)])
        mutated = copy.deepcopy(doc)
        target = mutated
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = wrong
        yield json.dumps(mutated).encode()


def _gzip_and_base64_garbage(rng: random.Random, pb: bytes) -> Iterator[bytes]:
    for _ in range(20):
        yield b"gzip:" + b64(rng.randbytes(rng.randrange(1, 400)))
    for junk in (b"", b"!!", b"====", b"abc", b"gzip:", b"\xff\xfe", b" \n", b"H4sI", b"A" * 10_001):
        yield b"gzip:" + junk
    for chunk in _truncations(rng, gzip.compress(pb, mtime=0), 15):
        yield b"gzip:" + b64(chunk)
    for chunk in _truncations(rng, pb, 10):
        yield b"gzip:" + b64(gzip.compress(chunk, mtime=0))
    for flipped in _bit_flips(rng, pb, 10):
        yield b"gzip:" + b64(gzip.compress(flipped, mtime=0))
    yield b"gzip:" + b64(gzip.compress(pb, mtime=0) + b"trailing")
    yield b"gzip:" + b64(gzip.compress(rng.randbytes(300)))
    for _ in range(20):
        yield b64(rng.randbytes(rng.randrange(1, 600)))
    for chunk in _truncations(rng, pb, 20):
        yield b64(chunk)
    for flipped in _bit_flips(rng, pb, 20):
        yield b64(flipped)
    yield b64(pb)[:-1]
    yield b64(pb).replace(b"A", b"-")


def _text_garbage(rng: random.Random) -> Iterator[bytes]:
    yield b'{"svcs": "\xff\xfe"}'
    yield b"{" + bytes(rng.randrange(128, 256) for _ in range(40))
    for _ in range(8):
        yield b"{" + rng.randbytes(rng.randrange(1, 200))
    yield b'{"a":' * 20_000 + b"1" + b"}" * 20_000
    yield b'{"svcs": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    yield from (b"[]", b"null", b"1", b'"str"', b"{}", b"{,}", b"{}{}", b'{"svcs": [{}]}', b"{" * 3)
    yield b'{"language": ' + b"9" * 10_000 + b"}"
    yield b'{"svcs": [{"name": "a\\ud800"}]}'


def _absurd_sizes() -> Iterator[bytes]:
    too_many = synth.synth_app(1)
    svc = too_many.svcs[0]
    for i in range(appmeta.MAX_ELEMENTS):
        too_many.svcs.add(name=f"s{i}", rel_path=svc.rel_path)
    yield too_many.SerializeToString()
    yield b"gzip:" + b64(gzip.compress(b"\0" * (appmeta.MAX_BYTES + 1), 1))
    yield b"\0" * (appmeta.MAX_BYTES + 1)
    yield b"\x7b" * 70_000  # start-group tags nested past upb's limit
    yield b"\x22\x05" + b"\x0b" * 70_000


def corrupted_metadata(fixtures_dir: Path, names: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(SEED)
    for name in names:
        pb = (fixtures_dir / name / "meta.pb").read_bytes()
        text = (fixtures_dir / name / "meta.json").read_bytes()
        doc = json.loads(text)
        yield from ((f"{name} truncated", d) for d in _truncations(rng, pb, 30))
        yield from ((f"{name} json truncated", d) for d in _truncations(rng, text, 15))
        yield from ((f"{name} bit flips", d) for d in _bit_flips(rng, pb, 50))
        yield from ((f"{name} json wrong type", d) for d in _wrong_json_types(rng, doc, 60))
        yield from ((f"{name} json bit flips", d) for d in _bit_flips(rng, text, 10))
    pb = (fixtures_dir / names[0] / "meta.pb").read_bytes()
    yield from (("random bytes", rng.randbytes(rng.randrange(0, 3000))) for _ in range(100))
    yield from (("gzip/base64 garbage", d) for d in _gzip_and_base64_garbage(rng, pb))
    yield from (("text garbage", d) for d in _text_garbage(rng))
    yield from (("absurd size", d) for d in _absurd_sizes())


def test_corrupted_metadata(sandbox: Sandbox, fixtures_dir: Path, fixture_names: tuple[str, ...]) -> None:
    bad = accepted = 0
    failures = []
    for label, data in corrupted_metadata(fixtures_dir, fixture_names):
        try:
            appmeta.load_bytes(data, where="fuzz", name="app")
        except BadInput:
            pass
        else:
            accepted += 1  # the corruption hit a doc string or similar: still valid metadata
            continue
        bad += 1
        problem = sandbox.run(meta=data)
        if problem:
            failures.append(f"{label} ({len(data)} bytes): {problem}")
    assert not failures, f"{len(failures)} of {bad} inputs broke a promise, e.g.: " + " | ".join(failures[:5])
    assert bad >= 1000, (bad, accepted)


# ---------------------------------------------------------------------------
# Bad stack files

LOCAL = "config:\n  orchestrator:cloud: local\n  orchestrator:envType: development\n"
AWS = "config:\n  orchestrator:cloud: aws\n  orchestrator:envType: production\n  aws:region: eu-west-1\n"
SIZING_BAD = {
    "sqlMinCapacity": ["-1", "x"], "sqlMaxCapacity": ["0", "999"], "sqlInstances": ["0", "17"],
    "sqlEngineVersion": ["latest", "[16]"], "backupRetentionDays": ["0", "36"], "cacheSize": ["huge", "3"],
    "cacheReplicas": ["-1", "6"], "highAvailability": ["[1, 2]", "maybe"], "deletionProtection": ["{}", "often"],
    "protect": ["[true]", "2"], "secretRecoveryDays": ["31", "-1"], "forceDestroy": ["sometimes", "{a: 1}"],
    "logRetentionDays": ["0", "4000"],
}


def bad_stacks() -> Iterator[tuple[str, bytes]]:
    for key, values in SIZING_BAD.items():
        for value in values:
            yield f"sizing {key}={value}", f"{LOCAL}  orchestrator:sizing:\n    {key}: {value}\n".encode()
    plain = {
        "unknown key": LOCAL + "  orchestrator:colour: blue\n",
        "unknown sizing key": LOCAL + "  orchestrator:sizing:\n    cpus: 2\n",
        "unknown namespace": LOCAL + "  kubernetes:context: x\n",
        "no namespace": LOCAL + "  region: x\n",
        "empty field": LOCAL + "  'orchestrator:': x\n",
        "bad envType": LOCAL.replace("development", "staging"),
        "numeric envType": LOCAL.replace("development", "3"),
        "missing envType": "config:\n  orchestrator:cloud: local\n",
        "bad cloud": LOCAL.replace("local", "heroku"),
        "missing cloud": "config:\n  orchestrator:envType: test\n",
        "bad aws:region": AWS.replace("eu-west-1", "Europe"),
        "aws:region list": AWS.replace("eu-west-1", "[eu-west-1]"),
        "missing aws:region": AWS.replace("  aws:region: eu-west-1\n", ""),
        "missing gcp:project": "config:\n  orchestrator:cloud: gcp\n  orchestrator:envType: test\n",
        "missing azure location": "config:\n  orchestrator:cloud: azure\n  orchestrator:envType: test\n",
        "bad YAML flow": "config:\n  orchestrator:cloud: [local\n",
        "bad YAML indent": "config:\n  a: 1\n b: 2\n",
        "YAML tab": "config:\n\torchestrator:cloud: local\n",
        "YAML unclosed quote": 'config:\n  orchestrator:cloud: "local\n',
        "YAML duplicate anchor use": "config: *missing\n",
        "YAML python tag": "config: !!python/object:os.system {}\n",
        "list document": "- a\n- b\n",
        "scalar document": "just text\n",
        "number document": "42\n",
        "empty document": "",
        "null config": "config:\n",
        "config list": "config: [1, 2]\n",
        "config string": "config: local\n",
        "unknown top-level key": "configuration: {}\n",
        "two documents": LOCAL + "---\n" + LOCAL,
        "sizing not mapping": LOCAL + "  orchestrator:sizing: big\n",
        "min above max": LOCAL + "  orchestrator:sizing:\n    sqlMinCapacity: 4\n    sqlMaxCapacity: 2\n",
        "override key shape": LOCAL + "  orchestrator:overrides:\n    orders:\n      cacheReplicas: 1\n",
        "override value": LOCAL + "  orchestrator:overrides:\n    sql:orders:\n      cacheReplicas: 9\n",
        "override not mapping": LOCAL + "  orchestrator:overrides:\n    sql:orders: 3\n",
        "overrides list": LOCAL + "  orchestrator:overrides: [1]\n",
        "pr in production": AWS + "  orchestrator:pr: 3\n",
        "pr zero": LOCAL.replace("development", "ephemeral") + "  orchestrator:pr: 0\n",
        "ttl zero": LOCAL + "  orchestrator:ttlHours: 0\n",
        "bad app": LOCAL + "  orchestrator:app: My_App\n",
        "bad backend": LOCAL + "  orchestrator:backend: ftp://x\n",
        "bad secrets provider": LOCAL + "  orchestrator:secretsProvider: plaintext\n",
        "bad size limit": LOCAL + "  orchestrator:runtimeConfigSizeLimit: 10\n",
        "local port": LOCAL + "  orchestrator:local:\n    postgresPort: 80\n",
        "local port string": LOCAL + "  orchestrator:local:\n    redisPort: high\n",
        "local redis": LOCAL + "  orchestrator:local:\n    redis: disk\n",
        "local admin url": LOCAL + "  orchestrator:local:\n    postgresAdminUrl: mysql://x\n",
        "local unknown": LOCAL + "  orchestrator:local:\n    port: 1\n",
        "local not mapping": LOCAL + "  orchestrator:local: yes\n",
        "aws vpc": AWS + "  orchestrator:aws:\n    vpcId: vpc-x\n",
        "aws sql mode": AWS + "  orchestrator:aws:\n    sqlMode: fast\n",
        "aws instance class": AWS + "  orchestrator:aws:\n    sqlInstanceClass: big\n",
        "recursive alias": "config: &c\n  x: *c\n",
    }
    yield from ((label, text.encode()) for label, text in plain.items())
    yield "non-utf-8", b"config:\n  orchestrator:cloud: \xff\xfe\n"
    yield "binary", random.Random(SEED).randbytes(500)
    yield "nul bytes", b"config:\x00\n"


def test_bad_stack_files(sandbox: Sandbox, fixtures_dir: Path) -> None:
    meta = (fixtures_dir / "ts-uptime" / "meta.pb").read_bytes()
    cases = list(bad_stacks())
    assert len(cases) >= 50
    failures = []
    for label, stack in cases:
        problem = sandbox.run(meta=meta, stack=stack)
        if problem is None and "Pulumi.dev.yaml" not in sandbox.last_stderr:
            problem = f"the error does not name the stack file: {sandbox.last_stderr!r}"
        if problem:
            failures.append(f"{label}: {problem}")
    assert not failures, f"{len(failures)} of {len(cases)} stack files broke a promise: " + " | ".join(failures[:5])


def test_sandbox_inputs_are_valid(sandbox: Sandbox, fixtures_dir: Path) -> None:
    """Only the input under test is bad: the valid stack plus a valid fixture plans fine."""
    sandbox.stack.write_bytes(VALID_STACK)
    sandbox.meta.write_bytes((fixtures_dir / "ts-uptime" / "meta.pb").read_bytes())
    with sandbox.runner.isolation() as (_, err, _):
        try:
            cli.main(["plan", "--env", "dev", "--meta", str(sandbox.meta), "--format", "json"])
            code: Any = 0
        except SystemExit as exc:
            code = exc.code
    assert code == 0, err.getvalue()
    assert sandbox.files() == {"stacks/Pulumi.dev.yaml", "input/meta.pb"}
