"""``shequ edge`` as a program: runs without Django, answers its reader socket, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from shequ.gateway.broker import free_port

REPO = Path(__file__).resolve().parents[3]


def test_it_needs_no_django():
    code = (
        "import sys\n"
        "import shequ.edge.main, shequ.edge.client, shequ.edge.store, shequ.edge.face.pool, shequ.edge.face.calibrate\n"
        "from shequ.cli import main\n"
        "status = main(['edge', '--device-id', 'gate-1', '--secret-file', '/nonexistent/secret', '--no-faces'])\n"
        "sys.exit(10 + status if any(m == 'django' or m.startswith('django.') for m in sys.modules) else status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr  # refused for the missing secret file, Django never loaded
    assert "密钥文件" in result.stderr


def _ask(path: Path, line: str) -> dict:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def test_it_answers_readers_on_its_socket_and_stops_cleanly(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("program-test-secret\n")
    sock = tmp_path / "edge.sock"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "shequ", "edge", "--device-id", "prog-gate", "--secret-file", str(secret),
         "--db", str(tmp_path / "edge.sqlite3"), "--broker-port", str(free_port()), "--no-faces",
         "--input", f"unix:{sock}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the reader socket never appeared"
            time.sleep(0.05)
        assert _ask(sock, "card 04A1B2C3") == {"ok": True, "allow": False, "credential_kind": "card",
                                                "person_id": None, "reason": "no_key"}
        assert _ask(sock, "door open") == {"ok": True}
        assert _ask(sock, "status")["outbox"] == 2
        assert _ask(sock, "teleport now")["ok"] is False
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
