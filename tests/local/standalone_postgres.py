"""A PostgreSQL server the tests start themselves, outside any orchestrator environment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from providers.local.servers import postgres, process


@contextlib.contextmanager
def standalone_postgres(base: Path, *, password: str) -> Iterator[int]:
    """Initialise and run a server under `base` (as the unprivileged account when root); yields its port."""
    account = postgres.pg_account()
    datadir = postgres.pg_datadir(base, account)
    bindir = postgres.runnable_bindir(postgres.pick_pg_bindir(datadir, None), account)
    log = base / "postgres.log"
    postgres.init_postgres(datadir, bindir, password=password, account=account, log=log)
    port = process.free_port()
    proc = postgres.start_postgres(datadir, bindir, port=port, account=account, log=log, label=str(base))
    try:
        postgres.wait_postgres(datadir, proc, port, log)
        yield port
    finally:
        postgres.stop_postgres(datadir)
        postgres.remove_pg_data(base)
