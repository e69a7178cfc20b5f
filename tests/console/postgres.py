"""A throwaway PostgreSQL server on a free loopback port, for the console's tests.

Uses Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``),
started as the ``postgres`` user when the tests run as root (initdb refuses
root), with trust authentication on 127.0.0.1 only and the data in a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional

from tests.support.servers import free_port


def binaries() -> Optional[Path]:
    """The newest installed PostgreSQL's bin folder, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _run(command: List[str], as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def running_postgres(databases: List[str]) -> Iterator[str]:
    """Run a PostgreSQL server; its base URL (``postgresql://postgres@host:port``).

    Its folder is a fresh one of its own (pytest's are private to root).
    """
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    as_postgres = os.geteuid() == 0
    workdir = Path(tempfile.mkdtemp(prefix="medspa-postgres-"))
    if as_postgres:
        shutil.chown(workdir, "postgres")
    data, port = workdir / "data", free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
         as_postgres)  # fmt: skip
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    _run(
        [*pg_ctl, "-o", options, "-l", str(workdir / "log"), "-w", "start"], as_postgres
    )
    try:
        for name in databases:
            _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                  "-U", "postgres", name], as_postgres)  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        _run([*pg_ctl, "-m", "fast", "-w", "stop"], as_postgres)
        shutil.rmtree(workdir, ignore_errors=True)
