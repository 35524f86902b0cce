"""render: plain, deterministic text with data loss first and a one-line summary."""

from __future__ import annotations

from orchestrator.diff import AppDiff, FieldChange, GrantRef, ResourceChange, ServiceGrants
from orchestrator.report.diff_text import render


def rc(key: str, *changes: FieldChange, data_loss: bool = False) -> ResourceChange:
    kind, _, name = key.partition(":")
    return ResourceChange(kind=kind, name=name, key=key, changes=changes, data_loss=data_loss)


DIFF = AppDiff(
    added=(rc("topic:audit"),),
    changed=(rc("subscription:orders/mail", FieldChange(path="spec.ack_deadline", old="PT30S", new="PT1M")),),
    replaced=(
        rc("sql:orders", FieldChange(path="names.database", old="shop-dev-orders", new="store-dev-orders"),
           data_loss=True),
        rc("service:api", FieldChange(path="names.identity", old="a", new="b")),
    ),
    removed=(rc("bucket:invoices", data_loss=True), rc("cron:cleanup")),
    grants=(ServiceGrants(service="api", added=(GrantRef(verb="call", resource="service:billing"),),
                          removed=(GrantRef(verb="use", resource="cache:sessions"),)),),
    app_changes=(FieldChange(path="env.region", old="eu-west-1", new=None),),
)

EXPECTED = """\
! removes data: replace sql:orders
    names.database: "shop-dev-orders" -> "store-dev-orders"
! removes data: remove bucket:invoices
+ topic:audit
~ subscription:orders/mail
    spec.ack_deadline: "PT30S" -> "PT1M"
-/+ service:api (replaced)
    names.identity: "a" -> "b"
- cron:cleanup
grants:
  api
    + call service:billing
    - use cache:sessions
app and env settings:
  ~ env.region: "eu-west-1" -> (none)
env dev: 1 to add, 1 to change, 2 to replace, 2 to remove, 2 grant changes, 1 setting change
"""


def test_full_rendering() -> None:
    assert render(DIFF, env="dev") == EXPECTED


def test_destructive_items_come_first() -> None:
    lines = render(DIFF, env="dev").splitlines()
    assert [i for i, line in enumerate(lines) if line.startswith("! removes data")] == [0, 2]


def test_no_changes() -> None:
    assert render(AppDiff(), env="prod") == "env prod: no changes\n"


def test_only_additions() -> None:
    text = render(AppDiff(added=(rc("bucket:a"), rc("bucket:b"))), env="dev")
    assert text == "+ bucket:a\n+ bucket:b\nenv dev: 2 to add, 0 to change, 0 to replace, 0 to remove\n"


def test_no_ansi_even_from_hostile_names_and_values() -> None:
    hostile = AppDiff(changed=(rc("bucket:x\x1b[31m", FieldChange(path="spec.a\x1b", old="\x1b[0m", new=1)),))
    text = render(hostile, env="dev")
    assert "\x1b" not in text
    assert "bucket:x\\u001b[31m" in text


def test_deterministic() -> None:
    assert render(DIFF, env="dev") == render(AppDiff.model_validate_json(DIFF.to_json()), env="dev")


def test_renaming_a_real_app_warns_about_its_data() -> None:
    import rc_fixtures as fx

    from orchestrator.diff import diff

    def plan(extra: str = "") -> dict[str, object]:
        return fx.make_plan(fx.shop_app(), fx.env("aws", extra=extra)).model_dump(mode="json")

    text = render(diff(plan(), plan("  orchestrator:app: store\n")), env="dev")
    assert "! removes data: replace sql:orders" in text
    assert text.splitlines()[0].startswith("! removes data")
    assert text.endswith("1 setting change\n")
