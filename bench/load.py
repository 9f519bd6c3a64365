"""A closed-loop HTTP load generator, run in a process of its own (`python -m bench.load`).

No wrk here (not installed), and httpx spends more CPU per request than the service under test can afford
to be compared against: this speaks HTTP/1.1 keep-alive directly on asyncio streams (uvloop), with
`connections` connections each sending its next request as soon as the last answer is read. Requests are
prebuilt bytes from a JSON file (method, path, headers, body), taken in order across all connections:
cycled for reads, each used once for writes (a write pool that runs out ends the scenario early, and the
output says so). Latency is `time.perf_counter()` from writing the request to reading the last byte of the
answer; requests started during the warm-up are not counted. Prints one JSON object: counts, statuses,
percentiles, and the CPU seconds this process used in the measured window (to show it is not the
bottleneck: see bench/run.py's calibration against a trivial endpoint). A first line, {"started": true},
says when the requests are built and the clock starts.

    .venv/bin/python -m bench.load REQUESTS.json --port 8100 [--connections 32] [--duration 10] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import uvloop

HOST = "127.0.0.1"


def build_request(spec: dict[str, Any], port: int) -> bytes:
    """One request as bytes: `spec` has method, path, optional headers and an optional JSON body."""
    body = json.dumps(spec["body"], separators=(",", ":")).encode() if "body" in spec else b""
    lines = [f"{spec['method']} {spec['path']} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in spec.get("headers", {}).items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str | None = None
    transport_errors: int = 0
    exhausted: bool = False
    last_answer: float = 0.0


class Protocol(Exception):
    pass


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = None, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        return status, b"".join(parts), not close
    if length is None:
        raise Protocol("an answer without Content-Length or chunked encoding")
    return status, await reader.readexactly(length), not close


async def connection(
    port: int, requests: list[bytes], cycle: bool, next_index: list[int], measure_from: float, until: float,
    outcome: Outcome,
) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while True:
            started = time.perf_counter()
            if started >= until:
                return
            index = next_index[0]
            if index >= len(requests) and not cycle:
                outcome.exhausted = True
                return
            next_index[0] = index + 1
            writer.write(requests[index % len(requests)])
            try:
                status, body, keep = await read_answer(reader)
            except (asyncio.IncompleteReadError, ConnectionError, Protocol, ValueError) as exc:
                outcome.transport_errors += 1
                outcome.first_error = outcome.first_error or f"{type(exc).__name__}: {exc}"
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            finished = time.perf_counter()
            if started >= measure_from:
                outcome.latencies.append(finished - started)
                outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
                outcome.last_answer = max(outcome.last_answer, finished)
                if status >= 400 and outcome.first_error is None:
                    outcome.first_error = f"HTTP {status}: {body[:300].decode(errors='replace')}"
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, round(share * (len(sorted_values) - 1)))]


async def run(
    port: int, requests: list[bytes], cycle: bool, connections: int, duration: float, warmup: float
) -> dict[str, Any]:
    outcome = Outcome()
    start = time.perf_counter()
    measure_from, until = start + warmup, start + warmup + duration
    cpu: dict[str, float] = {}

    async def clock() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        times = os.times()
        cpu["from"] = times.user + times.system

    clock_task = asyncio.create_task(clock())
    next_index = [0]
    await asyncio.gather(
        *(connection(port, requests, cycle, next_index, measure_from, until, outcome) for _ in range(connections))
    )
    await clock_task
    times = os.times()
    window_end = min(until, outcome.last_answer) if outcome.exhausted else until
    window = max(1e-9, window_end - measure_from)
    latencies = sorted(outcome.latencies)
    ok = sum(n for status, n in outcome.statuses.items() if status < 400)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
        "transport_errors": outcome.transport_errors,
        "first_error": outcome.first_error,
        "exhausted": outcome.exhausted,
        "used": next_index[0],
        "window_seconds": window,
        "rps": ok / window,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "mean_ms": (statistics.fmean(latencies) if latencies else float("nan")) * 1000,
        "load_cpu_seconds": times.user + times.system - cpu.get("from", 0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("requests", help="JSON: {'cycle': bool, 'requests': [{method, path, headers, body}]}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    with open(args.requests, encoding="utf-8") as handle:
        spec = json.load(handle)
    requests = [build_request(r, args.port) for r in spec["requests"]]
    print(json.dumps({"started": True}), flush=True)  # the caller times the warm-up from here
    result = uvloop.run(run(args.port, requests, spec["cycle"], args.connections, args.duration, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
