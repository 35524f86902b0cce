"""A real moto server process for the AWS side-channel tests (`python -m moto.server`).

`server()` starts one on a free port and yields a `Moto` handle: boto3 clients bound to it,
the canned-results API of its rds-data emulation and its request recorder (which proves what
actually went over the wire).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class Moto:
    endpoint: str

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint, **CREDENTIALS)

    def _post(self, path: str, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        req = urllib.request.Request(self.endpoint + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status in (200, 201), resp.status

    def queue_rds_data_results(self, *results: dict[str, Any]) -> None:
        """Canned ExecuteStatement results; moto hands them out last-first, one per distinct SQL text."""
        self._post("/moto-api/static/rds-data/statement-results", {"region": REGION, "results": list(results)})

    def start_recording(self) -> None:
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")

    def recorded(self, path_suffix: str) -> list[dict[str, Any]]:
        """JSON bodies of recorded requests whose URL ends with `path_suffix`."""
        with urllib.request.urlopen(self.endpoint + "/moto-api/recorder/download-recording", timeout=10) as resp:
            lines = resp.read().decode().splitlines()
        out = []
        for line in lines:
            entry = json.loads(line)
            if not entry["url"].endswith(path_suffix):
                continue
            body = entry.get("body") or ""
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode()
            out.append(json.loads(body) if body else {})
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server(workdir: Path) -> Iterator[Moto]:
    """A moto server running in `workdir` (where its request recording is written)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=workdir, env={**os.environ, "MOTO_RECORDER_FILEPATH": str(workdir / "recording.jsonl")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on port {port}") from None
                time.sleep(0.2)
        yield Moto(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
