"""What the host's processes spent, read from /proc: shared by the benchmarks that run the local pipeline."""

from __future__ import annotations

import os
from pathlib import Path

_HZ = os.sysconf("SC_CLK_TCK")


def process_times() -> dict[int, tuple[float, int, str]]:
    """Every process on the host: its CPU seconds so far, its parent, its command line."""
    found: dict[int, tuple[float, int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        found[int(entry)] = ((int(fields[11]) + int(fields[12])) / _HZ, int(fields[1]), cmdline.strip())
    return found


def host_busy_seconds() -> float:
    """CPU seconds the whole host spent busy (all cores, /proc/stat), so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _HZ


def load_average() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
