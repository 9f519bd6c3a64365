"""Measuring one scenario: bench/load.py in a process of its own, and the CPU every party used meanwhile.

CPU is read from /proc over the measured window (after the warm-up) and shown in cores: the servers'
processes, the PostgreSQL backends connected to the benchmark's database, the load generator, and everything
else on the machine (other people's work on a shared machine shows up there, not as a slow service).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.processes import Server, cpu_seconds, load_average, machine_busy


@dataclass
class Measured:
    scenario: str
    server: str
    load: dict[str, Any]
    cores: dict[str, float]  # service, postgres, load, others
    load_average: float
    connections: int
    reference: Measured | None = None

    @property
    def errors(self) -> int:
        return int(self.load["requests"] - self.load["ok"] + self.load["transport_errors"])

    @property
    def ratio(self) -> float | None:
        if self.reference is None or not self.reference.load["rps"]:
            return None
        return float(self.load["rps"] / self.reference.load["rps"])


@dataclass
class Timed:
    label: str
    timings_ms: list[float]
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.timings_ms) if self.timings_ms else float("nan")

    @property
    def p95(self) -> float:
        values = sorted(self.timings_ms)
        return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))] if values else float("nan")


@dataclass
class Load:
    """How hard to push: connections, seconds measured, seconds of warm-up before."""

    connections: int
    duration: float
    warmup: float


def backends(admin_url: str, database: str | None) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `database`."""
    if database is None:
        return {}
    with psycopg.connect(admin_url, autocommit=True) as admin:
        pids = [r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    return {pid: cpu_seconds([pid]) for pid in pids}


def measure(
    server: Server,
    scenario: str,
    requests: list[dict[str, Any]],
    *,
    cycle: bool,
    load: Load,
    work: Path,
    admin_url: str,
    database: str | None,
    reference: Measured | None = None,
) -> Measured:
    spec = work / "requests.json"
    spec.write_text(json.dumps({"cycle": cycle, "requests": requests}))
    argv = [sys.executable, "-m", "bench.load", str(spec), "--port", str(server.port)]
    argv += ["--connections", str(load.connections), "--duration", str(load.duration), "--warmup", str(load.warmup)]
    average = load_average()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)  # noqa: S603  (our interpreter, our module)
    assert process.stdout is not None
    process.stdout.readline()  # {"started": true}: requests built, the warm-up begins
    time.sleep(load.warmup)
    service_before, pg_before, busy_before = cpu_seconds(server.pids()), backends(admin_url, database), machine_busy()
    started = time.monotonic()
    out, _ = process.communicate(timeout=load.duration + load.warmup + 120)
    elapsed = time.monotonic() - started
    service = (cpu_seconds(server.pids()) - service_before) / elapsed
    pg_after = backends(admin_url, database)
    postgres = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items()) / elapsed
    busy = (machine_busy() - busy_before) / elapsed
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed on {scenario!r} against {server.label} (its error is above)")
    result = json.loads(out.strip().splitlines()[-1])
    generator = result["load_cpu_seconds"] / result["window_seconds"]
    cores = {"service": service, "postgres": postgres, "load": generator}
    cores["others"] = max(0.0, busy - sum(cores.values()))
    row = Measured(scenario, server.label, result, cores, average, load.connections, reference)
    error = f"  ({result['first_error'][:160]})" if result["first_error"] else ""
    print(
        f"  {scenario:<40} {server.label:<24} {result['rps']:>6.0f} req/s  p50 {result['p50_ms']:>6.1f}  "
        f"p99 {result['p99_ms']:>6.1f} ms  errors {row.errors}{error}"
    )
    return row


def time_calls(port: int, label: str, path: str, headers: dict[str, str], calls: int) -> Timed:
    """One call at a time, after two warm-up calls (connections, query plans, imports)."""
    timed = Timed(label, [])
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for i in range(calls + 2):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            took = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                timed.error = f"HTTP {response.status_code}: {response.text[:200]}"
                break
            if i >= 2:
                timed.timings_ms.append(took)
    error = f"  {timed.error}" if timed.error else ""
    print(f"  {label:<65} median {timed.median:>6.0f} ms  p95 {timed.p95:>6.0f} ms{error}")
    return timed
