"""The embedded default: a local Prefect server on SQLite under ``<home>/prefect``, on loopback.

Started as a child process (``prefect server start``) unless one already answers on the
port (a second ``pathways serve-flows`` shares it). Its SQLite database suits one machine
and light concurrency; past that, run a Prefect server on PostgreSQL (its SQLite backend
stalls on "database is locked" under concurrent writes) and set ``PREFECT_API_URL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pathways.errors import PathwaysError
from pathways.orchestration.orchestrator import unreachable

STARTUP_TIMEOUT = 180.0  # seconds: a first start creates the database (half a minute on a busy machine)


@dataclass
class EmbeddedPrefect:
    """A Prefect server for this machine only, its data in `home`."""

    home: Path
    host: str = "127.0.0.1"
    port: int = 4200
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def ui_url(self) -> str:
        """Prefect's UI."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``PREFECT_API_URL`` is set to."""
        return f"{self.ui_url}/api"

    @property
    def log_path(self) -> Path:
        """The server's output."""
        return self.home / "server.log"

    def start(self, *, timeout: float = STARTUP_TIMEOUT) -> bool:
        """Start the server and wait until it answers; False when one was already running there."""
        if unreachable(self.api_url) is None:
            return False
        self.home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.home.resolve()),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_API_HOST": self.host,
            "PREFECT_SERVER_API_PORT": str(self.port),
        }
        env.pop("PREFECT_API_URL", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  fixed arguments, this interpreter
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Not in the terminal's process group: Ctrl-C stops the flows first, then stop() the server.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while (reason := unreachable(self.api_url, timeout=1.0)) is not None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise PathwaysError(
                    f"the embedded Prefect server did not start on {self.ui_url} ({reason})",
                    hint=f"see {self.log_path}; is port {self.port} taken? (--prefect-port)",
                )
            time.sleep(0.5)
        return True

    def stop(self, *, timeout: float = 20.0) -> None:
        """Stop the server if this object started it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
