"""SQL: one Aurora PostgreSQL cluster per env; one database + login role per declared database,
created inside AWS through the RDS Data API (providers.aws.sqldb), password in Secrets Manager.
A shared preview env creates no cluster: its own databases and roles go on its base env's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from orchestrator.core.envs import Sizing
from orchestrator.core.model import Database, Language
from orchestrator.core.plan import PlannedResource
from providers.aws import args, rds_ca, sqldb
from providers.aws.session import AwsSession, Component
from providers.aws.settings import settings_of
from providers.aws.shares import SQL
from providers.aws.sqldb import SqlDatabase, migration_inputs
from providers.base import Context, Deployed

CA_WARNING = (
    "the bundled RDS CAs do not cover region {region} and there is no orchestrator:aws.sqlCaCertPem: the runtime "
    "verifies the server against the image's trust store, which must then contain the region's RDS CA"
)


class SqlServer(Component):
    def __init__(self, session: AwsSession, res: PlannedResource) -> None:
        super().__init__("SqlServer", res.key, session)
        sizing, env = res.settings, session.plan.env
        identifier = res.names["server"]
        network = session.network
        group = network.data_group("sql", args.POSTGRES_PORT)
        subnets = aws.rds.SubnetGroup(
            f"{res.key}/subnets",
            name=identifier,
            subnet_ids=network.subnet_ids,
            description=f"Private subnets of {identifier}",
            opts=self.child(),
        )
        params = aws.rds.ClusterParameterGroup(
            f"{res.key}/params",
            name=identifier,
            family=args.sql_family(sizing.sql_engine_version),
            description=f"TLS-only parameters of {identifier}",
            parameters=args.sql_parameters(),
            opts=self.child(),
        )
        logs = aws.cloudwatch.LogGroup(
            f"{res.key}/logs",
            name=args.sql_log_group(identifier),
            retention_in_days=sizing.log_retention_days,
            opts=self.child(sizing, stateful=True),
        )
        self.cluster = aws.rds.Cluster(
            f"{res.key}/cluster",
            db_subnet_group_name=subnets.name,
            db_cluster_parameter_group_name=params.name,
            vpc_security_group_ids=[group.id],
            **args.sql_cluster_args(identifier, sizing, settings_of(env)),
            opts=self.child(sizing, stateful=True, depends_on=[logs]),
        )
        zones = network.zones
        self.instances = [
            aws.rds.ClusterInstance(
                f"{res.key}/instance-{i + 1}",
                db_subnet_group_name=subnets.name,
                engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                availability_zone=zones[i % 2] if zones else None,
                **args.sql_instance_args(identifier, i, sizing, settings_of(env)),
                opts=self.child(sizing, stateful=True, depends_on=[self.cluster]),
            )
            for i in range(sizing.sql_instances)
        ]
        self.cluster_arn: pulumi.Input[str] = self.cluster.arn
        self.endpoint: pulumi.Input[str] = self.cluster.endpoint
        self.admin_secret_arn: pulumi.Input[str] = self.cluster.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn or ""
        )
        session.lend(SQL, {
            "dbClusterArn": self.cluster.arn, "dbClusterIdentifier": self.cluster.cluster_identifier,
            "endpoint": self.cluster.endpoint, "port": args.POSTGRES_PORT, "masterUserSecretArn": self.admin_secret_arn,
            "engineVersion": self.cluster.engine_version,
        })
        self.register_outputs({"endpoint": self.cluster.endpoint, "arn": self.cluster.arn})


class BorrowedSqlServer(Component):
    """A shared preview env's SQL server: its base env's Aurora cluster (nothing is created; the component records
    which cluster the env's databases go on)."""

    def __init__(self, session: AwsSession, res: PlannedResource, lent: Mapping[str, Any]) -> None:
        super().__init__("SqlServer", res.key, session, {"borrowedCluster": lent["dbClusterArn"]})
        self.cluster_arn = str(lent["dbClusterArn"])
        self.endpoint = str(lent["endpoint"])
        self.admin_secret_arn = str(lent["masterUserSecretArn"])
        self.instances: list[pulumi.Resource] = []
        self.register_outputs({})


def deploy_server(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    server = (SqlServer(session, res) if session.borrowed is None
              else BorrowedSqlServer(session, res, session.borrowed.sql()))
    ca = settings_of(session.plan.env).sql_ca_cert_pem or _bundled_ca(session)
    if ca is None:
        session.warn(res, CA_WARNING.format(region=session.region))
    host = pulumi.Output.concat(server.endpoint, f":{args.POSTGRES_PORT}")
    record = {"name": res.name, "host": host, "tls": {"ca_cert": ca}}
    return Deployed(provisioned={"sql_servers": [record]}, resource=server)


def _bundled_ca(session: AwsSession) -> str | None:
    if session.plan.language is Language.GO:
        return rds_ca.region_roots(session.region)
    return rds_ca.instance_root(session.region)


class SqlDb(Component):
    def __init__(self, session: AwsSession, res: PlannedResource, server: SqlServer | BorrowedSqlServer) -> None:
        super().__init__("Sql", res.key, session)
        assert isinstance(res.spec, Database)
        self.key = res.key
        sizing, names = res.settings, res.names
        password, self.secret = self.generated_secret(
            f"{res.key}/password",
            names["password_secret"],
            sizing,
            f"Password of the PostgreSQL role {names['role']}",
            length=40,
        )
        self.login = self.login_secret(names["login_secret"], names["role"], password, sizing)
        migrations = migration_inputs(res.spec, session.app_root)
        if any("sql" not in m for m in migrations):
            session.warn(res, "no app source tree given (ORCHESTRATOR_APP_ROOT): deploying will refuse its migrations")
        self.database = SqlDatabase(
            f"{res.key}/database",
            cluster_arn=server.cluster_arn,
            admin_secret_arn=server.admin_secret_arn,
            login_secret_arn=self.login.arn,
            region=session.region,
            database=names["database"],
            role=names["role"],
            password=password.result,
            migrations=migrations,
            non_sequential=res.spec.allow_non_sequential_migrations,
            owner=None if session.borrowed is None else sqldb.owner_mark(session.plan.app, session.plan.env.name),
            opts=self.child(sizing, stateful=True, depends_on=[*server.instances, self.login_version],
                            secret_outputs=["password"]),
        )
        self.register_outputs({"secretArn": self.secret.arn})

    def login_secret(self, name: str, role: str, password: random.RandomPassword,
                     sizing: Sizing) -> aws.secretsmanager.Secret:
        """The role's own login for the RDS Data API (`username` + `password`, as the Data API reads a secret), so
        migrations run as the app's role; only the deploying identity reads it."""
        secret = aws.secretsmanager.Secret(
            f"{self.key}/login", **args.secret_args(name, sizing, f"Data API login of the PostgreSQL role {role}"),
            opts=self.child(sizing, stateful=True),
        )
        self.login_version = aws.secretsmanager.SecretVersion(
            f"{self.key}/login",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps({"username": role, "password": password.result}),
            opts=self.child(sizing, stateful=True),
        )
        return secret


def deploy_database(ctx: Context, res: PlannedResource) -> Deployed:
    session: AwsSession = ctx.target
    (server_key,) = res.depends_on
    server = ctx.deployed[server_key].resource
    assert isinstance(server, (SqlServer, BorrowedSqlServer))
    db = SqlDb(session, res, server)
    record = {
        "encore_name": res.name,
        "cloud_name": res.names["database"],
        "server": server_key.partition(":")[2],
        "username": res.names["role"],
        "password": {"env": res.names["password_env"], "source": db.secret.arn},
    }
    return Deployed(provisioned={"sql_databases": [record]}, grants_target={"connect": db.secret.arn}, resource=db)
