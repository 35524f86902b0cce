"""`orchestrator preview-env` through the real entry point, in-process, on a server-less app (no server starts).

The base env `dev` (local) holds polar-file-sharing without databases and buckets: services and one secret. Bad
input to `up` (PR numbers, bases, templates, metadata) exits 2 with one `error:` line and leaves every byte under
the state root as it was. Isolated preview envs of the same app come up, list, work with every env verb, redeploy
as a no-op, and go with `down` and `gc` (a fake clock through `verbs.gc(now=...)`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.core.errors import ExitCode
from orchestrator.pipeline import Context
from orchestrator.preview_record import PreviewEnv
from orchestrator.state import Store, open_store
from orchestrator.ui import UI
from tests.cli.test_json_output import validate
from tests.cli.test_nothing_written import ENV, FRESH, SECRET, Machine, machine  # noqa: F401  (the fixture)

BAD = int(ExitCode.BAD_INPUT)
AWS_TEMPLATE = "aws-pr"


def up(m: Machine, pr: str, *extra: str, base: str = ENV) -> tuple[str, ...]:
    return ("preview-env", "up", "--pr", pr, "--base", base, "--meta", str(m.meta), "--app-root",
            str(m.meta.parent), "--yes", *extra)


@pytest.fixture(scope="module")
def pm(machine: Machine) -> Iterator[Machine]:  # noqa: F811
    (machine.stack.parent / f"Pulumi.{AWS_TEMPLATE}.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n  orchestrator:envType: ephemeral\n")
    yield machine
    for preview in _store(machine).previews():
        machine.run("preview-env", "down", "--pr", str(preview.pr), "--yes")


def _store(m: Machine) -> Store:

    return open_store(None, m.state)


def _ctx(m: Machine) -> Context:
    return Context(stacks_dir=m.stack.parent, state_root=m.state, ui=UI())


BAD_UP = {
    "PR zero": lambda m: up(m, "0"),
    "negative PR": lambda m: up(m, "-3"),
    "PR not a number": lambda m: up(m, "abc"),
    "PR with a fraction": lambda m: up(m, "1.5"),
    "PR with a space": lambda m: up(m, "1 2"),
    "unknown base": lambda m: up(m, "7", base="staging"),
    "base not a valid env name": lambda m: up(m, "7", base="../dev"),
    "base never deployed": lambda m: up(m, "7", base=FRESH),
    "template on another cloud": lambda m: up(m, "7", "--template", AWS_TEMPLATE),
    "unknown template": lambda m: up(m, "7", "--template", "nope"),
    "metadata missing": lambda m: (*up(m, "7")[:6], "--meta", str(m.root / "nope.pb"), "--yes"),
    "not interactive without --yes": lambda m: up(m, "7")[:-1],
}


@pytest.mark.parametrize("label", sorted(BAD_UP))
def test_bad_input_to_up_exits_2_and_writes_nothing(pm: Machine, label: str) -> None:
    before = pm.snapshot()
    out = pm.run(*BAD_UP[label](pm))
    assert out.code == BAD, (label, out.code, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (label, out.stderr)
    assert "Traceback" not in out.stderr
    assert pm.snapshot() == before, f"{label}: the state root changed"
    assert _store(pm).previews() == [] or all(p.pr != 7 for p in _store(pm).previews())


def test_bad_input_names_what_is_wrong(pm: Machine) -> None:
    assert "--pr" in pm.run(*up(pm, "0")).stderr
    assert "no such environment" in pm.run(*up(pm, "7", base="staging")).stderr
    assert f"base env {FRESH} was never deployed" in pm.run(*up(pm, "7", base=FRESH)).stderr
    mismatch = pm.run(*up(pm, "7", "--template", AWS_TEMPLATE)).stderr
    assert "asks for cloud aws" in mismatch and "runs on local" in mismatch


def test_isolated_preview_envs_come_up_list_and_are_envs_like_any_other(pm: Machine) -> None:
    for pr in ("3", "4"):
        out = pm.run(*up(pm, pr, "--strategy", "isolated", "--json"))
        assert out.code == 0, out.stderr
        doc = json.loads(out.stdout)
        validate(doc, "preview-env-up")
        assert doc["env"] == f"pr-{pr}" and doc["pr"] == int(pr) and doc["base"] == ENV
        assert doc["strategy"] == "isolated" and doc["changed"] is True and doc["seconds"] > 0
        assert f"pr-{pr} is up in" in out.stderr and "created" in out.stderr
    assert not (pm.stack.parent / "Pulumi.pr-3.yaml").exists(), "up must not write into the stacks dir"

    listed = pm.run("preview-env", "list", "--json")
    assert listed.code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    validate(rows, "preview-env-list")
    assert [(r["pr"], r["env"], r["base"], r["strategy"]) for r in rows] == [
        (3, "pr-3", ENV, "isolated"), (4, "pr-4", ENV, "isolated")]
    assert all(datetime.fromisoformat(r["last_deploy"]) for r in rows)
    assert rows[0]["holds"].get("service", 0) > 0

    listed_envs = json.loads(pm.run("env", "list", "--json").stdout)
    assert {(e["name"], e["type"], e["base"]) for e in listed_envs} >= {("pr-3", "ephemeral", ENV),
                                                                        ("pr-4", "ephemeral", ENV)}
    for verb in (("status", "--env", "pr-3", "--json"), ("env-vars", "--env", "pr-3"),
                 ("runtime-config", "--env", "pr-3", "--meta", str(pm.meta), "--format", "infra-json")):
        out = pm.run(*verb)
        assert out.code == 0, (verb, out.stderr)
    status = json.loads(pm.run("status", "--env", "pr-3", "--json").stdout)
    assert status["deployed"] is True and status["record"]["plan"]["env"]["env_type"] == "ephemeral"
    assert status["record"]["plan"]["env"]["pr"] == 3

    again = pm.run(*up(pm, "3", "--json"))
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False, "a second up with the same metadata must change nothing"

    moved = pm.run(*up(pm, "3", "--strategy", "shared"))
    assert moved.code == BAD and "runs isolated" in moved.stderr


def test_a_new_env_missing_its_own_secret_stays_known_so_it_can_be_set(pm: Machine) -> None:
    first = pm.run(*up(pm, "6", "--strategy", "isolated", "--own-secret", SECRET))
    assert first.code == BAD and SECRET in first.stderr and "secret set --env pr-6" in first.stderr, first.stderr
    assert _store(pm).read_preview("pr-6") is not None and _store(pm).read("pr-6") is None
    assert pm.run("secret", "set", "--env", "pr-6", SECRET, stdin="pr-6-token").code == 0
    second = pm.run(*up(pm, "6", "--json"))
    assert second.code == 0, second.stderr
    assert json.loads(second.stdout)["changed"] is True
    assert pm.run("preview-env", "down", "--pr", "6", "--yes").code == 0


def test_gc_by_ttl_and_closed_prs_with_a_fake_clock(pm: Machine) -> None:
    from orchestrator.preview_env import verbs

    assert {p.env for p in _store(pm).previews()} >= {"pr-3", "pr-4"}
    now = datetime.now(UTC)
    fresh = verbs.gc(_ctx(pm), ttl="1h", open_prs=None, dry_run=True, yes=False, now=now)
    assert fresh["envs"] == [], "nothing is idle an hour right after a deploy"
    later = verbs.gc(_ctx(pm), ttl="1h", open_prs=None, dry_run=True, yes=False, now=now + timedelta(hours=2))
    assert later["envs"] == ["pr-3", "pr-4"] and later["removed"] == []
    closed = verbs.gc(_ctx(pm), ttl="7d", open_prs="3", dry_run=True, yes=False, now=now)
    assert closed["envs"] == ["pr-4"]

    as_doc = pm.run("preview-env", "gc", "--ttl", "7d", "--open-prs", "3", "--dry-run", "--json")
    assert as_doc.code == 0, as_doc.stderr
    validate(json.loads(as_doc.stdout), "preview-env-gc")
    assert json.loads(as_doc.stdout)["envs"] == ["pr-4"]
    printed = pm.run("preview-env", "gc", "--ttl", "7d", "--open-prs", "3", "--dry-run")
    assert printed.code == 0, printed.stderr
    assert printed.stdout.split() == ["pr-4"]
    assert {p.env for p in _store(pm).previews()} >= {"pr-3", "pr-4"}, "a dry run removes nothing"

    refused = pm.run("preview-env", "gc", "--ttl", "7d", "--open-prs", "3")
    assert refused.code == BAD and "--yes" in refused.stderr

    removed = verbs.gc(_ctx(pm), ttl="1h", open_prs="3", dry_run=False, yes=True, now=now + timedelta(minutes=5))
    assert removed["removed"] == ["pr-4"]
    assert [p.env for p in _store(pm).previews() if p.env in ("pr-3", "pr-4")] == ["pr-3"]
    assert _store(pm).read("pr-4") is None
    gone = pm.run("status", "--env", "pr-4")
    assert gone.code == BAD and "no such environment" in gone.stderr


@pytest.mark.parametrize("ttl", ["0s", "-1h", "72", "h", "3w", "1.5h", ""])
def test_gc_refuses_bad_durations(pm: Machine, ttl: str) -> None:
    out = pm.run("preview-env", "gc", "--ttl", ttl, "--dry-run")
    assert out.code == BAD and "--ttl" in out.stderr, out.stderr


def test_gc_refuses_bad_open_prs(pm: Machine) -> None:
    out = pm.run("preview-env", "gc", "--ttl", "1d", "--open-prs", "1,x", "--dry-run")
    assert out.code == BAD and "--open-prs" in out.stderr, out.stderr


def test_down_refuses_an_env_that_is_not_a_preview_env(pm: Machine) -> None:
    out = pm.run("preview-env", "down", "--pr", "99", "--yes")
    assert out.code == BAD and "pr-99 is not a preview env" in out.stderr


def test_base_destroy_is_refused_while_a_shared_preview_borrows_it(pm: Machine) -> None:
    store = _store(pm)
    borrower = PreviewEnv.new(pr=41, base=ENV, cloud="local", strategy="shared", slot=None,
                              stack=f"config:\n  orchestrator:cloud: local\n  orchestrator:envType: ephemeral\n"
                              f"  orchestrator:base: {ENV}\n  orchestrator:pr: 41\n")
    store.write_preview(borrower)
    try:
        before = pm.snapshot()
        out = pm.run("destroy", "--env", ENV, "--yes")
        assert out.code == BAD and "pr-41" in out.stderr and "preview-env down" in out.stderr, out.stderr
        assert pm.snapshot() == before
    finally:
        store.forget_preview("pr-41")


def test_down_removes_the_env_and_its_descriptor(pm: Machine) -> None:
    if _store(pm).read_preview("pr-3") is None:
        assert pm.run(*up(pm, "3", "--strategy", "isolated")).code == 0
    out = pm.run("preview-env", "down", "--pr", "3", "--yes", "--json")
    assert out.code == 0, out.stderr
    validate(json.loads(out.stdout), "preview-env-down")
    assert json.loads(out.stdout)["env"] == "pr-3"
    assert _store(pm).read_preview("pr-3") is None and _store(pm).read("pr-3") is None
    assert not (pm.state / "local" / "pr-3" / "state.json").exists()
    assert pm.run("preview-env", "list", "--json").stdout.strip() in ("[]", "")


def test_a_wrong_shaped_descriptor_is_exit_2_naming_the_file(pm: Machine) -> None:
    path = pm.state / "state" / "envs" / "pr-55" / "preview.json"
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    path.write_text(json.dumps({"pr": "x"}))
    try:
        out = pm.run("preview-env", "list")
        assert out.code == BAD and str(path) in out.stderr and "descriptor" in out.stderr, out.stderr
    finally:
        path.unlink()
        path.parent.rmdir()


def test_the_derived_stack_takes_the_base_and_drops_its_sizes(tmp_path: Path) -> None:
    from orchestrator import stacks
    from orchestrator.preview_env import derive

    base_file = tmp_path / "Pulumi.prod.yaml"
    base_file.write_text("encryptionsalt: v1:abc\nconfig:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n"
                         "  orchestrator:envType: production\n  orchestrator:sizing:\n    sqlMaxCapacity: 16\n"
                         "  orchestrator:aws:\n    gatewayBaseUrl: https://api.example.com\n")
    base = stacks.load(tmp_path, "prod")
    text = derive.stack_text(base, pr=12, strategy=None, slot=2, template=None, own_secrets=["B", "A", "A"])
    env = stacks.parse(text, name="pr-12", where="derived")
    assert (env.cloud, env.region, env.base, env.pr, env.strategy, env.slot) == (
        "aws", "eu-west-1", "prod", 12, "shared", 2)
    assert env.is_preview and env.shares_base and env.own_secrets == ("A", "B")
    assert env.sizing.sql_max_capacity != 16 and not env.sizing.protect, "a preview takes the ephemeral presets"
    assert "encryptionsalt" not in text
    assert env.settings.gateway_base_url == "", "a preview never serves the base's API URL"

    template_file = tmp_path / "Pulumi.aws-pr.yaml"
    template_file.write_text("config:\n  aws:region: eu-west-1\n  orchestrator:cloud: aws\n"
                             "  orchestrator:envType: ephemeral\n  orchestrator:ttlHours: 24\n"
                             "  orchestrator:aws:\n    gatewayBaseUrl: https://pr-{pr}.preview.example.com\n")
    templated = stacks.parse(derive.stack_text(base, pr=12, strategy="isolated", slot=None,
                                               template=stacks.load(tmp_path, "aws-pr"), own_secrets=[]),
                             name="pr-12", where="derived")
    assert templated.settings.gateway_base_url == "https://pr-12.preview.example.com"
    assert (templated.ttl_hours, templated.strategy, templated.base) == (24, "isolated", "prod")


def test_bucket_mode_comes_from_the_flag_then_the_template_never_the_base(tmp_path: Path) -> None:
    from orchestrator import stacks
    from orchestrator.preview_env import derive

    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  orchestrator:cloud: local\n  orchestrator:envType: "
                                               "production\n  orchestrator:previewBuckets: separate\n")
    (tmp_path / "Pulumi.tpl.yaml").write_text("config:\n  orchestrator:cloud: local\n  orchestrator:envType: "
                                              "ephemeral\n  orchestrator:previewBuckets: separate\n")
    base, template = stacks.load(tmp_path, "prod"), stacks.load(tmp_path, "tpl")

    def mode(**kw: Any) -> tuple[str, bool]:
        env = stacks.parse(derive.stack_text(base, pr=3, strategy=None, slot=None, own_secrets=[], **kw),
                           name="pr-3", where="derived")
        return env.buckets, env.prefixes_buckets

    assert mode(template=None) == ("prefix", True)
    assert mode(template=template) == ("separate", False)
    assert mode(template=template, buckets="prefix") == ("prefix", True)
    assert mode(template=None, buckets="separate") == ("separate", False)


def test_an_unknown_bucket_mode_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.pr-3.yaml").write_text("config:\n  orchestrator:cloud: local\n  orchestrator:envType: "
                                               "ephemeral\n  orchestrator:previewBuckets: both\n")
    from orchestrator import stacks
    from orchestrator.core.errors import BadInput

    with pytest.raises(BadInput, match="previewBuckets"):
        stacks.load(tmp_path, "pr-3")
