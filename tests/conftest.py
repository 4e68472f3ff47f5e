"""Shared fixtures: the repository root, the snakemake executable, local HTTP servers."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def snakemake_exe() -> str:
    candidate = BIN / "snakemake"
    return str(candidate) if candidate.exists() else shutil.which("snakemake")


def run_snakemake(
    workdir: Path, *args: str, configfile: Path | None = None, timeout=1200, env=None
):
    """Run the real workflow with the repository's Snakefile in ``workdir``."""
    cmd = [snakemake_exe(), "-s", str(REPO / "Snakefile"), "-d", str(workdir)]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    cmd += list(args)
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path/'www'`` on 127.0.0.1 at a free port; yield (base_url, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loaded_packages(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    """Which of ``packages`` a fresh interpreter has loaded after importing ``modules``.

    Fresh, so what pytest or another test imported earlier does not count.
    """
    code = (
        f"import json, sys, {', '.join(modules)};"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(packages)!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "scripts"), "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
