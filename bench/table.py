"""The benchmark's output: one table of every measurement, then issue 8's targets, each met or not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.measure import Measured, Timed

API_1 = "API, 1 worker"


@dataclass
class Results:
    notifications: int
    connections: int
    duration: float
    warmup: float
    machine: str = ""
    template: str = ""
    rows: list[Measured] = field(default_factory=list)
    reports: list[tuple[Timed, int]] = field(default_factory=list)  # with the target in ms
    sweeps: list[tuple[str, float, float, int, int]] = field(default_factory=list)
    imported: tuple[int, int, float, int | str, float] | None = None  # rows, stored, seconds, exit, peak MB
    peaks: dict[str, float] = field(default_factory=dict)  # largest process of each server, MB
    sqlite_notifications: int = 0
    elapsed: float = 0.0
    load_average_end: float = 0.0
    work: str = ""

    def find(self, scenario: str, server: str) -> Measured | None:
        return next((r for r in self.rows if r.scenario == scenario and r.server == server), None)


def print_table(results: Results) -> None:
    print("\n" + "=" * 158)
    print(f"LeDeR benchmark, {results.notifications:,} notifications on PostgreSQL "
          f"({results.sqlite_notifications:,} on SQLite); {results.machine}")  # fmt: skip
    print(f"{results.connections} connections unless stated, {results.duration:g} s measured after "
          f"{results.warmup:g} s of warm-up; load average at the end {results.load_average_end:.2f}; "
          f"template database {results.template}")  # fmt: skip
    head = (
        f"{'scenario':<42} {'server':<24} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'vs ref':>6} | {'CPU cores: service':>18} {'pg':>5} {'load':>5} {'others':>6} | {'loadavg':>7}"
    )
    print(head)
    print("-" * len(head))
    previous = None
    for row in results.rows:
        if previous is not None and row.scenario != previous:
            print()
        previous = row.scenario
        load, cores = row.load, row.cores
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        name = row.scenario + (" [pool ran out]" if load["exhausted"] else "")
        print(
            f"{name:<42} {row.server:<24} {load['rps']:>6.0f} {load['p50_ms']:>7.1f} {load['p95_ms']:>7.1f} "
            f"{load['p99_ms']:>7.1f} {row.errors:>6} {ratio:>6} | {cores['service']:>18.2f} "
            f"{cores['postgres']:>5.2f} {cores['load']:>5.2f} {cores['others']:>6.2f} | {row.load_average:>7.2f}"
        )
    print("\nvs ref: our requests/s over the raw-SQL reference's for the same requests, run just before on the same "
          "number of worker processes (reviewer reads: over the coordinator's, the same statements; SQLite rows: over "
          "the PostgreSQL reference).")  # fmt: skip
    print("CPU cores: averages over the measured window; pg = the PostgreSQL backends of the benchmark database; "
          "others = the rest of the machine (other people's work).\n")  # fmt: skip
    for timed, _ in results.reports:
        worst = max(timed.timings_ms, default=float("nan"))
        error = f" {timed.error}" if timed.error else ""
        print(
            f"{timed.label:<42} {API_1:<24} one call at a time: median {timed.median:.0f} ms, "
            f"p95 {timed.p95:.0f} ms, max {worst:.0f} ms ({len(timed.timings_ms)} calls){error}"
        )
    for label, took, longest, chunks, changed in results.sweeps:
        print(f"{label:<42} {'in process (worker code)':<24} {took:.2f} s over {chunks} chunks, longest chunk "
              f"{longest * 1000:.0f} ms, {changed:,} reviews changed state")  # fmt: skip
    if results.imported is not None:
        rows, stored, took, code, rss = results.imported
        print(f"{f'import of {rows:,} notifications (JSONL)':<42} {'leder import':<24} {took:.1f} s, {stored:,} stored "
              f"({stored / took:.0f} rows/s), exit {code}, peak RSS {rss:.0f} MB")  # fmt: skip
    peaks = ", ".join(f"{label} {mb:.0f} MB" for label, mb in results.peaks.items())
    print(f"\npeak RSS of the largest process of each server: {peaks}")
    print(f"whole run: {results.elapsed / 60:.1f} min; server and import logs in {results.work}")
    print_targets(results)


def print_targets(results: Results) -> None:
    verdicts: list[tuple[bool, str, str]] = []
    loaded = [r for r in results.rows if r.server == API_1 and r.connections == results.connections]
    for r in loaded:
        if r.ratio is not None:
            verdicts.append((r.ratio >= 0.5, f"{r.scenario}: at least 0.5 of the reference's req/s", f"{r.ratio:.2f}"))
    for r in loaded:
        p99 = r.load["p99_ms"]
        verdicts.append(
            (p99 < 50, f"{r.scenario}: p99 < 50 ms at {r.connections} connections, 1 worker", f"{p99:.0f} ms")
        )
    for r in results.rows:
        if r.server == API_1 and r.connections == 1:
            p95 = r.load["p95_ms"]
            verdicts.append((p95 < 20, f"{r.scenario}: p95 < 20 ms", f"{p95:.1f} ms"))
    for timed, limit in results.reports:
        verdicts.append(
            (timed.p95 < limit and not timed.error, f"{timed.label}: p95 < {limit} ms", f"{timed.p95:.0f} ms")
        )
    for label, took, longest, _, _ in results.sweeps[:1]:
        verdicts.append((took < 5, f"{label}: < 5 s", f"{took:.1f} s"))
        verdicts.append(
            (longest <= 1.2, "SLA sweep: no chunk (row locks held) over about 1 s", f"{longest * 1000:.0f} ms")
        )
    if results.imported is not None:
        rows, stored, took, _, rss = results.imported
        verdicts.append((took < 60 and stored == rows, f"import of {rows:,} notifications: < 60 s, all stored",
                         f"{took:.0f} s, {stored:,} stored, peak RSS {rss:.0f} MB"))  # fmt: skip
    for label, peak in results.peaks.items():
        if label.startswith("API"):
            verdicts.append((peak < 300, f"{label}: every process < 300 MB RSS through the run", f"{peak:.0f} MB"))
    for r in results.rows:
        if not r.server.startswith("API on SQLite"):
            continue
        if r.scenario.startswith("create"):
            verdicts.append(
                (r.errors == 0, f"SQLite: zero errors with {r.connections} concurrent writers", f"{r.errors}")
            )
        elif (pg := results.find(r.scenario, API_1)) is not None:
            ok = r.load["rps"] >= 0.5 * pg.load["rps"] and r.load["p95_ms"] <= 2 * pg.load["p95_ms"]
            figure = _versus(r.load, pg.load)
            verdicts.append((ok, f"SQLite {r.scenario}: within 2x of PostgreSQL (req/s, p95)", figure))
    verdicts.append((results.elapsed < 900, "the whole run under 15 minutes", f"{results.elapsed / 60:.1f} min"))
    print("\ntargets (issue 8)")
    for met, label, figure in verdicts:
        print(f"  {'met    ' if met else 'NOT MET'}  {label:<84} {figure}")
    if results.notifications != 1_000_000:
        print(f"  (targets stated for 1,000,000 notifications were measured at {results.notifications:,})")


def _versus(sqlite: dict[str, Any], postgres: dict[str, Any]) -> str:
    return (f"{sqlite['rps']:.0f} vs {postgres['rps']:.0f} req/s, "
            f"p95 {sqlite['p95_ms']:.0f} vs {postgres['p95_ms']:.0f} ms")  # fmt: skip
