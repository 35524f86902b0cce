"""SQL: one Cloud SQL for PostgreSQL instance per env (private IP only, TLS only); one database + login role per
declared database, made by a Cloud Run job inside the env's network.

Users created through the Cloud SQL Admin API join `cloudsqlsuperuser`, so only the administrator is one; each app
role is created, granted and migrated in SQL from `providers.sqladmin` (the module the local target runs against
real PostgreSQL), by a stock PostgreSQL client image (psql) that the deploy runs and waits for (`runExecutionToken`:
every change of its scripts runs it again, and the deploy fails if it fails). The job reads the administrator's and
the role's passwords from Secret Manager; migrations run logged in as the app's own role. docs/gcp.md says why.

A shared preview env creates no instance: its databases and roles go on its base env's instance, made by the same
job, run in the base's network as the base's `sql-jobs` account (which may read the administrator's password); the
preview grants that account its own roles' passwords only. Each of its databases is also a `gcp.sql.Database`, so
that `preview-env down` drops it (no SQL runs on a stack's destroy).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi
import pulumi_gcp as gcp

from orchestrator.core.model import Database
from orchestrator.core.plan import PlannedResource
from providers import sqladmin
from providers.base import Context, Deployed
from providers.gcp import args
from providers.gcp.iam import Binding, bind
from providers.gcp.session import Component, GcpSession
from providers.gcp.settings import settings_of
from providers.gcp.shares import LentSql, need

JOB_SCRIPT = """set -eu
printf '%s\\n' "$SERVER_CA" > "$PGSSLROOTCERT"
printf '%s' "$SETUP_SQL" | PGPASSWORD="$ADMIN_PASSWORD" psql -X -q -U "$ADMIN_USER" -d postgres -f -
printf '%s' "$MIGRATE_SQL" | PGPASSWORD="$ROLE_PASSWORD" psql -X -q -U "$ROLE" -d "$DATABASE" -f -
"""
"""What the job's container runs: the setup as the administrator, then the migrations as the app's role."""

CONNECTION = {"PGPORT": str(args.POSTGRES_PORT), "PGSSLMODE": "verify-ca", "PGSSLROOTCERT": "/tmp/server-ca.pem"}
"""libpq's settings for the job. Cloud SQL's server certificate is not issued for the private IP, so the CA is
verified without the host name (verify-ca)."""


class SqlJobIdentity(Component):
    """The env's service account for the SQL jobs: it may read the administrator's and each role's password, and
    nothing else."""

    def __init__(self, session: GcpSession) -> None:
        super().__init__("SqlJobIdentity", "sql-jobs", session)
        self.account = gcp.serviceaccount.Account(
            "sql-jobs/account",
            account_id=session.physical("gcp.serviceaccount", "sql-jobs"),
            display_name="Encore SQL setup and migrations",
            description=f"Runs the SQL jobs of {session.plan.app} ({session.plan.env.name})",
            opts=self.child(),
        )
        self.email: pulumi.Input[str] = self.account.email
        self.member = self.account.email.apply(args.member)
        self.register_outputs({"email": self.account.email})

    def may_read(self, what: str, secret: gcp.secretmanager.Secret) -> pulumi.CustomResource:
        return bind(self, f"sql-jobs/access/{what}/secretAccessor", Binding("secret", secret.id),
                    args.SECRET_ACCESSOR, self.member, self.child())


class BorrowedSqlJobIdentity(Component):
    """A shared preview env's SQL jobs run as its base env's `sql-jobs` account; the preview lets it read its own
    roles' passwords (bindings on the preview's secrets), and nothing of the base's changes."""

    def __init__(self, session: GcpSession, lent: LentSql) -> None:
        super().__init__("SqlJobIdentity", "sql-jobs", session, {"borrowedFrom": lent.instance})
        self.email: pulumi.Input[str] = lent.job_account
        self.member: pulumi.Input[str] = args.member(lent.job_account)
        self.register_outputs({"email": self.email})

    def may_read(self, what: str, secret: gcp.secretmanager.Secret) -> pulumi.CustomResource:
        return bind(self, f"sql-jobs/access/{what}/secretAccessor", Binding("secret", secret.id),
                    args.SECRET_ACCESSOR, self.member, self.child())


class SqlServer(Component):
    def __init__(self, session: GcpSession, res: PlannedResource) -> None:
        super().__init__("SqlServer", res.key, session)
        sizing = res.settings
        network = session.network
        tier = args.sql_tier(settings_of(session.plan.env).sql_tier, sizing)
        self.instance = gcp.sql.DatabaseInstance(
            f"{res.key}/instance",
            name=res.names["server"],
            database_version=args.POSTGRES_VERSION,
            region=session.region,
            deletion_protection=sizing.deletion_protection,
            settings=args.sql_settings(tier, sizing, network.network_id, session.labels),
            opts=self.child(sizing, stateful=True, depends_on=network.peering),
        )
        password, self.admin_secret, version = self.generated_secret(
            f"{res.key}/admin", session.sql_admin_secret_id, sizing, length=40
        )
        self.admin = gcp.sql.User(
            f"{res.key}/admin",
            name=args.ADMIN_USER,
            instance=self.instance.name,
            password=password.result,
            opts=self.child(sizing, stateful=True),
        )
        self.admin_access = session.sql_job_identity.may_read("sql-admin", self.admin_secret)
        self.ready: list[pulumi.Resource] = [self.admin, version, self.admin_access]
        self.server_ca: pulumi.Input[Any] = self.instance.server_ca_certs.apply(
            lambda certs: certs[0].cert if certs else None
        )
        self.instance_name: pulumi.Input[str] = self.instance.name
        self.private_ip: pulumi.Input[str] = self.instance.private_ip_address
        self.admin_secret_ref: pulumi.Input[str] = self.admin_secret.secret_id
        """What the SQL job's `secretKeyRef` names."""
        self.register_outputs({"privateIp": self.instance.private_ip_address})


class BorrowedSqlServer(Component):
    """A shared preview env's SQL server: its base env's instance, nothing created."""

    def __init__(self, session: GcpSession, res: PlannedResource, lent: LentSql) -> None:
        super().__init__("SqlServer", res.key, session, {"borrowedFrom": lent.instance})
        self.ready: list[pulumi.Resource] = []
        self.server_ca: pulumi.Input[Any] = lent.server_ca
        self.instance_name: pulumi.Input[str] = lent.instance
        self.private_ip: pulumi.Input[str] = lent.private_ip
        self.admin_secret_ref: pulumi.Input[str] = lent.admin_secret
        self.register_outputs({"privateIp": lent.private_ip})


def deploy_server(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    lent = session.borrowed
    server = (SqlServer(session, res) if lent is None
              else BorrowedSqlServer(session, res, need(lent, "Cloud SQL instance", res.key, lent.sql)))
    host = pulumi.Output.concat(server.private_ip, f":{args.POSTGRES_PORT}")
    # runtime-expectations §4: Cloud SQL by private IP presents a certificate not issued for the IP (trap 15).
    tls = {"ca_cert": server.server_ca, "disable_hostname_verification": True}
    return Deployed(provisioned={"sql_servers": [{"name": res.name, "host": host, "tls": tls}]}, resource=server)


def migration_inputs(db: Database, session: GcpSession) -> list[sqladmin.MigrationFile] | None:
    """The database's migrations with their SQL, or None without the app's source tree."""
    if session.app_root is None:
        return None
    return sqladmin.read_migrations(db, session.app_root)


def refusing_script(db: Database) -> str:
    """The migration step of a deploy that could not read the migrations: it fails the job, naming the first."""
    first = min(db.migrations, key=lambda m: m.number).filename
    message = sqladmin.quote_literal(f"migration {first} was not read: deploy with the app's source tree "
                                     "(ORCHESTRATOR_APP_ROOT)")
    return f"\\set ON_ERROR_STOP on\nDO $orch$ BEGIN RAISE EXCEPTION '%', {message}; END $orch$;\n"


class SqlDb(Component):
    def __init__(self, session: GcpSession, res: PlannedResource, server: SqlServer | BorrowedSqlServer) -> None:
        super().__init__("Sql", res.key, session)
        assert isinstance(res.spec, Database)
        sizing, names, spec = res.settings, res.names, res.spec
        _, self.secret, version = self.generated_secret(
            f"{res.key}/password", names["password_secret"], sizing, length=40
        )
        access = session.sql_job_identity.may_read(res.key, self.secret)
        migrations = migration_inputs(spec, session)
        if migrations is None and spec.migrations:
            session.warn(res, "no app source tree given (ORCHESTRATOR_APP_ROOT): its SQL job will refuse to migrate")
        setup = sqladmin.setup_script(database=names["database"], role=names["role"])
        migrate = (refusing_script(spec) if migrations is None and spec.migrations else sqladmin.migrate_script(
            database=names["database"], role=names["role"], migrations=migrations or [],
            non_sequential=spec.allow_non_sequential_migrations))
        image = settings_of(session.plan.env).sql_job_image
        token = hashlib.sha256("\0".join([setup, migrate, image]).encode()).hexdigest()[:16]
        network = session.network
        made: list[pulumi.Resource] = []
        if session.borrowed is not None:  # on the base's instance: dropped when the preview's stack is destroyed
            made.append(gcp.sql.Database(f"{res.key}/database", name=names["database"], instance=server.instance_name,
                                         charset="UTF8", opts=self.child()))
        interface: gcp.cloudrunv2.JobTemplateTemplateVpcAccessNetworkInterfaceArgsDict = {
            "network": network.network_id}
        if network.subnetwork_id is not None:
            interface["subnetwork"] = network.subnetwork_id
        envs: list[gcp.cloudrunv2.JobTemplateTemplateContainerEnvArgsDict] = [
            {"name": "PGHOST", "value": server.private_ip},
            *({"name": name, "value": value} for name, value in CONNECTION.items()),
            {"name": "SERVER_CA", "value": server.server_ca},
            {"name": "ADMIN_USER", "value": args.ADMIN_USER},
            {"name": "ROLE", "value": names["role"]},
            {"name": "DATABASE", "value": names["database"]},
            {"name": "SETUP_SQL", "value": setup},
            {"name": "MIGRATE_SQL", "value": migrate},
            _secret_env("ADMIN_PASSWORD", server.admin_secret_ref),
            _secret_env(sqladmin.PSQL_PASSWORD_VAR, self.secret.secret_id),
        ]
        self.job = gcp.cloudrunv2.Job(
            f"{res.key}/job",
            name=session.physical("gcp.sql", "sql", res.name),
            location=session.region,
            deletion_protection=False,
            run_execution_token=token,
            template={"template": {
                "service_account": session.sql_job_identity.email,
                "max_retries": 0,
                "timeout": "600s",
                "vpc_access": {"network_interfaces": [interface], "egress": network.egress},
                "containers": [{"image": image, "commands": ["/bin/sh", "-c"], "args": [JOB_SCRIPT], "envs": envs}],
            }},
            opts=self.child(depends_on=[*server.ready, version, access, *network.peering, *made]),
        )
        self.register_outputs({"job": self.job.name})


def _secret_env(name: str, secret: pulumi.Input[str]) -> gcp.cloudrunv2.JobTemplateTemplateContainerEnvArgsDict:
    return {"name": name, "value_source": {"secret_key_ref": {"secret": secret, "version": "latest"}}}


def deploy_database(ctx: Context, res: PlannedResource) -> Deployed:
    session: GcpSession = ctx.target
    (server_key,) = res.depends_on
    server = ctx.deployed[server_key].resource
    assert isinstance(server, SqlServer | BorrowedSqlServer)
    db = SqlDb(session, res, server)
    record = {
        "encore_name": res.name,
        "cloud_name": res.names["database"],
        "server": server_key.partition(":")[2],
        "username": res.names["role"],
        "password": {"env": res.names["password_env"], "source": db.secret.id.apply(args.secret_version_path)},
    }
    return Deployed(provisioned={"sql_databases": [record]}, grants_target={"connect": Binding("secret", db.secret.id)},
                    resource=db)
