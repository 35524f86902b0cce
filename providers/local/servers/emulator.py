"""The local target's AWS-API emulator: moto's server, holding topics, queues and buckets in memory.

Its launcher writes `emulator.pid` (pid and port) before it imports moto.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from orchestrator.core.errors import MissingTool
from orchestrator.core.model import Kind
from providers.local.servers.process import (
    LOOPBACK,
    Launch,
    Running,
    Started,
    choose_port,
    minimal_env,
    pid_alive,
    spawn,
    wait_until,
)

NAME = "emulator"
EMULATOR_MARKER = "moto.server"
_EMULATOR_LAUNCHER = (
    "import os, sys\n"
    "pidfile, port = sys.argv[1], sys.argv[2]\n"
    "with open(pidfile + '.tmp', 'w') as fh: fh.write(f'{os.getpid()} {port}')\n"
    "os.replace(pidfile + '.tmp', pidfile)\n"
    "from moto.server import main\n"
    "main(['-H', '127.0.0.1', '-p', port])\n"
)
EMULATOR_STOP = signal.SIGKILL
"""It keeps nothing worth a clean shutdown (its state is in memory), and SIGTERM takes it ~0.4 s."""


def emulator_running(directory: Path) -> Running | None:
    """(pid, port) of the emulator of `directory`, from the pid file its launcher wrote."""
    try:
        pid, port = (int(x) for x in (directory / "emulator.pid").read_text().split())
    except (OSError, ValueError):
        return None
    return Running(pid, port) if pid_alive(pid, EMULATOR_MARKER, home=directory) else None


def start_emulator(directory: Path, *, port: int) -> subprocess.Popen[bytes]:
    if importlib.util.find_spec("moto") is None:
        raise MissingTool(
            "the AWS-API emulator needs moto: pip install 'encore-orchestrator[local]'", where="local emulator"
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    (directory / "emulator.pid").unlink(missing_ok=True)
    env = minimal_env(PYTHONUNBUFFERED="1", MOTO_PORT=str(port))
    # `-c` keeps the marker in the command line for pid_alive; the launcher runs moto's server main.
    argv = [
        sys.executable,
        "-c",
        _EMULATOR_LAUNCHER + f"# {EMULATOR_MARKER}",
        str(directory / "emulator.pid"),
        str(port),
    ]
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


class EmulatorServer:
    name = NAME
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
        port = choose_port(launch.settings.emulator_port, launch.record.get("port"), setting="emulatorPort")
        launch.record["port"] = port
        launch.save()
        proc = start_emulator(directory, port=port)
        return Started(port, ready=lambda: wait_emulator(directory, proc, port))
