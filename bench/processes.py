"""Processes the benchmark starts, and what it reads about them (and others) from /proc.

Each server runs in a session of its own, so stopping it (SIGTERM to its process group, then SIGKILL if
it lingers) reaches its worker processes and nothing else. CPU time and resident memory come from
/proc/PID/stat and /proc/PID/status (psutil is not a dependency).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU of these processes (those that have exited count as nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return total / _TICKS


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def descendants(root: int) -> list[int]:
    """The process and everything it started (uvicorn's worker processes), by parent ids in /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (the `cpu` line of /proc/stat, less idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / _TICKS  # user..steal, without guest (counted in user)


class MemoryWatch:
    """Samples the resident memory of a process tree every `every` seconds, keeping each process's peak."""

    def __init__(self, root: int, every: float = 0.25) -> None:
        self.root, self.every = root, every
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in descendants(self.root):
                rss = rss_mb(pid)
                if rss is not None:
                    self.peak[pid] = max(self.peak.get(pid, 0.0), rss)
            self._stop.wait(self.every)

    @property
    def largest(self) -> float:
        """The peak of the largest single process (the target is per API process)."""
        return max(self.peak.values(), default=0.0)


class Server:
    """A server process started the way a user would, answering on 127.0.0.1:`port` once `ready_path` is 200."""

    def __init__(self, label: str, argv: list[str], env: dict[str, str], port: int, ready_path: str, log: Path) -> None:
        self.label, self.argv, self.env, self.port, self.ready_path, self.log = label, argv, env, port, ready_path, log
        self.process: subprocess.Popen[bytes] | None = None
        self.memory: MemoryWatch | None = None

    def __enter__(self) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"{self.label} did not answer within 90 s; see {self.log}")
        self.memory = MemoryWatch(self.process.pid).__enter__()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def pids(self) -> list[int]:
        return descendants(self.pid)

    def stop(self) -> None:
        if self.memory is not None:
            self.memory.__exit__()
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group this server leads: its workers, nothing else
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
