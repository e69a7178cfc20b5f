"""The stock bot: Rasa's own ``rasa init`` project (DIET + TED), trained once.

It is created with ``rasa init --no-prompt`` (from the templates inside the
installed Rasa, no network) under ``var/bench/stock-<rasa version>/`` and
trained there; later runs reuse that model.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, List

from benchmarks.load.target import Target, wait_for_status
from tests.support.servers import BIN, PROJECT_DIR, _stop, free_port

BENCH_DIR = PROJECT_DIR / "var" / "bench"


def _rasa_version() -> str:
    import rasa

    return str(rasa.__version__)


def stock_project() -> Path:
    """The stock bot's folder, created and trained on first use."""
    folder = BENCH_DIR / f"stock-rasa-{_rasa_version()}"
    if any(folder.glob("models/*.tar.gz")):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"training the stock rasa init bot once into {folder} ...", flush=True)
    done = subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(folder)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if done.returncode or not any(folder.glob("models/*.tar.gz")):
        raise RuntimeError(f"rasa init trained no model in {folder}:\n{done.stdout}")
    return folder


def _env() -> dict:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}


@contextlib.contextmanager
def running_stock_bot(workdir: Path) -> Iterator[Target]:
    """The stock bot's Rasa server on a free loopback port (REST channel, API)."""
    folder = stock_project()
    model = sorted(folder.glob("models/*.tar.gz"))[-1]
    token, port = secrets.token_hex(16), free_port()
    log = workdir / "stock.log"
    processes: List[subprocess.Popen] = []
    try:
        with open(log, "w") as output:
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "rasa"),
                        "run",
                        "--model",
                        str(model),
                        "--enable-api",
                        "--auth-token",
                        token,
                        "--interface",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],  # fmt: skip
                    cwd=folder,
                    env=_env(),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        url = f"http://127.0.0.1:{port}"
        wait_for_status(url, token, processes, [log])
        yield Target("stock rasa init bot", url, token, [p.pid for p in processes])
    finally:
        _stop(processes)
