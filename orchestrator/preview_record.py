"""`PreviewEnv`: what the state store keeps for a preview env beside its records (`envs/pr-N/preview.json`).

It is written before anything is created and removed after `down` removed everything, so an `up` killed half-way
is still found by `list`, `down` and `gc`; its `stack` is the env's stack file, so `pr-N` loads like any env on a
machine that has no `stacks/Pulumi.pr-N.yaml` (a CI runner).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from orchestrator.core.envs import Strategy
from orchestrator.core.errors import BadInput
from orchestrator.core.files import load_versioned
from orchestrator.core.whoami import host_name, user_name

DESCRIPTOR_FORMAT = 1
PREFIX = "pr-"
_ENV = re.compile(r"^pr-([1-9][0-9]{0,8})$")


def dependants(previews: list[PreviewEnv], base: str) -> list[str]:
    """The shared preview envs among `previews` that borrow `base`'s servers."""
    return [p.env for p in previews if p.base == base and p.strategy == "shared"]


def env_name(pr: int) -> str:
    return f"{PREFIX}{pr}"


def pr_of(env: str) -> int | None:
    """N for an env named `pr-N`, else None."""
    m = _ENV.match(env)
    return int(m[1]) if m else None


class PreviewEnv(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = DESCRIPTOR_FORMAT
    pr: int = Field(ge=1)
    env: str
    base: str
    cloud: str
    strategy: Strategy
    slot: int | None = None
    """Its number among the base's shared previews (its Redis database index), unique per base."""
    stack: str
    """The env's stack file (Pulumi stack-config YAML), derived from the base's at the first `up`."""
    created_at: AwareDatetime
    created_by: str

    @classmethod
    def new(cls, *, pr: int, base: str, cloud: str, strategy: Strategy, slot: int | None, stack: str) -> PreviewEnv:
        return cls(pr=pr, env=env_name(pr), base=base, cloud=cloud, strategy=strategy, slot=slot, stack=stack,
                   created_at=datetime.now(UTC).replace(microsecond=0), created_by=f"{user_name()}@{host_name()}")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def load(cls, data: bytes, where: str) -> PreviewEnv:
        found = load_versioned(data, cls, newest=DESCRIPTOR_FORMAT, what="preview env descriptor", where=where)
        if found.env != env_name(found.pr):
            raise BadInput(f"invalid preview env descriptor: env {found.env!r} is not pr-{found.pr}", where=where)
        return found
