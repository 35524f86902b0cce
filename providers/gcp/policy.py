"""GCP's security-baseline rules (docs/security-baseline.md) over the graph rendered under mocks.

The engine (`orchestrator/policy.py`) evaluates `RULES`; the type tokens, the provider's default labels and the
rules we knowingly do not meet (EXCEPTIONS, docs/security-exceptions.md) are GCP's.
"""

from __future__ import annotations

from typing import Any

from orchestrator.policy import Graph, Resource, Rule, as_json, as_list, is_false, is_true, need, registrar, short_name
from providers.gcp.args import BORROWS_FROM

SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding")
TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION = "gcp:pubsub/subscription:Subscription"
TOPIC_IAM = ("gcp:pubsub/topicIAMMember:TopicIAMMember", "gcp:pubsub/topicIAMBinding:TopicIAMBinding")
SUBSCRIPTION_IAM = ("gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
                    "gcp:pubsub/subscriptionIAMBinding:SubscriptionIAMBinding")
REDIS = "gcp:redis/instance:Instance"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
SECRET_IAM = ("gcp:secretmanager/secretIamMember:SecretIamMember",
              "gcp:secretmanager/secretIamBinding:SecretIamBinding")
KMS_KEY = "gcp:kms/cryptoKey:CryptoKey"
KMS_KEY_IAM = ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding")
PROJECT_IAM = ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding")
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_IAM = ("gcp:serviceaccount/iAMMember:IAMMember", "gcp:serviceaccount/iAMBinding:IAMBinding")
JOB = "gcp:cloudrunv2/job:Job"
SQL_USER = "gcp:sql/user:User"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
GCP_PROVIDER = "pulumi:providers:gcp"
SERVICE_COMPONENT = "orchestrator:gcp:Service"
BUCKET_COMPONENT = "orchestrator:gcp:Bucket"
ACCESS_LOGS_COMPONENT = "orchestrator:gcp:AccessLogs"
SQL_JOBS_COMPONENT = "orchestrator:gcp:SqlJobIdentity"

SERVER_CLASS = (
    SQL_INSTANCE, "gcp:alloydb/cluster:Cluster", "gcp:alloydb/instance:Instance",
    REDIS, "gcp:redis/cluster:Cluster", "gcp:memorystore/instance:Instance",
    "gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/globalAddress:GlobalAddress",
    "gcp:compute/router:Router", "gcp:compute/routerNat:RouterNat", "gcp:servicenetworking/connection:Connection",
    "gcp:vpcaccess/connector:Connector",
)
"""Database servers, cache instances and networks: what a shared preview env borrows from its base and never makes
(PV-08)."""

RESOURCE_IAM = (*BUCKET_IAM, *TOPIC_IAM, *SUBSCRIPTION_IAM, *SECRET_IAM, *ACCOUNT_IAM, *KMS_KEY_IAM)
ALL_IAM = (*RESOURCE_IAM, *PROJECT_IAM)

STATEFUL = frozenset({
    SQL_INSTANCE, SQL_USER, BUCKET, REDIS, SECRET, SECRET_VERSION, RANDOM_PASSWORD, SUBSCRIPTION, TOPIC,
})
"""What holds data (or the only copy of a credential): production protects and retains these (P-01). Topics only
hold messages through their subscriptions, but dead-letter topics are the messages' last stop."""

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
BASIC_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
IMPERSONATION_ROLES = frozenset({"roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"})
DATA_ROLE_PREFIXES = ("roles/pubsub.", "roles/storage.", "roles/secretmanager.", "roles/cloudsql.", "roles/redis.")
LOG_WRITER = "group:cloud-storage-analytics@google.com"
"""Google's usage-log writer, which must create objects in the env's log bucket."""
SQL_LOG_FLAGS = ("log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits")
MAX_KEY_ROTATION_S = 7776000
SMALL_SQL_TIERS = frozenset({"db-f1-micro", "db-g1-small"})

PREVIEW_LABELS = ("env", "pr", "created-at", "ttl")
BASE_LABELS = ("app", "env", "managed-by")
LABELLED = frozenset({TOPIC, SUBSCRIPTION, BUCKET, REDIS, SECRET, JOB, "gcp:compute/globalAddress:GlobalAddress"})
"""Types that take labels (the provider's default labels fill them); Cloud SQL takes `settings.userLabels`."""

NAME_LIMITS: dict[str, tuple[str, int]] = {
    SQL_INSTANCE: ("name", 98),
    BUCKET: ("name", 63),
    TOPIC: ("name", 255),
    SUBSCRIPTION: ("name", 255),
    REDIS: ("name", 40),
    SECRET: ("secretId", 255),
    ACCOUNT: ("accountId", 30),
    JOB: ("name", 63),
    "gcp:compute/network:Network": ("name", 63),
    "gcp:compute/subnetwork:Subnetwork": ("name", 63),
    "gcp:compute/globalAddress:GlobalAddress": ("name", 63),
}
"""Physical-name input and provider limit per type (PV-05)."""

EXCEPTIONS: dict[str, str] = {
    "R-MSG-07": "topics use Google-managed encryption; a CMEK per env adds a key ring, rotation and an encrypter "
                "grant for the Pub/Sub service agent, for no access-control gain while IAM already scopes "
                "publishing to each topic",
}
"""Rule id -> why we do not meet it (docs/security-exceptions.md has the long form)."""

RULES: list[Rule] = []
rule = registrar(RULES, EXCEPTIONS)


def _settings(res: Resource) -> dict[str, Any]:
    return as_json(res["inputs"].get("settings")) or {}


def _members(res: Resource) -> list[str]:
    i = res["inputs"]
    return [str(m) for m in as_list(i.get("member")) + as_list(i.get("members"))]


def _declared_public(bucket_name: Any, g: Graph) -> bool:
    for b in g.where([BUCKET], "name", bucket_name):
        parent = g.parent(b)
        if parent and parent["type"] == BUCKET_COMPONENT and is_true(parent["inputs"].get("public")):
            return True
    return False


def _log_bucket(res: Resource, g: Graph) -> bool:
    name = res["inputs"].get("name")
    return any((b["inputs"].get("logging") or {}).get("logBucket") == name for b in g.of_type(BUCKET))


def _provider_labels(res: Resource, g: Graph) -> dict[str, str]:
    provider = g.provider(res)
    return dict(as_json(provider["inputs"].get("defaultLabels")) or {}) if provider else {}


def _labels(res: Resource, g: Graph) -> dict[str, str]:
    if res["type"] == SQL_INSTANCE:
        return dict(_settings(res).get("userLabels") or {})
    return _provider_labels(res, g) | dict(res["inputs"].get("labels") or {})


def _env_name(g: Graph) -> str:
    for provider in g.of_type(GCP_PROVIDER):
        env = (as_json(provider["inputs"].get("defaultLabels")) or {}).get("env")
        if env:
            return str(env)
    return ""


# ---- Cloud SQL -------------------------------------------------------------------------------------------------------


@rule("R-SQL-11", "B", [SQL_INSTANCE], "private IP only")
def _sql_private(res: Resource, _g: Graph) -> list[str]:
    ip = _settings(res).get("ipConfiguration") or {}
    return need(is_false(ip.get("ipv4Enabled")), "settings.ipConfiguration.ipv4Enabled is not false")


@rule("R-SQL-12", "B", [SQL_INSTANCE], "no authorized network 0.0.0.0/0")
def _sql_networks(res: Resource, _g: Graph) -> list[str]:
    ip = _settings(res).get("ipConfiguration") or {}
    nets = [n.get("value") for n in as_list(ip.get("authorizedNetworks")) if isinstance(n, dict)]
    return need("0.0.0.0/0" not in nets, "an authorized network admits 0.0.0.0/0")


@rule("R-SQL-13", "B", [SQL_INSTANCE], "TLS only")
def _sql_ssl(res: Resource, _g: Graph) -> list[str]:
    mode = (_settings(res).get("ipConfiguration") or {}).get("sslMode")
    return need(mode in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"), f"sslMode is {mode!r}")


@rule("R-SQL-14", "P", [SQL_INSTANCE], "backups with point-in-time recovery")
def _sql_backups(res: Resource, _g: Graph) -> list[str]:
    backup = _settings(res).get("backupConfiguration") or {}
    return [f"backupConfiguration.{k} is not true" for k in ("enabled", "pointInTimeRecoveryEnabled")
            if not is_true(backup.get(k))]


@rule("R-SQL-15", "P", [SQL_INSTANCE], "deletion protection (Pulumi and Cloud SQL)")
def _sql_deletion_protection(res: Resource, _g: Graph) -> list[str]:
    problems = need(is_true(res["inputs"].get("deletionProtection")), "deletionProtection is not true")
    return problems + need(is_true(_settings(res).get("deletionProtectionEnabled")),
                           "settings.deletionProtectionEnabled is not true")


@rule("R-SQL-16", "P", [SQL_INSTANCE], "connection, checkpoint and lock-wait logging")
def _sql_flags(res: Resource, _g: Graph) -> list[str]:
    flags = {f.get("name"): f.get("value") for f in as_list(_settings(res).get("databaseFlags")) if isinstance(f, dict)}
    return [f"database flag {f} is not on" for f in SQL_LOG_FLAGS if flags.get(f) != "on"]


# ---- GCS -------------------------------------------------------------------------------------------------------------


@rule("R-GCS-01", "B", [BUCKET], "uniform bucket-level access")
def _gcs_uniform(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("uniformBucketLevelAccess")), "uniformBucketLevelAccess is not true")


@rule("R-GCS-02", "B", [BUCKET], "public access prevention enforced (unless declared public)")
def _gcs_prevention(res: Resource, g: Graph) -> list[str]:
    if _declared_public(res["inputs"].get("name"), g):
        return []
    value = res["inputs"].get("publicAccessPrevention")
    return need(value == "enforced", f"publicAccessPrevention is {value!r}")


@rule("R-GCS-03", "B", BUCKET_IAM, "no public members (declared public buckets: allUsers may view objects)")
def _gcs_public_members(res: Resource, g: Graph) -> list[str]:
    public = set(_members(res)) & PUBLIC_MEMBERS
    viewer_only = res["inputs"].get("role") == "roles/storage.objectViewer" and public == {"allUsers"}
    if not public or (viewer_only and _declared_public(res["inputs"].get("bucket"), g)):
        return []
    return [f"{sorted(public)} get {res['inputs'].get('role')}"]


@rule("R-GCS-04", "P", [BUCKET], "versioning enabled")
def _gcs_versioning(res: Resource, _g: Graph) -> list[str]:
    return need(is_true((res["inputs"].get("versioning") or {}).get("enabled")), "versioning is not enabled")


@rule("R-GCS-05", "P", [BUCKET], "usage logs to another bucket")
def _gcs_logging(res: Resource, g: Graph) -> list[str]:
    if _log_bucket(res, g):
        return []  # the log bucket: logging it would log its own log deliveries
    target = (res["inputs"].get("logging") or {}).get("logBucket")
    return need(bool(target) and target != res["inputs"].get("name"), "no usage logging to a separate bucket")


# ---- Pub/Sub ---------------------------------------------------------------------------------------------------------


@rule("R-MSG-05", "B", [*TOPIC_IAM, *SUBSCRIPTION_IAM], "no public members")
def _msg_public(res: Resource, _g: Graph) -> list[str]:
    public = set(_members(res)) & PUBLIC_MEMBERS
    return [f"{sorted(public)} get {res['inputs'].get('role')}"] if public else []


def _dead_letter_topics(g: Graph) -> set[str]:
    return {str((as_json(s["inputs"].get("deadLetterPolicy")) or {}).get("deadLetterTopic"))
            for s in g.of_type(SUBSCRIPTION) if s["inputs"].get("deadLetterPolicy")}


@rule("R-MSG-06", "B", [SUBSCRIPTION], "dead-letter policy; never expires")
def _msg_subscription(res: Resource, g: Graph) -> list[str]:
    i = res["inputs"]
    sink = i.get("topic") in _dead_letter_topics(g)
    problems = [] if sink else need(bool((i.get("deadLetterPolicy") or {}).get("deadLetterTopic")),
                                    "no deadLetterPolicy")
    ttl = (i.get("expirationPolicy") or {}).get("ttl")
    return problems + need(ttl == "", f"expirationPolicy.ttl is {ttl!r}, not \"\" (never expire)")


@rule("R-MSG-07", "P", [TOPIC], "topic encrypted with a customer-managed key", advisory=True)
def _msg_cmek(res: Resource, _g: Graph) -> list[str]:
    return need(bool(res["inputs"].get("kmsKeyName")), "kmsKeyName is not set")


# ---- Memorystore -----------------------------------------------------------------------------------------------------


@rule("R-RDS-06", "B", [REDIS], "AUTH on")
def _redis_auth(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("authEnabled")), "authEnabled is not true")


@rule("R-RDS-07", "B", [REDIS], "TLS with server authentication")
def _redis_tls(res: Resource, _g: Graph) -> list[str]:
    mode = res["inputs"].get("transitEncryptionMode")
    return need(mode == "SERVER_AUTHENTICATION", f"transitEncryptionMode is {mode!r}")


@rule("R-RDS-08", "P", [REDIS], "STANDARD_HA through private services access")
def _redis_ha(res: Resource, _g: Graph) -> list[str]:
    i = res["inputs"]
    problems = need(i.get("tier") == "STANDARD_HA", f"tier is {i.get('tier')!r}")
    return problems + need(i.get("connectMode") == "PRIVATE_SERVICE_ACCESS", f"connectMode is {i.get('connectMode')!r}")


# ---- secrets and keys ------------------------------------------------------------------------------------------------


@rule("R-SEC-04", "B", [*SECRET_IAM, *PROJECT_IAM], "secret access granted on the secret, never public")
def _secret_access(res: Resource, _g: Graph) -> list[str]:
    role = str(res["inputs"].get("role") or "")
    if res["type"] in PROJECT_IAM:
        return need(not role.startswith("roles/secretmanager."), f"{role} granted on the project")
    public = set(_members(res)) & PUBLIC_MEMBERS
    return [f"{sorted(public)} get {role}"] if public else []


@rule("R-SEC-10", "P", [KMS_KEY, *KMS_KEY_IAM], "keys rotate at least every 90 days; no public key access")
def _kms(res: Resource, _g: Graph) -> list[str]:
    if res["type"] != KMS_KEY:
        public = set(_members(res)) & PUBLIC_MEMBERS
        return [f"{sorted(public)} get {res['inputs'].get('role')}"] if public else []
    period = str(res["inputs"].get("rotationPeriod") or "")
    seconds = float(period[:-1]) if period.endswith("s") and period[:-1].replace(".", "", 1).isdigit() else None
    return need(seconds is not None and seconds <= MAX_KEY_ROTATION_S, f"rotationPeriod {period or 'unset'}")


# ---- IAM -------------------------------------------------------------------------------------------------------------


@rule("R-IAM-08", "B", ALL_IAM, "no basic roles")
def _iam_basic(res: Resource, _g: Graph) -> list[str]:
    role = res["inputs"].get("role")
    return need(role not in BASIC_ROLES, f"basic role {role}")


@rule("R-IAM-09", "B", ALL_IAM, "no admin roles for service accounts")
def _iam_admin(res: Resource, _g: Graph) -> list[str]:
    role = str(res["inputs"].get("role") or "")
    to_accounts = any(m.startswith("serviceAccount:") for m in _members(res))
    admin = role.endswith("Admin") or role.endswith(".admin") or role == "roles/iam.serviceAccountAdmin"
    return need(not (to_accounts and admin), f"admin role {role} for a service account")


def _default_compute(member: str) -> bool:
    return member.endswith("-compute@developer.gserviceaccount.com") or member.endswith(
        "@appspot.gserviceaccount.com")


@rule("R-IAM-10", "B", [ACCOUNT, JOB, *ALL_IAM], "no default compute account; one account per service")
def _iam_accounts(res: Resource, g: Graph) -> list[str]:
    if res["type"] == JOB:
        runs_as = str(((res["inputs"].get("template") or {}).get("template") or {}).get("serviceAccount") or "")
        return need(bool(runs_as) and not _default_compute(runs_as), f"runs as {runs_as or 'the default account'}")
    if res["type"] != ACCOUNT:
        return [f"grants to the default account {m}" for m in _members(res) if _default_compute(m)]
    parent = g.parent(res)
    if parent is None or parent["type"] not in (SERVICE_COMPONENT, SQL_JOBS_COMPONENT):
        return ["a service account that belongs to no service"]
    accounts = [c for c in g.children(parent) if c["type"] == ACCOUNT]
    return need(len(accounts) == 1, f"{short_name(parent)} has {len(accounts)} service accounts")


@rule("R-IAM-11", "B", PROJECT_IAM, "no project-level impersonation roles")
def _iam_impersonation(res: Resource, _g: Graph) -> list[str]:
    role = res["inputs"].get("role")
    return need(role not in IMPERSONATION_ROLES, f"{role} on the project")


@rule("R-IAM-12", "B", ALL_IAM, "data roles bound on resources, to service accounts")
def _iam_resource_level(res: Resource, g: Graph) -> list[str]:
    role = str(res["inputs"].get("role") or "")
    if res["type"] in PROJECT_IAM:
        return need(not role.startswith(DATA_ROLE_PREFIXES), f"data role {role} bound on the project")
    problems = []
    for m in _members(res):
        if m.startswith("serviceAccount:") or m in PUBLIC_MEMBERS:
            continue  # public members are R-GCS-03/R-MSG-05/R-SEC-04's
        parent = g.parent(res)
        if m == LOG_WRITER and parent is not None and parent["type"] == ACCESS_LOGS_COMPONENT:
            continue
        problems.append(f"member {m} is not a service account")
    return problems


# ---- previews and production safety ----------------------------------------------------------------------------------


@rule("PV-01", "PV", ["*"], "nothing protected or retained")
def _pv_unprotected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is set" for k in ("protect", "retainOnDelete") if opts.get(k)]


@rule("PV-02", "PV", ["*"], "destroyable: deletionProtection off, deletionPolicy neither PREVENT nor ABANDON")
def _pv_deletable(res: Resource, _g: Graph) -> list[str]:
    if not res["type"].startswith("gcp:"):
        return []
    i = res["inputs"]
    problems = need(not is_true(i.get("deletionProtection")), "deletionProtection is true")
    if res["type"] == SQL_INSTANCE:
        problems += need(not is_true(_settings(res).get("deletionProtectionEnabled")),
                         "settings.deletionProtectionEnabled is true")
    policy = i.get("deletionPolicy")
    return problems + need(policy not in ("PREVENT", "ABANDON"), f"deletionPolicy is {policy}")


@rule("PV-03", "PV", [BUCKET], "buckets force-destroyable")
def _pv_force_destroy(res: Resource, _g: Graph) -> list[str]:
    return need(is_true(res["inputs"].get("forceDestroy")), "forceDestroy is not true")


@rule("PV-05", "PV", list(NAME_LIMITS), "physical names carry the env slug and fit the provider's limit")
def _pv_names(res: Resource, g: Graph) -> list[str]:
    key, limit = NAME_LIMITS[res["type"]]
    name = str(res["inputs"].get(key) or "")
    slug = _env_name(g)
    problems = need(len(name) <= limit, f"{key} {name!r} is longer than {limit}")
    # A 30-character account id often has no room for the slug after the app's name: naming then ends it in a hash
    # of app, env and service (unique per env), and the description must name the env.
    shown = name if res["type"] != ACCOUNT else f"{name} {res['inputs'].get('description') or ''}"
    return problems + need(bool(slug) and slug in shown, f"{key} {name!r} lacks the env slug {slug!r}")


@rule("PV-06", "PV", sorted(LABELLED | {SQL_INSTANCE}), "labelled env, pr, created-at, ttl")
def _pv_labels(res: Resource, g: Graph) -> list[str]:
    labels = _labels(res, g)
    return [f"label {k} missing" for k in PREVIEW_LABELS if not labels.get(k)]


@rule("PV-07", "PV", [SQL_INSTANCE, REDIS], "smallest tiers, no HA")
def _pv_small(res: Resource, _g: Graph) -> list[str]:
    if res["type"] == SQL_INSTANCE:
        s = _settings(res)
        problems = need(s.get("tier") in SMALL_SQL_TIERS, f"tier {s.get('tier')} is not the smallest")
        return problems + need(s.get("availabilityType") != "REGIONAL", "availabilityType is REGIONAL")
    i = res["inputs"]
    problems = need(i.get("tier") == "BASIC", f"tier {i.get('tier')} is not BASIC")
    return problems + need((i.get("memorySizeGb") or 0) <= 1, f"memorySizeGb {i.get('memorySizeGb')} > 1")


@rule("PV-08", "PV", SERVER_CLASS, "a shared preview env creates no database server, cache instance or network")
def _pv_no_servers(res: Resource, g: Graph) -> list[str]:
    base = _labels(res, g).get(BORROWS_FROM)
    return [f"a shared preview env runs on {base}'s servers and network, and creates none"] if base else []


@rule("P-01", "P", STATEFUL, "stateful resources protected and retained")
def _p_protected(res: Resource, _g: Graph) -> list[str]:
    opts = res.get("options") or {}
    return [f"{k} is not set" for k in ("protect", "retainOnDelete") if not opts.get(k)]


@rule("R-TAG-01", "B", sorted(LABELLED | {SQL_INSTANCE}), "labelled app, env, managed-by")
def _labelled(res: Resource, g: Graph) -> list[str]:
    labels = _labels(res, g)
    return [f"label {k} missing" for k in BASE_LABELS if not labels.get(k)]
