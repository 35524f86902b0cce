"""A database + login role + migrations on an Aurora cluster, made through the RDS Data API.

A Pulumi dynamic resource: its provider runs wherever Pulumi runs, but every statement
travels over the Data API (HTTPS to AWS), so no network path to the cluster is needed.
The SQL itself is `providers.sqladmin`, shared with the local target. The provider is
pickled by reference, so deploying needs this package importable (it is installed).

On a cluster the env owns, a database outlives the resource (it goes with its cluster). A shared
preview env's database lives on its base env's cluster: it carries the env's ownership mark
(`owner`, a `COMMENT ON DATABASE/ROLE`), a database or role with another mark is never touched,
and deleting the resource drops the database and its role (`orchestrator preview-env down`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Database
from providers import sqladmin
from providers.aws.args import MANAGED_BY

INPUTS = (
    "clusterArn", "adminSecretArn", "loginSecretArn", "region", "database", "role", "password", "migrations",
    "nonSequential", "owner",
)
REPLACE_ON = ("clusterArn", "database")


def owner_mark(app: str, env: str) -> str:
    """The ownership mark of `env`'s databases and roles on a cluster it borrows."""
    return f"{MANAGED_BY}:{app}:{env}"


def check_owner(admin: sqladmin.Executor, props: Mapping[str, Any]) -> None:
    """BadInput unless the database and role are absent or carry `props["owner"]`'s mark."""
    found = sqladmin.marks(admin, database=props["database"], role=props["role"])
    for what, mark in sorted(found.items()):
        if mark != props["owner"]:
            name = props[what]
            raise BadInput(f"{what} {name} exists on the cluster and is not this env's (its mark is {mark!r}, not "
                           f"{props['owner']!r}); nothing was changed", where=f"database {props['database']}")


def migration_inputs(db: Database, app_root: Path | None) -> list[dict[str, Any]]:
    """The database's migrations in number order; with the app's source tree, each with its SQL."""
    if app_root is None:
        return [
            {"number": m.number, "filename": f"{db.migration_rel_path}/{m.filename}"}
            for m in sorted(db.migrations, key=lambda m: m.number)
        ]
    return [
        {"number": f.number, "filename": f.filename, "sql": f.sql} for f in sqladmin.read_migrations(db, app_root)
    ]


def converge(props: Mapping[str, Any]) -> None:
    """Make the role, the database and its migrations what `props` says (idempotent)."""
    from providers.aws.dataapi import RdsDataApiExecutor

    database = props["database"]
    missing = [m["filename"] for m in props["migrations"] if "sql" not in m]
    if missing:
        raise BadInput(
            f"migration {missing[0]} was not read: deploy with the app's source tree (ORCHESTRATOR_APP_ROOT)",
            where=f"database {database}",
        )
    admin = _admin(props)
    owner = props.get("owner")
    if owner:
        check_owner(admin, props)
    sqladmin.close_maintenance_databases(admin)
    sqladmin.ensure_database(admin, database=database, role=props["role"], password=props["password"], mark=owner)
    files = [sqladmin.MigrationFile(int(m["number"]), m["filename"], m["sql"]) for m in props["migrations"]]
    as_app = RdsDataApiExecutor(
        resource_arn=props["clusterArn"], secret_arn=props["loginSecretArn"], region=props["region"]
    )
    sqladmin.apply_migrations(
        as_app, database=database, role=props["role"], migrations=files, non_sequential=bool(props["nonSequential"])
    )


def _admin(props: Mapping[str, Any]) -> sqladmin.Executor:
    from providers.aws.dataapi import RdsDataApiExecutor

    return RdsDataApiExecutor(resource_arn=props["clusterArn"], secret_arn=props["adminSecretArn"],
                              region=props["region"])


def remove(props: Mapping[str, Any]) -> None:
    """A shared preview env's database and role go with it (only when they carry its mark); others stay."""
    if not props.get("owner"):
        return
    admin = _admin(props)
    check_owner(admin, props)
    sqladmin.drop_database(admin, database=props["database"], role=props["role"])


class _Provider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        converge(props)
        return pulumi.dynamic.CreateResult(id_=f"{props['clusterArn']}/{props['database']}", outs=props)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [k for k in INPUTS if _olds.get(k) != _news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=[k for k in changed if k in REPLACE_ON])

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        converge(_news)
        return pulumi.dynamic.UpdateResult(outs=_news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Data is never dropped by a deploy: the database goes with its cluster, or by hand; a shared preview
        env's goes with the env (`remove`)."""
        remove(_props)


class SqlDatabase(pulumi.dynamic.Resource, module="orchestrator", name="SqlDatabase"):
    def __init__(
        self,
        name: str,
        *,
        cluster_arn: pulumi.Input[str],
        admin_secret_arn: pulumi.Input[str],
        login_secret_arn: pulumi.Input[str],
        region: str,
        database: str,
        role: str,
        password: pulumi.Input[str],
        migrations: list[dict[str, Any]],
        non_sequential: bool,
        opts: pulumi.ResourceOptions,
        owner: str | None = None,
    ) -> None:
        props = {
            "clusterArn": cluster_arn,
            "adminSecretArn": admin_secret_arn,
            "loginSecretArn": login_secret_arn,
            "region": region,
            "database": database,
            "role": role,
            "password": pulumi.Output.secret(password),
            "migrations": migrations,
            "nonSequential": non_sequential,
        }
        if owner is not None:
            props["owner"] = owner
        super().__init__(_Provider(), name, props, opts)
