"""SQL: one PostgreSQL Flexible Server per env inside the VNet (public network access disabled, TLS 1.2+ required,
Entra authentication beside passwords); per declared database a login role, the database and its migrations,
made inside the network by a Container Apps job running a stock PostgreSQL client on SQL from providers/sqladmin.py.
Passwords live in Key Vault; the job reads them through Key Vault references with its own identity. A shared preview
env makes no server: its databases live on its base's (`BorrowedServer`).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import pulumi
from pulumi_azure_native import app, authorization, dbforpostgresql, managedidentity

from orchestrator.core.model import Database
from orchestrator.core.plan import PlannedResource
from providers import sqladmin
from providers.azure import args
from providers.azure.secret import uri
from providers.azure.session import AzureSession, Component
from providers.base import Context, Deployed

JOB_TIMEOUT_S = 1800
JOB_SECRETS = {"admin": "admin-password", "app": "app-password", "verifier": "role-verifier"}


def ca_bundle() -> str:
    """DigiCert Global Root G2 + Microsoft RSA Root CA 2017 (data/README.md): the Go runtime verifies the server
    only against a configured CA (runtimes/go/storage/sqldb/db.go: sslmode=verify-ca, else prefer)."""
    return resources.files("providers.azure").joinpath("data/postgres-ca.pem").read_text()


class SqlServer(Component):
    def __init__(self, session: AzureSession, res: PlannedResource) -> None:
        super().__init__("SqlServer", res.key, session)
        sizing, name = res.settings, res.names["server"]
        net = session.network
        password = session.generated(f"{res.key}/admin-password", self, sizing, length=40)
        self.admin_secret = session.vault.secret(
            self, f"{res.key}/admin-secret", session.physical("azure.keyvault.secret", "sql", "admin"),
            "text/plain", password.result)
        self.server = dbforpostgresql.Server(
            f"{res.key}/server",
            resource_group_name=session.resource_group,
            location=session.location,
            administrator_login_password=pulumi.Output.secret(password.result),
            network={
                "delegated_subnet_resource_id": net.sql_subnet_id,
                "private_dns_zone_arm_resource_id": net.zone(args.POSTGRES_DNS_ZONE).id,
                "public_network_access": "Disabled",
            },
            tags=session.tags,
            **args.sql_server_args(name, sizing, session.settings),
            opts=self.child(sizing, stateful=True),
        )
        self.configs = [
            dbforpostgresql.Configuration(
                f"{res.key}/{key}",
                resource_group_name=session.resource_group,
                server_name=self.server.name,
                configuration_name=key,
                value=value,
                source="user-override",
                opts=self.child(),
            )
            for key, value in args.sql_configurations().items()
        ]
        self.fqdn: pulumi.Input[str] = self.server.fully_qualified_domain_name
        self.admin_secret_id: pulumi.Input[str] = self.admin_secret.id
        self.admin_secret_uri: pulumi.Input[str] = uri(self.admin_secret)
        self.host = pulumi.Output.concat(self.fqdn, f":{args.POSTGRES_PORT}")
        self._jobs: SqlJobs | None = None
        self.register_outputs({"host": self.host})

    @property
    def jobs(self) -> SqlJobs:
        if self._jobs is None:
            self._jobs = SqlJobs(self, None)
        return self._jobs

    def lent(self) -> dict[str, Any]:
        """What shared preview envs borrow: the server, where its admin password lives (a reference), and the
        Container Apps environment their SQL jobs run in."""
        return {"server_id": self.server.id, "server_name": self.server.name, "fqdn": self.fqdn,
                "port": args.POSTGRES_PORT, "admin_user": args.ADMIN_USER, "admin_secret_id": self.admin_secret_id,
                "admin_secret_uri": self.admin_secret_uri, "jobs_environment_id": self.jobs.environment_id}


class BorrowedServer(Component):
    """A shared preview env's view of its base's server: the preview's databases are ARM databases on it, each set
    up by a SQL job of the preview in the base's jobs environment, run as the preview's own jobs identity (Key Vault
    Secrets User on the base's admin-password secret). No server, configuration or environment is created."""

    def __init__(self, session: AzureSession, res: PlannedResource) -> None:
        super().__init__("SqlOnBase", res.key, session)
        assert session.borrowed is not None
        lent = session.borrowed
        self.server_name: str = lent.get("sql", "server_name")
        self.fqdn = lent.get("sql", "fqdn")
        self.admin_secret_id = lent.get("sql", "admin_secret_id")
        self.admin_secret_uri = lent.get("sql", "admin_secret_uri")
        self.host = f"{self.fqdn}:{lent.get('sql', 'port')}"
        self.configs: list[pulumi.Resource] = []
        self.jobs = SqlJobs(self, lent.get("sql", "jobs_environment_id"))
        self.register_outputs({"host": self.host})

    def database(self, owner: Component, res: PlannedResource) -> dbforpostgresql.Database:
        """The PR's own database on the base's server, as an ARM resource so `preview-env down` drops it."""
        return dbforpostgresql.Database(
            f"{res.key}/database",
            resource_group_name=self.session.resource_group,
            server_name=self.server_name,
            database_name=res.names["database"],
            charset="UTF8",
            collation="en_US.utf8",
            opts=owner.child(),
        )


class SqlJobs:
    """The Container Apps environment inside the jobs subnet (or the base's, `environment_id`) and the identity the
    SQL jobs run as."""

    def __init__(self, server: SqlServer | BorrowedServer, environment_id: pulumi.Input[str] | None) -> None:
        session = server.session
        self.server = server
        if environment_id is None:
            environment_id = app.ManagedEnvironment(
                "sql/jobs-environment",
                resource_group_name=session.resource_group,
                environment_name=session.physical("azure.containerapps", "jobs"),
                location=session.location,
                vnet_configuration={"infrastructure_subnet_id": session.network.jobs_subnet_id, "internal": True},
                workload_profiles=[{"name": "Consumption", "workload_profile_type": "Consumption"}],
                tags=session.tags,
                opts=server.child(),
            ).id
        self.environment_id = environment_id
        self.identity = managedidentity.UserAssignedIdentity(
            "sql/jobs-identity",
            resource_group_name=session.resource_group,
            resource_name_=session.physical("azure.identity", "sql", "jobs"),
            location=session.location,
            tags=session.tags,
            opts=server.child(),
        )
        self.readers = [self.reader("sql/jobs-admin-secret", server.admin_secret_id)]

    def reader(self, logical: str, scope: pulumi.Input[str]) -> authorization.RoleAssignment:
        """Key Vault Secrets User for the jobs' identity on one secret."""
        session = self.server.session
        return authorization.RoleAssignment(
            logical,
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=session.client.subscription_id.apply(
                lambda sub: args.role_definition_id(sub, args.KEY_VAULT_SECRETS_USER)),
            scope=scope,
            description="Key Vault Secrets User for the in-network SQL jobs",
            opts=self.server.child(),
        )


def deploy_server(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    server: SqlServer | BorrowedServer
    if session.borrowed is not None:
        server = BorrowedServer(session, res)
    else:
        server = SqlServer(session, res)
        if not session.plan.env.is_preview:
            session.lent["sql"] = server.lent()
    record = {"name": res.name, "host": server.host, "tls": {"ca_cert": ca_bundle()}}
    return Deployed(provisioned={"sql_servers": [record]}, resource=server)


def verifier(role: str, password: str) -> str:
    """The role's SCRAM verifier with a salt derived from role and password, so redeploys do not change the job."""
    return sqladmin.scram_verifier(password, salt=hashlib.sha256(f"{role}\0{password}".encode()).digest()[:16])


def job_command(db: Database, names: dict[str, str], session: AzureSession) -> str:
    """The job's shell command: the CA to a file, the setup script as the admin, the migrations as the role."""
    migrations = sqladmin.read_migrations(db, session.app_root) if session.app_root else []
    setup = sqladmin.setup_script(database=names["database"], role=names["role"])
    migrate = sqladmin.migrate_script(database=names["database"], role=names["role"], migrations=migrations,
                                      non_sequential=db.allow_non_sequential_migrations)
    return "\n".join([
        "set -eu",
        'printf "%s" "$SQL_CA" > /tmp/ca.pem',
        "export PGSSLMODE=verify-full PGSSLROOTCERT=/tmp/ca.pem",
        f"PGUSER={args.ADMIN_USER} PGPASSWORD=\"$ADMIN_PASSWORD\" {sqladmin.PSQL_PASSWORD_VAR}=\"$ROLE_VERIFIER\" "
        "psql -X -d postgres <<'ORCHESTRATOR_SETUP'",
        setup + "ORCHESTRATOR_SETUP",
        f"PGUSER={names['role']} PGPASSWORD=\"$APP_PASSWORD\" psql -X -d {names['database']} "
        "<<'ORCHESTRATOR_MIGRATE'",
        migrate + "ORCHESTRATOR_MIGRATE",
    ])


class SqlDb(Component):
    def __init__(self, session: AzureSession, res: PlannedResource, server: SqlServer | BorrowedServer) -> None:
        super().__init__("Sql", res.key, session)
        assert isinstance(res.spec, Database)
        sizing, names = res.settings, res.names
        password = session.generated(f"{res.key}/password", self, sizing, length=40)
        self.secret = session.vault.secret(self, f"{res.key}/password-secret", names["password_secret"],
                                           "text/plain", password.result)
        session.secret_values[names["password_env"]] = password.result
        if session.app_root is None and res.spec.migrations:
            session.warn(res, "no app source tree given (ORCHESTRATOR_APP_ROOT): its migrations are not in the job")
        jobs = server.jobs
        reader = jobs.reader(f"{res.key}/job-password-secret", self.secret.id)
        waits_for: list[pulumi.Resource] = [*server.configs, *jobs.readers, reader]
        if isinstance(server, BorrowedServer):
            waits_for.append(server.database(self, res))
        role_verifier = pulumi.Output.secret(password.result.apply(lambda pw: verifier(names["role"], pw)))
        self.job = app.Job(
            f"{res.key}/job",
            resource_group_name=session.resource_group,
            job_name=session.physical("azure.containerapps", "sql", res.name),
            location=session.location,
            environment_id=jobs.environment_id,
            identity={"type": "UserAssigned", "user_assigned_identities": [jobs.identity.id]},
            configuration={
                "trigger_type": "Manual",
                "replica_timeout": JOB_TIMEOUT_S,
                "replica_retry_limit": 0,
                "manual_trigger_config": {"parallelism": 1, "replica_completion_count": 1},
                "secrets": [
                    {"name": JOB_SECRETS["admin"], "key_vault_url": server.admin_secret_uri,
                     "identity": jobs.identity.id},
                    {"name": JOB_SECRETS["app"], "key_vault_url": uri(self.secret), "identity": jobs.identity.id},
                    {"name": JOB_SECRETS["verifier"], "value": role_verifier},
                ],
            },
            template={"containers": [{
                "name": "sql",
                "image": session.settings.sql_client_image,
                "command": ["/bin/sh", "-c", job_command(res.spec, names, session)],
                "env": [
                    {"name": "PGHOST", "value": server.fqdn},
                    {"name": "SQL_CA", "value": ca_bundle()},
                    {"name": "ADMIN_PASSWORD", "secret_ref": JOB_SECRETS["admin"]},
                    {"name": "APP_PASSWORD", "secret_ref": JOB_SECRETS["app"]},
                    {"name": "ROLE_VERIFIER", "secret_ref": JOB_SECRETS["verifier"]},
                ],
                "resources": {"cpu": 0.25, "memory": "0.5Gi"},
            }]},
            tags=session.tags,
            opts=self.child(depends_on=waits_for),
        )
        session.sql_jobs.append({"database": res.name, "job": self.job.name, "resource_group": session.resource_group,
                                 "subscription": session.client.subscription_id})
        self.register_outputs({"job": self.job.name})


def deploy_database(ctx: Context, res: PlannedResource) -> Deployed:
    session: AzureSession = ctx.target
    (server_key,) = res.depends_on
    server = ctx.deployed[server_key].resource
    assert isinstance(server, SqlServer | BorrowedServer)
    db = SqlDb(session, res, server)
    record: dict[str, Any] = {
        "encore_name": res.name,
        "cloud_name": res.names["database"],
        "server": server_key.partition(":")[2],
        "username": res.names["role"],
        "password": {"env": res.names["password_env"], "source": uri(db.secret)},
    }
    return Deployed(provisioned={"sql_databases": [record]}, grants_target={"connect": db.secret.id}, resource=db)
