"""CPU seconds the stack's own servers (the S3 endpoint, PostgreSQL) spend during a bench step.

On this host they share the cores with the step, so a step's wall time alone does not say
what bounds it: a writer beside a local moto may be slow because moto is slow, or because the
writer's own work takes moto's core (issue 19). The step's CPU (its process and the render
processes it reaps) comes from ``wait4``; the servers' CPU from ``/proc``, each server's
process with the children it has reaped (PostgreSQL's backends and parallel workers are the
postmaster's children). A server that is not a local process of the stack (a real S3, a remote
warehouse) is left out, and only the step's own figure is printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg2

from kuota.infra import db

TICK = os.sysconf("SC_CLK_TCK")


def server_pids(dsn: str) -> dict[str, int]:
    """The stack's S3 endpoint (``$KUOTA_STACK_DIR/s3.pid``) and the postmaster (the first line
    of ``postmaster.pid`` in the server's data directory), where they run on this host."""
    pids: dict[str, int] = {}
    stack_dir = os.environ.get("KUOTA_STACK_DIR")
    if stack_dir and (Path(stack_dir) / "s3.pid").is_file():
        pids["s3"] = int((Path(stack_dir) / "s3.pid").read_text().split()[0])
    try:
        conn = psycopg2.connect(db.libpq_dsn(dsn))
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW data_directory")  # superuser or pg_read_all_settings
                ((data_dir,),) = cur.fetchall()
        finally:
            conn.close()
        pids["postgres"] = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except (psycopg2.Error, OSError, ValueError):
        pass  # not a local server of ours, or not allowed to say where it lives
    return {name: pid for name, pid in pids.items() if cpu_seconds(pid) is not None}


def cpu_seconds(pid: int) -> float | None:
    """User and system time of the process, its threads and its reaped children."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / TICK


def sample(pids: dict[str, int]) -> dict[str, float]:
    return {name: seconds for name, pid in pids.items() if (seconds := cpu_seconds(pid)) is not None}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before if name in after}
