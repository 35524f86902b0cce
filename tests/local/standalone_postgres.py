"""A PostgreSQL server the tests start themselves, outside any orchestrator environment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from providers.local import servers


@contextlib.contextmanager
def standalone_postgres(base: Path, *, password: str) -> Iterator[int]:
    """Initialise and run a server under `base` (as the unprivileged account when root); yields its port."""
    account = servers.pg_account()
    datadir = servers.pg_datadir(base, account)
    bindir = servers.runnable_bindir(servers.pick_pg_bindir(datadir, None), account)
    log = base / "postgres.log"
    servers.init_postgres(datadir, bindir, password=password, account=account, log=log)
    port = servers.free_port()
    proc = servers.start_postgres(datadir, bindir, port=port, account=account, log=log, label=str(base))
    try:
        servers.wait_postgres(datadir, proc, port, log)
        yield port
    finally:
        servers.stop_postgres(datadir)
        servers.remove_pg_data(base)
