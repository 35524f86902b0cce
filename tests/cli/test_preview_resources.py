"""The resource-level diff (orchestrator/resource_diff.py) and every cloud's replacement table: one test per
(type, input) entry of each registered target's `replace` part, so a cloud that adds its table is covered."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.resource_diff import diff_graphs, ledger_nodes
from providers import registry


def _tables() -> list[tuple[str, str, str]]:
    out = []
    for target in registry.all_targets():
        try:
            table = target.part("replace").REPLACES
        except ModuleNotFoundError:
            continue
        out += [(target.name, rtype, prop) for rtype, props in sorted(table.items()) for prop in sorted(props)]
    return out


ENTRIES = _tables()


def node(rtype: str, inputs: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"urn": f"urn::{rtype}::thing", "type": rtype, "name": "thing", "inputs": inputs, "options": options}


def test_every_registered_table_is_found() -> None:
    assert {cloud for cloud, _, _ in ENTRIES} >= {"aws", "local"}


@pytest.mark.parametrize(("cloud", "rtype", "prop"), ENTRIES, ids=[f"{c}:{t}:{p}" for c, t, p in ENTRIES])
def test_a_change_to_a_replacing_input_is_a_replacement(cloud: str, rtype: str, prop: str) -> None:
    table = registry.get(cloud).part("replace").REPLACES
    before = node(rtype, {prop: "old", "untouched": 1})
    after = node(rtype, {prop: "new", "untouched": 1})
    d = diff_graphs([before], [after], table)
    assert d.updates == () and len(d.replaces) == 1
    assert d.replaces[0].forced_by == (prop,)
    assert [(c.path, c.old, c.new) for c in d.replaces[0].changes] == [(prop, "old", "new")]
    assert d.destructive
    nested = diff_graphs([node(rtype, {prop: {"a": 1}})], [node(rtype, {prop: {"a": 2}})], table)
    assert nested.replaces[0].forced_by == (prop,) and nested.replaces[0].changes[0].path == f"{prop}.a"


@pytest.mark.parametrize("rtype", sorted({t for _, t, _ in ENTRIES}))
def test_a_change_to_any_other_input_is_an_update(rtype: str) -> None:
    tables = {}
    for cloud, t, _ in ENTRIES:
        if t == rtype:
            tables = registry.get(cloud).part("replace").REPLACES
    d = diff_graphs([node(rtype, {"notForcing": 1})], [node(rtype, {"notForcing": 2})], tables)
    assert d.replaces == () and len(d.updates) == 1 and not d.destructive


def test_replace_on_changes_in_the_node_options_forces_too() -> None:
    before, after = (node("x:y:Z", {"a": v}, replaceOnChanges=["a"]) for v in (1, 2))
    d = diff_graphs([before], [after], {})
    assert d.replaces[0].forced_by == ("a",)


def test_creates_deletes_and_unchanged_nodes() -> None:
    a, b, c = (node(f"t:m:{n}", {"v": 1}) for n in "ABC")
    d = diff_graphs([a, b], [b, c], {})
    assert [n.type for n in d.creates] == ["t:m:C"] and [n.type for n in d.deletes] == ["t:m:A"]
    assert d.updates == () and d.replaces == ()
    assert diff_graphs([], [a], {}).counts == {"create": 1, "update": 0, "replace": 0, "delete": 0}
    assert diff_graphs([a], [a], {}).empty


def test_the_local_ledger_as_nodes() -> None:
    table = registry.get("local").part("replace").REPLACES
    before = ledger_nodes("local", [{"key": "sql:orders", "kind": "sql", "names": {"database": "a"}, "status": "ready"},
                                    {"key": "bucket:files", "kind": "bucket", "names": {"bucket": "f"},
                                     "status": "creating"}])
    after = ledger_nodes("local", [{"key": "sql:orders", "kind": "sql", "names": {"database": "b"}},
                                   {"key": "bucket:files", "kind": "bucket", "names": {"bucket": "f"}}])
    d = diff_graphs(before, after, table)
    assert [(n.name, n.forced_by) for n in d.replaces] == [("orders", ("names",))]
    assert [(n.name, [c.path for c in n.changes]) for n in d.updates] == [("files", ["status"])]


@pytest.mark.parametrize(("removed", "changed", "nodes"), [(0, 0, 0), (5, 3000, 0), (40, 200, 5000), (600, 600, 600),
                                                           (900, 0, 0), (3, 5, 20_000)])
def test_the_comment_stays_under_the_limit_with_every_destructive_name(removed: int, changed: int, nodes: int) -> None:
    from orchestrator.diff import AppDiff, FieldChange, ResourceChange
    from orchestrator.report import markdown
    from orchestrator.report.preview import Preview
    from orchestrator.resource_diff import NodeChange, PropertyChange, ResourceDiff

    long = "x" * 50
    changes = AppDiff(
        removed=tuple(ResourceChange(kind="bucket", name=f"b-{i}-{long}", key=f"bucket:b-{i}-{long}", data_loss=True)
                      for i in range(removed)),
        changed=tuple(ResourceChange(kind="subscription", name=f"t/s-{i}", key=f"subscription:t/s-{i}",
                                     changes=(FieldChange(path="spec.ack_deadline", old="PT1M", new=long * 9),))
                      for i in range(changed)),
    )
    resources = ResourceDiff(
        deletes=tuple(NodeChange(urn=f"u{i}", type="aws:s3/bucket:Bucket", name=f"bucket:b-{i}") for i in range(nodes)),
        updates=tuple(NodeChange(urn=f"v{i}", type="aws:sqs/queue:Queue", name=f"q-{i}",
                                 changes=(PropertyChange(path="policy", old=long * 20, new=long * 21),))
                      for i in range(nodes)),
    )
    plan = {"resources": [{"kind": "service", "name": f"svc-{i}"} for i in range(200)],
            "grants": [[f"svc-{i}", "read", f"bucket:b-{j}-{long}"]
                       for i in range(200) for j in range(min(removed, 3))]}
    text = markdown.render(Preview(app="shop", env="prod", cloud="aws", base="the base metadata base.pb",
                                   changes=changes, resources=resources, new_plan={"resources": []}, base_plan=plan))
    assert len(text) < markdown.LIMIT
    head = text.split("<details>", 1)[0]
    assert all(f"`b-{i}-{long}`" in head for i in range(removed))
    assert text.count("<details>") == text.count("</details>")
    assert head.splitlines()[3].startswith("**App:**" if removed or changed or nodes else "**No changes**")
