"""What a GCP env lends its shared preview envs (the `shares` stack output, kept as `DeploymentRecord.shares`) and
what a shared preview env reads back from `Plan.borrowed`.

Lent: the project and region, the network (subnetwork, direct VPC egress) the in-network SQL job joins, the Cloud
SQL instance (name, connection name, private IP, server CA, the administrator's password secret and the SQL job's
service account), each cache's Memorystore endpoint, server CA and AUTH secret, each bucket's name, each app
secret's id. Never a secret value: secrets are named by their Secret Manager ids, which only their readers may open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.core.errors import BadInput
from orchestrator.core.model import Kind
from providers.gcp import args

if TYPE_CHECKING:
    from orchestrator.core.plan import Plan
    from providers.gcp.session import GcpSession


class _Lent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LentNetwork(_Lent):
    network: str
    """`projects/<p>/global/networks/<n>`: Cloud SQL's and Memorystore's private services access network."""
    subnetwork: str | None = None
    egress: str
    """The SQL job's direct VPC egress setting."""


class LentSql(_Lent):
    instance: str
    connection_name: str
    private_ip: str
    port: int
    server_ca: str | None = None
    admin_user: str
    admin_secret: str
    """`projects/<p>/secrets/<id>`: the administrator's password, which the SQL job reads."""
    job_account: str
    """The email of the base's `sql-jobs` service account, which may read that password."""


class LentCache(_Lent):
    host: str
    port: int
    server_ca: str | None = None
    auth_secret: str
    """`projects/<p>/secrets/<id>`: the copy of the Memorystore AUTH string."""


class LentBucket(_Lent):
    name: str
    public: bool = False


class Lent(_Lent):
    cloud: str = "gcp"
    env: str
    project: str
    region: str
    network: LentNetwork | None = None
    sql: LentSql | None = None
    caches: dict[str, LentCache] = {}
    buckets: dict[str, LentBucket] = {}
    secrets: dict[str, str] = {}
    """Declared secret -> `projects/<p>/secrets/<id>`."""


# ---- the base: what its program exports ------------------------------------------------------------------------------


def lend(session: GcpSession, provisioned: dict[str, Any]) -> dict[str, Any]:
    """The `shares` output of a non-preview env: built from what its handlers provisioned and the session's env-wide
    resources (values may be Outputs)."""
    plan = session.plan
    project, region = session.project, session.region
    out: dict[str, Any] = {"cloud": "gcp", "env": plan.env.name, "project": project, "region": region}
    has_sql = any(True for _ in plan.of_kind(Kind.SQL_SERVER))
    if has_sql or any(True for _ in plan.of_kind(Kind.CACHE)):
        network = session.network
        out["network"] = {"network": network.network_id, "subnetwork": network.subnetwork_id,
                          "egress": network.egress}
    for server in provisioned.get("sql_servers", ()):
        planned = plan.get(f"{Kind.SQL_SERVER.value}:{server['name']}")
        instance = planned.names["server"]
        ip = pulumi.Output.from_input(server["host"]).apply(lambda host: host.rsplit(":", 1)[0])
        out["sql"] = {
            "instance": instance,
            "connection_name": f"{project}:{region}:{instance}",
            "private_ip": ip,
            "port": args.POSTGRES_PORT,
            "server_ca": server["tls"]["ca_cert"],
            "admin_user": args.ADMIN_USER,
            "admin_secret": secret_path(project, session.sql_admin_secret_id),
            "job_account": session.sql_job_identity.email,
        }
    out["caches"] = {
        cache["encore_name"]: {
            "host": pulumi.Output.from_input(cache["host"]).apply(lambda host: host.rsplit(":", 1)[0]),
            "port": args.REDIS_TLS_PORT,
            "server_ca": cache["tls"]["ca_cert"],
            "auth_secret": pulumi.Output.from_input(cache["auth"]["source"]).apply(_secret_of_version),
        }
        for cache in provisioned.get("caches", ())
    }
    storage = provisioned.get("object_storage") or {}
    out["buckets"] = {
        b["encore_name"]: {"name": b["cloud_name"], "public": "public_base_url" in b}
        for b in storage.get("buckets", ())
    }
    out["secrets"] = {
        s["encore_name"]: secret_path(project, s["ref"]["provider"]) for s in provisioned.get("secrets", ())
    }
    return out


def secret_path(project: str, secret_id: str) -> str:
    return f"projects/{project}/secrets/{secret_id}"


def _secret_of_version(version: str) -> str:
    return version.rsplit("/versions/", 1)[0]


# ---- the preview: what it reads back ---------------------------------------------------------------------------------


def borrowed(plan: Plan) -> Lent | None:
    """What a shared preview env borrows (None for every other env); a base record it cannot use is a BadInput."""
    env = plan.env
    if not env.shares_base:
        return None
    where = f"env {env.name}"
    base = env.base
    try:
        lent = Lent.model_validate(plan.borrowed or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise BadInput(f"base env {base}'s shares are unreadable at {loc}: {err['msg']} (redeploy {base})",
                       where=where) from None
    if lent.project != env.project:
        raise BadInput(f"a shared preview env runs in its base's project: {base} is in {lent.project}, "
                       f"{env.name} in {env.project}", where=where)
    return lent


def need(lent: Lent, part: str, key: str, what: Any) -> Any:
    """`what`, or a BadInput naming the base env and the planned resource it does not lend."""
    if what is None:
        raise BadInput(f"base env {lent.env} lends no {part} (its app has none; redeploy it with this app)", where=key)
    return what
