"""The local target's AWS-API emulator: moto's server, holding topics, queues and buckets in memory.

Its directory (`<state dir>/emulator`, 0700, ours) holds its pid file, log and ownership mark; the emulator itself
writes nothing there. Its launcher writes `emulator.pid` (pid and port) first, imports moto and the services we use
(as root, the interpreter may live where the unprivileged user cannot read), then, as root, becomes the env's own
system user before it serves.

moto has no authentication: anyone on this machine who can reach 127.0.0.1 can read every message, read and write
every object, and reset it (docs/local-target.md). It never listens beyond loopback.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

from orchestrator.core.errors import MissingTool
from orchestrator.core.model import Kind
from providers.local import ownership
from providers.local.servers.process import (
    LOOPBACK,
    Account,
    Launch,
    Running,
    ServerFailed,
    Started,
    check_owned,
    choose_port,
    env_account,
    minimal_env,
    pid_alive,
    spawn,
    wait_until,
)

NAME = "emulator"
ROLE = "emu"
"""Its system user is `orch-emu-<hash of the state directory>` (process.env_account)."""
EMULATOR_MARKER = "moto.server"
SERVICES = ("sns", "sqs", "s3")
_EMULATOR_LAUNCHER = (
    "import os, sys\n"
    "pidfile, port, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])\n"
    "with open(pidfile + '.tmp', 'w') as fh: fh.write(f'{os.getpid()} {port}')\n"
    "os.replace(pidfile + '.tmp', pidfile)\n"
    "from moto.server import main\n"
    "from moto.backends import get_backend\n"
    "from moto.core.utils import get_pagination_model, get_service_model\n"
    "import moto.moto_api._internal.urls\n"
    f"for name in {SERVICES!r}:\n"
    "    get_backend(name); __import__(f'moto.{name}.urls'); __import__(f'moto.{name}.responses')\n"
    "    get_service_model(name)\n"
    "    try: get_pagination_model(name)\n"
    "    except Exception: pass\n"
    "if uid >= 0:\n"
    "    os.setgroups([]); os.setgid(gid); os.setuid(uid)\n"
    "main(['-H', '127.0.0.1', '-p', port])\n"
)
EMULATOR_STOP = signal.SIGKILL
"""It keeps nothing worth a clean shutdown (its state is in memory), and SIGTERM takes it ~0.4 s."""


def emulator_running(directory: Path) -> Running | None:
    """(pid, port) of the emulator of `directory`, from the pid file its launcher wrote: only a process working in
    `directory` counts, and only when the directory carries this env's ownership mark (else NotOwned)."""
    try:
        pid, port = (int(x) for x in (directory / "emulator.pid").read_text().split())
    except (OSError, ValueError):
        return None
    if not pid_alive(pid, EMULATOR_MARKER, home=directory):
        return None
    check_owned(directory.parent, directory, f"the emulator (pid {pid})")
    return Running(pid, port)


def start_emulator(
    directory: Path, *, port: int, owner: ownership.Owner, account: Account | None = None
) -> subprocess.Popen[bytes]:
    if importlib.util.find_spec("moto") is None:
        raise MissingTool(
            "the AWS-API emulator needs moto: pip install 'encore-orchestrator[local]'", where="local emulator"
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ownership.write_file_mark(directory, owner)
    (directory / "emulator.pid").unlink(missing_ok=True)
    env = minimal_env(PYTHONUNBUFFERED="1", MOTO_PORT=str(port))
    # `-c` keeps the marker in the command line for pid_alive; the launcher runs moto's server main.
    ids = [str(account.uid), str(account.gid)] if account else ["-1", "-1"]
    argv = [sys.executable, "-c", _EMULATOR_LAUNCHER + f"# {EMULATOR_MARKER}", str(directory / "emulator.pid"),
            str(port), *ids]
    return spawn(argv, log=directory / "emulator.log", env=env, cwd=directory)


def wait_emulator(directory: Path, proc: subprocess.Popen[bytes], port: int) -> None:
    wait_until(
        lambda: emulator_running(directory) is not None and emulator_answers(port),
        what="the AWS-API emulator",
        log=directory / "emulator.log",
        proc=proc,
        port=port,
    )


def emulator_answers(port: int) -> bool:
    """Whether moto's own API answers on `port` (not merely something listening there)."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/moto-api/", timeout=1) as resp:
            return resp.status == 200 and b"moto" in resp.read().lower()
    except OSError:
        return False


def emulator_list(port: int, service: str, action: str = "") -> list[str]:
    """The texts of every element called `Name`, `TopicArn` or `QueueUrl` in the answer to a query-protocol `action`
    of `service` (an S3 GET / without one): what was made, read without boto3, whose import and clients cost more
    than a no-op deploy's every other step. moto trusts the service named in the credential scope, unsigned."""
    scope = f"Credential=test/20240101/us-east-1/{service}/aws4_request"
    auth = f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0"
    found: list[str] = []
    token = None
    while True:
        params = {"Action": action, "Version": _VERSIONS.get(service, ""), **({"NextToken": token} if token else {})}
        body = urllib.parse.urlencode(params).encode() if action else None
        request = urllib.request.Request(f"http://{LOOPBACK}:{port}/", data=body, headers={
            "Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                root = ET.fromstring(resp.read())
        except (OSError, ET.ParseError) as exc:
            raise ServerFailed(f"the AWS-API emulator did not answer {action or 'ListBuckets'}: {exc}",
                               where=f"{LOOPBACK}:{port}") from None
        texts = {el.tag.rsplit("}", 1)[-1]: el.text for el in root.iter()}
        found += [el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] in _LISTED]
        token = texts.get("NextToken")
        if not token:
            return found


_VERSIONS = {"sns": "2010-03-31", "sqs": "2012-11-05"}
_LISTED = ("Name", "TopicArn", "QueueUrl")


class EmulatorServer:
    name = NAME
    role = ROLE
    kinds = frozenset({Kind.TOPIC, Kind.SUBSCRIPTION, Kind.BUCKET})
    marker = EMULATOR_MARKER

    def pid_file(self, base: Path) -> Path:
        return base / NAME / "emulator.pid"

    def running(self, base: Path) -> Running | None:
        return emulator_running(base / NAME)

    def stop_signal(self, *, keep_data: bool) -> signal.Signals:
        return EMULATOR_STOP

    def start(self, launch: Launch) -> Started:
        directory = launch.base / NAME
        running = emulator_running(directory)
        if running:
            return Started(running.port, ready=None)
        owner = ownership.claim(launch.base)
        port = choose_port(launch.settings.emulator_port, launch.record.get("port"), setting="emulatorPort")
        launch.record["port"] = port
        launch.save()
        proc = start_emulator(directory, port=port, owner=owner, account=env_account(launch.base, ROLE))
        return Started(port, ready=lambda: wait_emulator(directory, proc, port))
