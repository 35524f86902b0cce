"""GCP's answers under Pulumi mocks (the `mocks` part): realistic ids and outputs per resource type.

Ids, emails, private IPs and CA certificates are derived from the inputs (deterministic), so the stack outputs and
the runtime config built from them look like a real deployment's. Resource inputs do not repeat the project (the
provider holds it), so the project is taken from the `gcp` provider when it registers, which the session does
before any resource. `orchestrator/engine/graph.py` asks `new_resource` and `call` first and falls back to a
generic id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from providers.base import mock_id

DEFAULT_PROJECT = "mock-project"
DEFAULT_REGION = "us-central1"
PROJECT_NUMBER = "123456789012"
PROVIDER = "pulumi:providers:gcp"

Made = tuple[str, dict[str, Any]]
"""(id, outputs) of a mocked resource."""

_current = {"project": DEFAULT_PROJECT}


def new_resource(token: str, inputs: dict[str, Any], name: str, region: str | None) -> Made | None:
    """(id, outputs beyond the inputs) for a GCP resource type; None for a type that is not GCP's."""
    if token == PROVIDER:
        _current["project"] = str(inputs.get("project") or DEFAULT_PROJECT)
        return None
    project = str(inputs.get("project") or _current["project"])
    make = _MADE.get(token)
    if make is not None:
        return make(project, region or DEFAULT_REGION, inputs, name)
    if token.startswith("gcp:"):
        return mock_id(token, inputs, name), {}
    return None


def call(token: str, args: dict[str, Any], region: str | None) -> dict[str, Any] | None:
    """The result of a GCP data-source invoke; None for a token this module does not answer."""
    if token == "gcp:organizations/getProject:getProject":
        project = str(args.get("projectId") or _current["project"])
        return {"id": f"projects/{project}", "projectId": project, "number": PROJECT_NUMBER, "name": project}
    return None


def _h(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _ip(seed: str) -> str:
    """A private address in the reserved private-services range (10.0.0.0/16 onwards)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return f"10.{100 + digest[0] % 100}.{digest[1]}.{2 + digest[2] % 250}"


def mock_ca(subject: str) -> str:
    """A PEM-shaped placeholder for a server CA certificate (the mocks make no real keys)."""
    return f"-----BEGIN CERTIFICATE-----\nMOCK{_h(subject, 32)}\n-----END CERTIFICATE-----\n"


def _topic(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    return f"projects/{p}/topics/{i['name']}", {}


def _subscription(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    return f"projects/{p}/subscriptions/{i['name']}", {}


def _bucket(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    b = i["name"]
    return b, {"url": f"gs://{b}", "selfLink": f"https://www.googleapis.com/storage/v1/b/{b}", "project": p}


def _instance(p: str, r: str, i: dict[str, Any], _n: str) -> Made:
    name = i["name"]
    return name, {
        "privateIpAddress": _ip(f"sql/{name}"),
        "connectionName": f"{p}:{r}:{name}",
        "serverCaCerts": [{"cert": mock_ca(f"sql/{name}"), "commonName": f"C=US,O=Google\\, Inc,CN=Google Cloud SQL "
                                                                        f"Server CA,dnQualifier={_h(name, 8)}"}],
        "selfLink": f"https://sqladmin.googleapis.com/sql/v1beta4/projects/{p}/instances/{name}",
    }


def _redis(p: str, r: str, i: dict[str, Any], _n: str) -> Made:
    name = i["name"]
    return f"projects/{p}/locations/{r}/instances/{name}", {
        "host": _ip(f"redis/{name}"),
        "port": 6378,
        "authString": f"mock-auth-{_h(name, 16)}",
        "serverCaCerts": [{"cert": mock_ca(f"redis/{name}"), "serialNumber": _h(name, 8)}],
    }


def _secret(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    return f"projects/{p}/secrets/{i['secretId']}", {"name": f"projects/{PROJECT_NUMBER}/secrets/{i['secretId']}"}


def _account(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    email = f"{i['accountId']}@{p}.iam.gserviceaccount.com"
    return f"projects/{p}/serviceAccounts/{email}", {
        "email": email, "name": f"projects/{p}/serviceAccounts/{email}", "member": f"serviceAccount:{email}",
        "uniqueId": str(int(_h(email, 12), 16)),
    }


def _network(p: str, _r: str, i: dict[str, Any], _n: str) -> Made:
    rid = f"projects/{p}/global/networks/{i['name']}"
    return rid, {"selfLink": f"https://www.googleapis.com/compute/v1/{rid}"}


def _subnetwork(p: str, r: str, i: dict[str, Any], _n: str) -> Made:
    rid = f"projects/{p}/regions/{i.get('region') or r}/subnetworks/{i['name']}"
    return rid, {"selfLink": f"https://www.googleapis.com/compute/v1/{rid}"}


def _job(p: str, r: str, i: dict[str, Any], _n: str) -> Made:
    return f"projects/{p}/locations/{i.get('location') or r}/jobs/{i['name']}", {}


_MADE: dict[str, Callable[[str, str, dict[str, Any], str], Made]] = {
    "gcp:pubsub/topic:Topic": _topic,
    "gcp:pubsub/subscription:Subscription": _subscription,
    "gcp:storage/bucket:Bucket": _bucket,
    "gcp:sql/databaseInstance:DatabaseInstance": _instance,
    "gcp:redis/instance:Instance": _redis,
    "gcp:secretmanager/secret:Secret": _secret,
    "gcp:serviceaccount/account:Account": _account,
    "gcp:compute/network:Network": _network,
    "gcp:compute/subnetwork:Subnetwork": _subnetwork,
    "gcp:cloudrunv2/job:Job": _job,
}
