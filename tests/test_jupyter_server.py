"""JupyterLab readiness: a local Jupyter server serves the notebooks and runs one of them."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import jupytext
import pytest
import websocket

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "server",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={ROOT / 'notebooks'}",
            "--allow-root",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.25)
    else:
        proc.kill()
        pytest.fail("jupyter server did not start")
    yield base, token
    proc.terminate()
    proc.wait(timeout=20)


def _get(base: str, token: str, path: str):
    req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test__server_requires_the_token(server):
    base, _ = server
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    assert err.value.code == 403


def test__server_lists_the_notebooks(server):
    base, token = server
    names = {c["name"] for c in _get(base, token, "/api/contents")["content"]}
    assert {
        "certification_growth.ipynb",
        "geographic_arbitrage.ipynb",
        "claims_audit.ipynb",
        "market_report.ipynb",
    } <= names
    nb = _get(base, token, "/api/contents/certification_growth.ipynb")
    assert nb["type"] == "notebook" and nb["content"]["cells"]


def test__a_notebook_runs_top_to_bottom_on_a_server_kernel(server):
    base, token = server
    body = json.dumps(
        {
            "path": "certification_growth.ipynb",
            "type": "notebook",
            "name": "",
            "kernel": {"name": "python3"},
        }
    ).encode()
    req = urllib.request.Request(
        f"{base}/api/sessions",
        data=body,
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    sess = json.loads(urllib.request.urlopen(req, timeout=30).read())  # as JupyterLab does
    kernel = sess["kernel"]
    ws = websocket.create_connection(
        f"{base.replace('http', 'ws')}/api/kernels/{kernel['id']}/channels?token={token}",
        timeout=120,
    )
    session = uuid.uuid4().hex
    cells = [
        c.source
        for c in jupytext.read(ROOT / "notebooks" / "certification_growth.py").cells
        if c.cell_type == "code"
    ]
    # the kernel really computed the section (nothing read from an earlier run's files)
    cells.append("assert len(section.fit.period) == 1 and len(section.provenance['sha256']) == 64")
    try:
        for code in cells:
            msg_id = uuid.uuid4().hex
            ws.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "username": "test",
                            "session": session,
                            "msg_type": "execute_request",
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "channel": "shell",
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                        },
                    }
                )
            )
            while True:
                reply = json.loads(ws.recv())
                if (
                    reply.get("msg_type") == "execute_reply"
                    and reply["parent_header"].get("msg_id") == msg_id
                ):
                    assert reply["content"]["status"] == "ok", reply["content"]
                    break
    finally:
        ws.close()
        dreq = urllib.request.Request(
            f"{base}/api/sessions/{sess['id']}",
            method="DELETE",
            headers={"Authorization": f"token {token}"},
        )
        urllib.request.urlopen(dreq, timeout=10)
