"""runtime_config.infra_json: the JSON infra config, in the subset both runtimes parse."""

from __future__ import annotations

import json

import pytest
import rc_fixtures as fx

from orchestrator.core.errors import Unsupported
from orchestrator.core.model import Language
from runtime_config.infra import AppSecret, CacheRecord, ObjectStorage, SecretRef, merge
from runtime_config.infra_json import build_infra_json


@pytest.fixture(scope="module")
def aws_doc():
    plan = fx.shop_plan("aws")
    return build_infra_json(plan, fx.provisioned(plan))


def test_document_is_strict_json_and_deterministic(aws_doc):
    plan = fx.shop_plan("aws")
    text = json.dumps(aws_doc, sort_keys=True, allow_nan=False)
    assert json.dumps(build_infra_json(plan, fx.provisioned(plan)), sort_keys=True) == text


def test_metadata_and_deployment(aws_doc):
    assert aws_doc["metadata"] == {"app_id": "shop", "env_name": "dev", "env_type": "production", "cloud": "aws",
                                   "base_url": "https://api.shop.example"}
    assert aws_doc["hosted_services"] == ["api", "billing", "mailer", "orders"]
    assert aws_doc["hosted_gateways"] == ["api-gateway", "admin"]
    assert aws_doc["graceful_shutdown"] == {"total": 10}
    assert "service_discovery" not in aws_doc


def test_auth_keys_signing_key_first(aws_doc):
    assert aws_doc["auth"] == [{"type": "key", "id": 2, "key": {"$env": "SVC_KEY_2"}},
                               {"type": "key", "id": 1, "key": {"$env": "SVC_KEY_1"}}]


def test_no_auth_key_means_no_auth_entry():
    plan = fx.shop_plan("aws")
    assert "auth" not in build_infra_json(plan, fx.provisioned(plan, service_auth_keys=()))


def test_sql_for_typescript_keys_by_encore_name(aws_doc):
    plan = fx.shop_plan("aws")
    (server,) = aws_doc["sql_servers"]
    assert server["host"].endswith(".rds.amazonaws.com:5432")
    orders = server["databases"]["orders"]
    names = plan.get("sql:orders").names
    assert orders == {"name": names["database"], "username": names["role"], "password": {"$env": names["password_env"]},
                      "min_connections": 0, "max_connections": 20}


def test_sql_for_go_keys_by_physical_name():
    plan = fx.shop_plan("aws", Language.GO)
    databases = build_infra_json(plan, fx.provisioned(plan))["sql_servers"][0]["databases"]
    physical = plan.get("sql:orders").names["database"]
    assert databases[physical]["name"] == "orders"


def test_redis(aws_doc):
    assert aws_doc["redis"] == {"sessions": {
        "host": "master.shop.abc.euw1.cache.amazonaws.com:6379", "database_index": 0, "in_memory": False,
        "key_prefix": "sessions/",
        "tls_config": {"disable_ca_validation": False, "disable_tls_hostname_verification": False},
        "auth": {"type": "auth_string", "auth_string": {"$env": "CACHE_SESSIONS_AUTH"}},
    }}


GO_REDIS_AUTH_TYPES = {"acl", "auth_string"}
"""The only auth types runtimes/go/appruntime/exported/config/parse.go accepts (any other: log.Fatalf)."""


@pytest.mark.parametrize("username", [None, "app"])
def test_redis_auth_type_is_one_the_go_runtime_accepts(username):
    plan = fx.shop_plan("aws", Language.GO)
    record = fx.provisioned(plan)
    caches = tuple(c.model_copy(update={"auth_username": username}) for c in record.caches)
    doc = build_infra_json(plan, record.model_copy(update={"caches": caches}))
    assert doc["redis"]["sessions"]["auth"]["type"] in GO_REDIS_AUTH_TYPES


def test_redis_in_memory_for_typescript():
    plan = fx.shop_plan("local")
    doc = build_infra_json(plan, fx.provisioned(plan, caches=(CacheRecord(encore_name="sessions", in_memory=True),)))
    assert doc["redis"]["sessions"] == {"host": "", "database_index": 0, "in_memory": True,
                                        "tls_config": {"disabled": True}}


def test_redis_in_memory_and_no_tls_for_go():
    """runtimes/go/storage/cache/manager_internal.go serves in_memory from miniredis; parse.go honours disabled."""
    plan = fx.shop_plan("local", Language.GO)
    doc = build_infra_json(plan, fx.provisioned(plan, caches=(CacheRecord(encore_name="sessions", in_memory=True),)))
    assert doc["redis"]["sessions"] == {"host": "", "database_index": 0, "in_memory": True,
                                        "tls_config": {"disabled": True}}


def test_pubsub_aws(aws_doc):
    plan = fx.shop_plan("aws")
    (ps,) = aws_doc["pubsub"]
    assert ps["type"] == "aws_sns_sqs"
    topic = ps["topics"]["order-created"]
    assert topic["arn"].startswith("arn:aws:sns:eu-west-1:")
    queue = plan.get("subscription:order-created/bill").names["subscription"]
    assert topic["subscriptions"]["bill"] == {"url": f"https://sqs.eu-west-1.amazonaws.com/{fx.ACCOUNT}/{queue}"}


def test_pubsub_gcp():
    plan = fx.shop_plan("gcp")
    (ps,) = build_infra_json(plan, fx.provisioned(plan, secrets=()))["pubsub"]
    assert ps["type"] == "gcp_pubsub" and ps["project_id"] == "shop-proj"
    topic = ps["topics"]["order-created"]
    assert topic["name"] == plan.get("topic:order-created").names["topic"] and topic["project_id"] == "shop-proj"
    assert "push_config" not in topic["subscriptions"]["send-email"]
    push = topic["subscriptions"]["bill"]["push_config"]
    assert push["service_account"].startswith("push@") and push["jwt_audience"] == "https://api.shop.example"


def test_exactly_once_and_ordered_topics_are_unsupported_for_the_rust_core():
    plan = fx.shop_plan("aws", fifo_topic=True)
    with pytest.raises(Unsupported, match="exactly-once or ordered"):
        build_infra_json(plan, fx.provisioned(plan))


def test_exactly_once_and_ordered_topics_for_go_are_fifo_names():
    """The Go runtime takes the guarantees from the app's code (runtimes/go/pubsub/internal/aws/topic.go)."""
    plan = fx.shop_plan("aws", Language.GO, fifo_topic=True)
    (ps,) = build_infra_json(plan, fx.provisioned(plan))["pubsub"]
    audit = ps["topics"]["audit"]
    assert audit["arn"].endswith(".fifo") and audit["subscriptions"]["store"]["url"].endswith(".fifo")


def _as_go_reads_it(entries: list[dict]) -> dict:
    """runtimes/go/appruntime/exported/config/parse.go: the topic/bucket map is reset per entry; the last one wins."""
    kept: dict = {}
    for entry in entries:
        kept = dict(entry.get("topics") or entry.get("buckets") or {})
    return kept


@pytest.mark.parametrize("cloud", ["aws", "local", "gcp"])
def test_go_sees_every_topic_and_bucket(cloud):
    plan = fx.shop_plan(cloud, Language.GO)
    doc = build_infra_json(plan, fx.provisioned(plan, secrets=()) if cloud == "gcp" else fx.provisioned(plan))
    assert set(_as_go_reads_it(doc["pubsub"])) == {"order-created"}
    assert set(_as_go_reads_it(doc["object_storage"])) == {"avatars", "invoices"}


def test_two_pubsub_providers_are_unsupported():
    with pytest.raises(Unsupported, match="two pub/sub providers"):
        merge([{"pubsub": {"provider": "aws", "topics": []}}, {"pubsub": {"provider": "nsq", "topics": []}}])


def test_two_object_storage_regions_are_unsupported():
    with pytest.raises(Unsupported, match="two object-storage providers"):
        merge([{"object_storage": {"provider": "s3", "region": "eu-west-1"}},
               {"object_storage": {"provider": "s3", "region": "us-east-1"}}])


def test_one_provider_merges_topics():
    merged = merge([{"pubsub": {"provider": "aws", "topics": [1]}}, {"pubsub": {"provider": "aws", "topics": [2]}}])
    assert merged == {"pubsub": {"provider": "aws", "topics": [1, 2]}}


def test_object_storage_s3(aws_doc):
    plan = fx.shop_plan("aws")
    (storage,) = aws_doc["object_storage"]
    avatars = plan.get("bucket:avatars").names["bucket"]
    assert storage == {"type": "s3", "region": "eu-west-1", "buckets": {
        "avatars": {"name": avatars, "public_base_url": f"https://{avatars}.s3.eu-west-1.amazonaws.com"},
        "invoices": {"name": plan.get("bucket:invoices").names["bucket"]},
    }}


def test_object_storage_local_emulator():
    plan = fx.shop_plan("local")
    (storage,) = build_infra_json(plan, fx.provisioned(plan))["object_storage"]
    assert storage["endpoint"] == "http://127.0.0.1:5000" and storage["access_key_id"] == "test"
    assert storage["secret_access_key"] == f"{fx.CANARY}-s3"


def test_object_storage_gcs():
    plan = fx.shop_plan("gcp")
    (storage,) = build_infra_json(plan, fx.provisioned(plan, secrets=()))["object_storage"]
    assert storage["type"] == "gcs" and storage["buckets"]["invoices"]["key_prefix"] == "v1/"


def test_anonymous_gcs_is_unsupported():
    plan = fx.shop_plan("gcp")
    record = fx.provisioned(plan, secrets=())
    assert record.object_storage is not None
    storage = ObjectStorage(provider="gcs", anonymous=True, endpoint="http://localhost:4443",
                            buckets=tuple(b.model_copy(update={"public_base_url": "http://localhost:4443/b"})
                                          for b in record.object_storage.buckets))
    with pytest.raises(Unsupported, match="anonymous"):
        build_infra_json(plan, record.model_copy(update={"object_storage": storage}))


def test_secrets_local_values_are_plain_strings():
    plan = fx.shop_plan("local")
    secrets = build_infra_json(plan, fx.provisioned(plan))["secrets"]
    assert secrets == {"SlackHook": f"{fx.CANARY}-secret-SlackHook", "StripeKey": f"{fx.CANARY}-secret-StripeKey"}


def test_json_key_secrets_are_unsupported():
    plan = fx.shop_plan("aws")
    record = fx.provisioned(plan, secrets=(
        AppSecret(encore_name="StripeKey", ref=SecretRef(env="ALL", json_key="StripeKey")),))
    with pytest.raises(Unsupported, match="one key of a JSON secret"):
        build_infra_json(plan, record)


def test_subset_process_lists_discovery_and_trims():
    plan = fx.shop_plan("aws")
    doc = build_infra_json(plan, fx.provisioned(plan), hosted_services=["mailer"])
    assert doc["hosted_services"] == ["mailer"]
    assert doc["service_discovery"] == {name: {"base_url": f"http://{name}.shop.internal:8080"}
                                        for name in ("api", "billing", "orders")}
    assert "sql_servers" not in doc and "redis" not in doc and "object_storage" not in doc
    assert list(doc["secrets"]) == ["SlackHook"]
    assert list(doc["pubsub"][0]["topics"]["order-created"]["subscriptions"]) == ["send-email"]
