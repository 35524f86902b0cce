"""diff: two Plan JSON dicts -> what a deploy adds, changes, replaces and removes, per kind."""

from __future__ import annotations

import copy
import json
import random
from datetime import timedelta
from typing import Any

import pytest
import rc_fixtures as fx

from orchestrator.core.model import App, CronJob, Endpoint, Kind
from orchestrator.diff import DATA_KINDS, AppDiff, FieldChange, GrantRef, diff


def shop(app: App | None = None, extra: str = "", cloud: str = "aws") -> dict[str, Any]:
    app = app or shop_app()
    return fx.make_plan(app, fx.env(cloud, extra=extra)).model_dump(mode="json")


def shop_app() -> App:
    cron = CronJob(id="cleanup", title="Cleanup", schedule="every 1h", service="orders", endpoint="ping", path="/p")
    return fx.shop_app().model_copy(update={"cron_jobs": (cron,)})


BASE = shop()
KINDS = sorted({r["kind"] for r in BASE["resources"]})


def first_of(plan: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["kind"] == kind)


def without(plan: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(plan)
    out["resources"] = [r for r in out["resources"] if r != resource]
    return out


def test_every_kind_is_covered() -> None:
    assert set(KINDS) == {k.value for k in Kind}


def test_same_plan_is_empty() -> None:
    d = diff(BASE, copy.deepcopy(BASE))
    assert d.empty and d.counts == {"add": 0, "change": 0, "replace": 0, "remove": 0} and d.destructive == ()


def test_first_deploy_adds_everything() -> None:
    d = diff(None, BASE)
    assert [r.key for r in d.added] == [f"{r['kind']}:{r['name']}" for r in BASE["resources"]]
    assert d.counts["add"] == len(BASE["resources"]) and not d.changed and not d.removed and not d.replaced
    assert sum(len(g.added) for g in d.grants) == len(BASE["grants"]) and not d.app_changes


@pytest.mark.parametrize("kind", KINDS)
def test_add(kind: str) -> None:
    resource = first_of(BASE, kind)
    d = diff(without(BASE, resource), BASE)
    assert [(r.kind, r.name, r.key) for r in d.added] == [(kind, resource["name"], f"{kind}:{resource['name']}")]
    assert d.counts == {"add": 1, "change": 0, "replace": 0, "remove": 0}


@pytest.mark.parametrize("kind", KINDS)
def test_remove(kind: str) -> None:
    resource = first_of(BASE, kind)
    d = diff(BASE, without(BASE, resource))
    assert [r.key for r in d.removed] == [f"{kind}:{resource['name']}"]
    assert d.removed[0].data_loss is (kind in DATA_KINDS)
    assert d.destructive == (d.removed if kind in DATA_KINDS else ())


@pytest.mark.parametrize("kind", KINDS)
def test_change_a_setting(kind: str) -> None:
    new = copy.deepcopy(BASE)
    resource = first_of(new, kind)
    old_days = resource["settings"]["log_retention_days"]
    resource["settings"]["log_retention_days"] = old_days + 1
    d = diff(BASE, new)
    assert [r.key for r in d.changed] == [f"{kind}:{resource['name']}"]
    assert d.changed[0].changes == (FieldChange(path="settings.log_retention_days", old=old_days, new=old_days + 1),)
    assert not d.destructive


@pytest.mark.parametrize("kind", [k for k in KINDS if any(
    not (role == "env" or role.endswith("_env")) for role in first_of(BASE, k)["names"])])
def test_renamed_physical_name_is_replaced(kind: str) -> None:
    new = copy.deepcopy(BASE)
    resource = first_of(new, kind)
    role = next(r for r in sorted(resource["names"]) if not (r == "env" or r.endswith("_env")))
    old_name = resource["names"][role]
    resource["names"][role] = old_name + "-2"
    d = diff(BASE, new)
    assert not d.changed and not d.added and not d.removed
    assert [r.key for r in d.replaced] == [f"{kind}:{resource['name']}"]
    assert d.replaced[0].changes == (FieldChange(path=f"names.{role}", old=old_name, new=old_name + "-2"),)
    assert d.replaced[0].data_loss is (kind in DATA_KINDS)
    assert d.counts["replace"] == 1


def test_a_renamed_env_var_or_a_new_role_is_a_change_not_a_replacement() -> None:
    new = copy.deepcopy(BASE)
    db = first_of(new, "sql")
    db["names"]["password_env"] = "ENCORE_SQL_OTHER"
    db["names"]["extra_role"] = "added"
    d = diff(BASE, new)
    assert not d.replaced
    assert [c.path for c in d.changed[0].changes] == ["names.extra_role", "names.password_env"]


def test_spec_field_change_uses_dotted_paths() -> None:
    app = shop_app()
    topic = app.topics[0]
    sub = topic.subscriptions[0].model_copy(update={"ack_deadline": timedelta(minutes=1)})
    app = app.model_copy(update={"topics": (topic.model_copy(update={"subscriptions": (
        sub, *topic.subscriptions[1:])}),)})
    d = diff(BASE, shop(app))
    changes = {r.key: r.changes for r in d.changed}
    assert changes["subscription:order-created/send-email"] == (
        FieldChange(path="spec.ack_deadline", old="PT30S", new="PT1M"),)


def test_list_items_are_compared_by_name() -> None:
    app = shop_app()
    api = app.services[0]
    health = Endpoint(name="health", path="/health", methods=("GET",), access="public", exposed=True)  # type: ignore[arg-type]
    ping = api.endpoints[0].model_copy(update={"path": "/ping2"})
    app = app.model_copy(update={"services": (api.model_copy(update={"endpoints": (ping, health)}), *app.services[1:])})
    d = diff(BASE, shop(app))
    paths = [(c.path, c.old) for c in next(r for r in d.changed if r.key == "service:api").changes]
    assert paths == [("spec.endpoints[health]", None), ("spec.endpoints[ping].path", "/ping")]


def test_grants_per_service() -> None:
    app = shop_app()
    api, billing, mailer, orders = app.services
    app = app.model_copy(update={"services": (
        api.model_copy(update={"calls": ("orders", "billing")}), billing, mailer,
        orders.model_copy(update={"buckets": ()}))})
    d = diff(BASE, shop(app))
    grants = {g.service: g for g in d.grants}
    assert set(grants) == {"api", "orders"}
    assert grants["api"].added == (GrantRef(verb="call", resource="service:billing"),) and not grants["api"].removed
    assert grants["orders"].removed == (GrantRef(verb="read-object-contents", resource="bucket:invoices"),
                                        GrantRef(verb="write-object", resource="bucket:invoices"))
    assert not d.empty


def test_env_settings_are_compared_but_not_the_stack_file_path() -> None:
    new = copy.deepcopy(BASE)
    new["env"]["path"] = "/somewhere/else.yaml"
    assert diff(BASE, new).empty
    d = diff(BASE, shop(extra="  orchestrator:aws:\n    sqlMode: provisioned\n"))
    assert d.app_changes == (FieldChange(path="env.settings.sql_mode", old="serverless", new="provisioned"),)
    assert not d.changed


def test_renaming_the_app_replaces_everything_with_a_physical_name() -> None:
    d = diff(BASE, shop(extra="  orchestrator:app: store\n"))
    assert d.app_changes == (FieldChange(path="app", old="shop", new="store"),)
    assert {r.kind for r in d.replaced} >= {"sql", "bucket", "topic", "subscription", "cache"}
    assert all(r.data_loss for r in d.destructive) and d.destructive


def test_deterministic_whatever_the_input_order() -> None:
    new = shop(extra="  orchestrator:app: store\n")
    shuffled_old, shuffled_new = copy.deepcopy(BASE), copy.deepcopy(new)
    for plan in (shuffled_old, shuffled_new):
        random.Random(7).shuffle(plan["resources"])
        random.Random(8).shuffle(plan["grants"])
    text = diff(BASE, new).to_json()
    assert diff(shuffled_old, shuffled_new).to_json() == text
    assert AppDiff.model_validate(json.loads(text)) == diff(BASE, new)


def test_an_older_plan_shape_still_diffs() -> None:
    old = {"app": "shop", "resources": [{"kind": "bucket", "name": "avatars", "names": {"bucket": "x"}}]}
    d = diff(old, BASE)
    assert [r.key for r in d.replaced] == ["bucket:avatars"]
    assert [c.path for c in d.replaced[0].changes] == ["spec", "settings", "names.bucket"]
