"""The only place physical names are made.

A name is `<app>-<env>-<name>` shaped to one namespace's rules (length, charset, case,
first character, reserved prefixes, required suffix). Whenever shaping loses
information (a character replaced, case folded, text cut) or the namespace is
globally shared (S3, GCS, storage accounts, Key Vault, Service Bus namespaces), a
stable 8-character hash of the unshaped parts is appended, so distinct inputs give
distinct names and the same input always gives the same name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Rule:
    max_len: int
    allowed: str
    """A regex character class body of the characters the namespace accepts."""
    sep: str = "-"
    lower: bool = True
    min_len: int = 1
    starts_with_letter: bool = True
    ends_alnum: bool = True
    suffix: str = ""
    global_scope: bool = False
    forbidden_prefixes: tuple[str, ...] = ()
    forbidden_substrings: tuple[str, ...] = ()
    no_double_sep: bool = True

    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.allowed)


@cache
def _compiled(allowed: str) -> re.Pattern[str]:
    return re.compile(f"[^{allowed}]+")


HASH_LEN = 8

RULES: dict[str, Rule] = {
    # AWS
    "aws.s3": Rule(
        63, "a-z0-9-", min_len=3, global_scope=True, forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-")
    ),
    "aws.sns": Rule(256, "A-Za-z0-9_-", lower=False),
    "aws.sns.fifo": Rule(256, "A-Za-z0-9_-", lower=False, suffix=".fifo"),
    "aws.sqs": Rule(80, "A-Za-z0-9_-", lower=False),
    "aws.sqs.fifo": Rule(80, "A-Za-z0-9_-", lower=False, suffix=".fifo"),
    "aws.rds": Rule(63, "a-z0-9-"),
    "aws.elasticache": Rule(40, "a-z0-9-"),
    "aws.iam": Rule(64, "A-Za-z0-9+=,.@_-", lower=False),
    "aws.secretsmanager": Rule(256, "A-Za-z0-9/_+=.@-", lower=False),
    "aws.scheduler": Rule(64, "A-Za-z0-9_.-", lower=False),
    "aws.generic": Rule(63, "a-z0-9-"),
    # GCP
    "gcp.gcs": Rule(
        63,
        "a-z0-9_-",
        min_len=3,
        global_scope=True,
        forbidden_prefixes=("goog",),
        forbidden_substrings=("google", "g00gle"),
    ),
    "gcp.pubsub": Rule(255, "A-Za-z0-9_.~+%-", lower=False, min_len=3, forbidden_prefixes=("goog",)),
    "gcp.sql": Rule(63, "a-z0-9-"),
    "gcp.redis": Rule(40, "a-z0-9-"),
    "gcp.secret": Rule(255, "A-Za-z0-9_-", lower=False),
    "gcp.serviceaccount": Rule(30, "a-z0-9-", min_len=6),
    "gcp.scheduler": Rule(500, "A-Za-z0-9_-", lower=False),
    "gcp.network": Rule(63, "a-z0-9-"),
    "gcp.label": Rule(63, "a-z0-9_-", starts_with_letter=False, ends_alnum=False),
    # Azure
    "azure.storage": Rule(24, "a-z0-9", sep="", min_len=3, global_scope=True),
    "azure.servicebus.namespace": Rule(50, "A-Za-z0-9-", lower=False, min_len=6, global_scope=True),
    "azure.servicebus.entity": Rule(50, "A-Za-z0-9_.-", lower=False),
    "azure.keyvault": Rule(24, "A-Za-z0-9-", lower=False, min_len=3, global_scope=True),
    "azure.keyvault.secret": Rule(127, "A-Za-z0-9-", lower=False),
    "azure.containerapps": Rule(32, "a-z0-9-", min_len=2),
    "azure.postgres": Rule(63, "a-z0-9-", min_len=3, global_scope=True),
    "azure.redis": Rule(63, "A-Za-z0-9-", lower=False, global_scope=True),
    "azure.identity": Rule(128, "A-Za-z0-9_-", lower=False, min_len=3),
    "azure.generic": Rule(63, "A-Za-z0-9_-", lower=False),
    # PostgreSQL identifiers (databases, roles) on any server
    "postgres": Rule(63, "a-z0-9_", sep="_"),
    # Local AWS-API emulator uses the AWS rules; Redis key prefixes are free-form
    "redis.prefix": Rule(128, "A-Za-z0-9_:./-", lower=False, starts_with_letter=False, ends_alnum=False),
}


def stable_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:HASH_LEN]


def fifo_variant(namespace: str) -> str:
    """The namespace for a FIFO topic or queue: `<namespace>.fifo` where the cloud has one, else unchanged."""
    return f"{namespace}.fifo" if f"{namespace}.fifo" in RULES else namespace


def make(namespace: str, *parts: str) -> str:
    """The physical name of `parts` (usually app, env, name) in `namespace` (a key of RULES)."""
    return _make(namespace, parts)


@cache
def _make(namespace: str, parts: tuple[str, ...]) -> str:
    rule = RULES[namespace]
    cleaned = [_clean(part, rule) for part in parts]
    joined = rule.sep.join(c for c in cleaned if c)
    shaped = _edges(_collapse(joined, rule), rule)
    # Joining is reversible only when every part survived cleaning intact and holds no separator.
    ambiguous = (
        shaped != joined
        or any(c != p or not p for c, p in zip(cleaned, parts, strict=True))
        or (rule.sep and any(rule.sep in p for p in parts))
        or (not rule.sep and len(parts) > 1)
    )
    room = rule.max_len - len(rule.suffix)
    too_short = len(shaped) + len(rule.suffix) < rule.min_len
    if ambiguous or rule.global_scope or len(shaped) > room or too_short:
        digest = stable_hash(namespace, *parts)
        head = _trim_end(shaped[: room - HASH_LEN - len(rule.sep)], rule)
        if head:
            shaped = f"{head}{rule.sep}{digest}"
        else:
            shaped = "r" + digest if rule.starts_with_letter and not digest[0].isalpha() else digest
    return shaped + rule.suffix


def _clean(part: str, rule: Rule) -> str:
    text = part.lower() if rule.lower else part
    return _collapse(rule.pattern().sub(rule.sep, text), rule)


def _collapse(text: str, rule: Rule) -> str:
    if rule.sep and rule.no_double_sep:
        return re.sub(f"{re.escape(rule.sep)}{{2,}}", rule.sep, text)
    return text


def _trim_end(text: str, rule: Rule) -> str:
    text = text.rstrip(rule.sep) if rule.sep else text
    return re.sub(r"[^A-Za-z0-9]+$", "", text) if rule.ends_alnum else text


def _edges(text: str, rule: Rule) -> str:
    text = _trim_end(text, rule)
    if rule.ends_alnum:
        text = re.sub(r"^[^A-Za-z0-9]+", "", text)
    if rule.starts_with_letter and not text[:1].isalpha():
        text = "r" + (rule.sep if text else "") + text
    for prefix in rule.forbidden_prefixes:
        if text.startswith(prefix.rstrip("-")):
            text = "r" + rule.sep + text
    for bad in rule.forbidden_substrings:
        text = text.replace(bad, bad[0] + rule.sep + bad[1:])
    return text


def is_valid(namespace: str, name: str) -> bool:
    """Whether `name` satisfies every rule of `namespace` (used by tests and by `plan` as a guard)."""
    rule = RULES[namespace]
    body = name[: len(name) - len(rule.suffix)] if rule.suffix else name
    if rule.suffix and not name.endswith(rule.suffix):
        return False
    if not (rule.min_len <= len(name) <= rule.max_len) or not body:
        return False
    if rule.pattern().search(body):
        return False
    if rule.lower and body != body.lower():
        return False
    if rule.starts_with_letter and not body[0].isalpha():
        return False
    if rule.ends_alnum and not body[-1].isalnum():
        return False
    if rule.sep and rule.no_double_sep and rule.sep * 2 in body:
        return False
    if any(body.startswith(p) for p in rule.forbidden_prefixes):
        return False
    return not any(s in body for s in rule.forbidden_substrings)


ENV_VAR_PREFIX = "ORCH_"
"""Not `ENCORE_`: Go app builds unset every ENCORE_* variable at init before resolving `{"$env": ...}`
(runtimes/go/appruntime/shared/encoreenv/encoreenv.go), and not a prefix platforms reserve (AWS_, ECS_)."""


def env_var(*parts: str) -> str:
    """The environment variable a non-local runtime reads a secret value from (upper snake case + hash)."""
    body = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in parts)
    return f"{ENV_VAR_PREFIX}{body}_{stable_hash('env', *parts)[:4].upper()}"


def gcp_label(value: str) -> str:
    """A GCP label value: lowercase letters, digits, `_` and `-` (others become `_`), at most 63 characters.

    Labels describe and are not identifiers, so no hash is added: `gcp-preview` stays `gcp-preview`."""
    rule = RULES["gcp.label"]
    return rule.pattern().sub("_", value.lower())[: rule.max_len]
