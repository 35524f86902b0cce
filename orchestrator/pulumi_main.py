"""Entry of the Pulumi program for the plain CLI: `ORCHESTRATOR_META=path/to/meta.pb pulumi preview -s ENV`.

Runs the same program as `orchestrator deploy`: the env is the stack (stacks/Pulumi.<stack>.yaml, or a preview env's
descriptor in the state store under ORCHESTRATOR_HOME; a shared one borrows what its base's record shares),
the app's metadata comes from ORCHESTRATOR_META (a path, or `env:VAR`), its source tree (for
migrations) from ORCHESTRATOR_APP_ROOT. Stack files accept only known keys, so neither lives there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from orchestrator.core.errors import BadInput

META_VAR = "ORCHESTRATOR_META"
APP_ROOT_VAR = "ORCHESTRATOR_APP_ROOT"
STACKS_DIR = Path(__file__).resolve().parents[1] / "stacks"


def main(environ: Mapping[str, str] = os.environ, stacks_dir: Path = STACKS_DIR) -> None:
    import pulumi

    from orchestrator.engine import program
    from orchestrator.pipeline import Context, read_source
    from orchestrator.ui import UI

    meta = environ.get(META_VAR)
    if not meta:
        raise BadInput(f"set {META_VAR} to the app's metadata (a path or env:VAR) before running pulumi")
    ctx = Context(stacks_dir=stacks_dir, state_root=Path(environ.get("ORCHESTRATOR_HOME") or ".orchestrator"),
                  ui=UI())
    env = ctx.env(pulumi.get_stack())
    root = environ.get(APP_ROOT_VAR)
    the_plan = ctx.plan_for(read_source(meta), env)
    program.run(the_plan, app_root=Path(root) if root else None)


if __name__ == "__main__":
    main()
