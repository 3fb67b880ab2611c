"""Measurement and output layer of the benchmark: timing with query counts, result rows with
their baselines (the SQL floor and the peer doing the same job), targets and verdicts, the
scaling check between two sizes a factor 10 apart, the table on stdout and the JSON file."""
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import odoo.sql_db

SCALING_LIMIT = 2.0  # per-item cost may grow at most this much between two sizes 10x apart


class Skip(Exception):  # noqa: N818 - a scenario (or one operation) that cannot run here
    """Raised by a scenario when what it measures is not in the database; the driver prints
    the reason and goes on."""


def queries():
    """Queries executed by this process so far (every cursor: Odoo's own counter)."""
    return odoo.sql_db.sql_counter


def measure(func, repeat=1):
    """Run ``func`` ``repeat`` times; return (median seconds, queries of one run)."""
    samples, counts = [], []
    for _ in range(repeat):
        before = queries()
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
        counts.append(queries() - before)
    return statistics.median(samples), int(statistics.median(counts))


class Target:
    """What a row must reach: ``kind`` is 'per_item' (ms per item), 'time' (ms for the
    whole operation) or 'ratio' (to the plain-Odoo or no-audit baseline), at most ``limit``."""

    def __init__(self, kind, limit, source=""):
        self.kind, self.limit, self.source = kind, limit, source

    def text(self):
        unit = {"per_item": " ms/item", "time": " ms", "ratio": "x"}[self.kind]
        return f"<= {self.limit:g}{unit}"


class Results:
    def __init__(self, quick):
        self.quick = quick
        self.rows = []
        self.skipped = []
        self.notes = []
        self.durations = {}
        self.failures = []      # failed correctness checks: "operation (size): what"
        self.started = time.time()

    # ------------------------------------------------------------------ rows
    def add(self, operation, size, seconds, queries_=None, *, group=None, floor=None,
            floor_name="", peer=None, peer_name="", ratio=None, ratio_name="", target=None,
            note="", items=None, check=None):
        """One measured operation on ``size`` items, ``seconds`` in all.

        floor: seconds of the hand-written SQL doing the same job (same size);
        peer: seconds of the peer doing the same job (same size);
        ratio: an explicit ratio (suite / plain Odoo, audited / not audited) when the
        operation is itself a comparison; ``group`` keys the scaling check (default: the
        operation name); check: (passed, text) of a correctness check of the operation
        (nothing lost, nothing duplicated): a failed one makes the verdict FAIL, listed
        apart and turned into a non-zero exit status, unlike a missed target."""
        count = items or size  # per-item cost: per document, or per item of one batch
        per_item = seconds * 1000 / count if count else None
        row = {
            "operation": operation, "group": group or operation, "size": size, "items": count,
            "time_ms": round(seconds * 1000, 3),
            "per_item_ms": round(per_item, 4) if per_item is not None else None,
            "queries": queries_,
            "queries_per_item": round(queries_ / count, 2) if queries_ is not None and count
            else None,
            "floor_name": floor_name, "floor_ms": round(floor * 1000, 3) if floor else None,
            "x_floor": round(seconds / floor, 2) if floor else None,
            "peer_name": peer_name, "peer_ms": round(peer * 1000, 3) if peer else None,
            "x_peer": round(seconds / peer, 3) if peer else None,
            "ratio": round(ratio, 3) if ratio is not None else None, "ratio_name": ratio_name,
            "target": target.text() if target else "",
            "target_source": target.source if target else "",
            "verdict": "", "note": note,
            "check": None,
        }
        if target:
            value = {"per_item": per_item, "time": seconds * 1000, "ratio": ratio}[target.kind]
            row["verdict"] = "PASS" if value is not None and value <= target.limit else "MISS"
        if check is not None:
            passed, text = check
            row["check"] = {"passed": bool(passed), "text": text}
            if not passed:
                row["verdict"] = (row["verdict"] + " FAIL").strip()
                self.failures.append(f"{operation} ({size:,}): {text}")
        self.rows.append(row)
        self._print_row(row)
        return row

    def skip(self, scenario, reason):
        self.skipped.append({"scenario": scenario, "reason": reason})
        print(f"   SKIPPED {scenario}: {reason}", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(f"   {text}", flush=True)

    # ------------------------------------------------------------------ scaling
    def check_scaling(self):
        """Flag each group measured at two sizes a factor >= 10 apart whose per-item cost
        grew more than SCALING_LIMIT times."""
        flags = []
        groups = {}
        for row in self.rows:
            if row["per_item_ms"]:
                groups.setdefault(row["group"], []).append(row)
        for group, rows in groups.items():
            rows = sorted(rows, key=lambda r: r["size"])
            for small in rows:
                for large in rows:
                    if large["size"] < 10 * small["size"] or large is small:
                        continue
                    growth = large["per_item_ms"] / small["per_item_ms"]
                    large.setdefault("growth", {})[str(small["size"])] = round(growth, 2)
                    if growth > SCALING_LIMIT:
                        large["verdict"] = (large["verdict"] + " GROWS").strip()
                        flags.append(f"{group}: per-item cost x{growth:.1f} from "
                                     f"{small['size']:,} to {large['size']:,}")
        return flags

    # ------------------------------------------------------------------ output
    COLUMNS = (("operation", 62), ("size", 8), ("time", 10), ("per item", 10), ("queries", 8),
               ("baseline", 30), ("ratio", 14), ("target", 12), ("verdict", 7))

    @staticmethod
    def _fmt_ms(ms):
        if ms is None:
            return ""
        if ms >= 10000:
            return f"{ms / 1000:.1f} s"
        if ms >= 100:
            return f"{ms:.0f} ms"
        return f"{ms:.2f} ms"

    def _cells(self, row):
        baselines, ratios = [], []
        if row["floor_ms"]:
            baselines.append(f"SQL {self._fmt_ms(row['floor_ms'])}")
            ratios.append(f"{row['x_floor']:g}x")
        if row["peer_ms"]:
            baselines.append(f"{row['peer_name']} {self._fmt_ms(row['peer_ms'])}")
            ratios.append(f"{row['x_peer']:g}x")
        if row["ratio"] is not None:
            baselines.append(row["ratio_name"])
            ratios.append(f"{row['ratio']:g}x")
        per_item = row["per_item_ms"]
        return (row["operation"], f"{row['size']:,}", self._fmt_ms(row["time_ms"]),
                f"{per_item:.3f} ms" if per_item is not None else "",
                "" if row["queries"] is None else f"{row['queries']:,}",
                " / ".join(baselines), " / ".join(ratios), row["target"], row["verdict"])

    def _line(self, cells):
        return " ".join(str(c)[:w].ljust(w) if i == 0 else str(c).rjust(w) if i < 5
                        else str(c).ljust(w) for i, (c, (_n, w)) in
                        enumerate(zip(cells, self.COLUMNS, strict=True)))

    def _print_row(self, row):
        print("   " + self._line(self._cells(row)).rstrip(), flush=True)
        if row["note"]:
            print(f"      {row['note']}", flush=True)
        if row["check"]:
            print(f"      check {'OK' if row['check']['passed'] else 'FAILED'}: "
                  f"{row['check']['text']}", flush=True)

    def table(self):
        lines = [self._line([n for n, _w in self.COLUMNS]).rstrip(),
                 self._line(["-" * w for _n, w in self.COLUMNS]).rstrip()]
        lines += [self._line(self._cells(r)).rstrip() for r in self.rows]
        return "\n".join(lines)

    def markdown(self):
        lines = ["| " + " | ".join(name for name, _w in self.COLUMNS) + " |",
                 "|" + "---|" * len(self.COLUMNS)]
        for row in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "/") for c in map(str, self._cells(row)))
                         + " |")
        return "\n".join(lines)

    def machine(self):
        try:
            rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=False,
                                 cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        except OSError:
            rev = ""
        return {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
                "python": platform.python_version(), "platform": platform.platform(),
                "git": rev}

    def write_json(self, path, extra):
        data = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "quick": self.quick, "duration_s": round(time.time() - self.started, 1),
                "machine": self.machine(), **extra, "rows": self.rows,
                "failed_checks": self.failures,
                "scenario_seconds": self.durations, "skipped": self.skipped, "notes": self.notes}
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
        return data
