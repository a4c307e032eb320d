"""Start the model process, watch it, restart it when it dies, stop it on shutdown.

``ModelSupervisor.start()`` returns once the first child answers /health, or raises
``ModelUnavailableError`` with the reason (a model that cannot load, an illegal instruction)
instead of looping. After that, a child that dies for any reason (SIGKILL, SIGSEGV, SIGILL,
an exit) is started again on the same port with the same key, after a pause that doubles
with each quick death (1 s up to 30 s, back to 1 s once a child has lived a minute), so
the URL the API workers were given stays right. The children never outlive the supervisor's
process (``modelserver.app.die_with_parent``), and ``stop()`` ends the current one.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

import modelserver
from modelserver.app import EXIT_LOAD_FAILED, KEY_ENV
from rag.errors import ModelUnavailableError

log = logging.getLogger("modelserver")

_LIVED_LONG_S = 60.0


@dataclass(frozen=True)
class ChildExit:
    pid: int
    returncode: int

    def describe(self) -> str:
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            return f"was killed by {name}"
        return f"exited with code {self.returncode}"

    def hint(self) -> str:
        """What to do about a child that could not even start."""
        if self.returncode == -signal.SIGILL:
            return (
                " llama.cpp was built with CPU instructions this machine cannot run: rebuild "
                "llama-cpp-python portably (`make setup`) and check with `rag models --check`."
            )
        if self.returncode == EXIT_LOAD_FAILED:
            return " The model file could not be loaded (its reason is in the log above)."
        return ""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ModelSupervisor:
    def __init__(
        self,
        model_path: Path,
        *,
        name: str | None = None,
        threads: int = 2,
        context: int = 2048,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout_s: float = 300.0,
        backoff_s: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        self.model_path = model_path
        self.name = name or model_path.stem
        self.threads = threads
        self.context = context
        self.host = host
        self.port = port or free_port(host)
        self.key = secrets.token_urlsafe(24)  # other local users cannot use the model
        self.start_timeout_s = start_timeout_s
        self.backoff_s = backoff_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._restarts = 0
        self._ready = False  # the first child answered /health: deaths from now on restart
        self._first_exit: ChildExit | None = None  # the first child died before that
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def health_url(self) -> str:
        return f"http://{self.host}:{self.port}/health"

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def restarts(self) -> int:
        with self._lock:
            return self._restarts

    def client_env(self) -> dict[str, str]:
        """The settings that point an API worker (another process) at the model process."""
        return {
            "RAG_LLM_BASE_URL": self.base_url,
            "RAG_LLM_API_KEY": self.key,
            "RAG_LLM_HEALTH_URL": self.health_url,
        }

    def healthy(self) -> bool:
        """Our current child answers /health with 200 (not some other process on the port)."""
        try:
            response = httpx.get(self.health_url, timeout=2.0)
            return response.status_code == 200 and response.json().get("pid") == self.pid
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    def start(self) -> None:
        """Start the first child and wait until it has loaded the model."""
        # Every child is started by this one long-lived thread: on Linux a child's
        # parent-death signal follows the thread that started it, not the process.
        self._thread = threading.Thread(target=self._watch, name="model-supervisor", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            up = self.healthy()
            with self._lock:
                failed = self._first_exit
                if up and failed is None:
                    self._ready = True
                    break
            if failed is not None:
                self.stop()
                raise ModelUnavailableError(
                    f"The model process for {self.model_path.name} {failed.describe()} before "
                    f"it was ready.{failed.hint()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ModelUnavailableError(
                    f"The model process for {self.model_path.name} was not ready within "
                    f"{self.start_timeout_s:g} s."
                )
            time.sleep(0.1)
        log.info("Model process pid %s ready on %s", self.pid, self.base_url)

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the child (SIGTERM, then SIGKILL) and the watch; no restart after this."""
        self._stopping.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout_s)

    def __enter__(self) -> ModelSupervisor:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable, "-m", "modelserver",
            "--model", str(self.model_path), "--name", self.name,
            "--threads", str(self.threads), "--context", str(self.context),
            "--host", self.host, "--port", str(self.port),
            "--restarts", str(self._restarts), "--parent-pid", str(os.getpid()),
        ]  # fmt: skip
        # The child finds this package wherever it was imported from, whatever its cwd.
        root = str(Path(modelserver.__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, KEY_ENV: self.key, "PYTHONPATH": path}
        # stdin: a pipe only we hold (the child exits at its end); a session of its own, so a
        # Ctrl-C at the terminal reaches the service, which then stops the child itself.
        return subprocess.Popen(command, stdin=subprocess.PIPE, env=env, start_new_session=True)

    def _watch(self) -> None:
        delay = self.backoff_s[0]
        while not self._stopping.is_set():
            started = time.monotonic()
            with self._lock:
                if self._stopping.is_set():
                    return
                self._proc = proc = self._spawn()
            code = proc.wait()
            if proc.stdin is not None:
                proc.stdin.close()
            if self._stopping.is_set():
                return
            ended = ChildExit(proc.pid, code)
            if time.monotonic() - started > _LIVED_LONG_S:
                delay = self.backoff_s[0]
            with self._lock:
                if not self._ready:
                    self._first_exit = ended  # start() reports it: no restart loop
                    return
                self._restarts += 1
                restarts = self._restarts
            log.warning(
                "The model process (pid %d) %s; starting it again in %.0f s (restart %d).",
                ended.pid, ended.describe(), delay, restarts,
            )  # fmt: skip
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.backoff_s[1])
