"""The bot's memory under 1 GB webhook requests from strangers.

Setup: ``kubesmith bot serve`` in its own process (SQLite store, no workers) on 127.0.0.1. Then
from this process, over raw sockets: one anonymous request (no signature) declaring 1 GB, one
anonymous request streaming 1 GB without a length (chunked), and one streaming 1 GB chunked
with a forged signature. Measures the answer to each, how much of each body was accepted by the
kernel before the bot answered, and the bot process's peak resident memory (VmHWM) before and
after — the figure issue 20 asked for ("one anonymous 1 GB request must not raise memory").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1024**3
CHUNK = b"x" * (1024 * 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the bot exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b"200" in s.recv(100):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bot did not start")


def _send(port: int, headers: list[str], body_bytes: int, chunked: bool) -> tuple[int, int]:
    """Send headers, then up to ``body_bytes`` until the bot answers; (status, bytes sent)."""
    head = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "X-GitHub-Event: pull_request",
            "X-GitHub-Delivery: bench", "Content-Type: application/json", *headers]  # fmt: skip
    if chunked:
        head.append("Transfer-Encoding: chunked")
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        s.setblocking(False)
        answer = b""
        frame = (f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") if chunked else CHUNK
        pending = memoryview(b"")
        while (sent < body_bytes or pending) and b"\r\n" not in answer:
            try:
                answer += s.recv(4096)
            except BlockingIOError:
                pass
            except OSError:
                break
            if not pending:
                pending = memoryview(frame)
                sent += len(CHUNK)
            try:
                pending = pending[s.send(pending) :]
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
        s.setblocking(True)
        s.settimeout(30)
        while b"\r\n" not in answer:
            part = s.recv(4096)
            if not part:
                break
            answer += part
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="kubesmith-bench-webhook-") as name:
        port = _free_port()
        env = {**os.environ, "GITHUB_WEBHOOK_SECRET": "bench-secret"}
        env.pop("KUBESMITH_STORE_URL", None)
        cmd = [
            sys.executable, "-c", "from kubesmith.cli.main import main; main()",
            "bot", "serve", "--port", str(port), "--data-dir", str(Path(name) / "data"),
            "--workers", "0", "--log-level", "warning",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(port, proc)
            before = _hwm_mib(proc.pid)
            declared = _send(port, [f"Content-Length: {GB}"], GB, chunked=False)
            anonymous = _send(port, [], GB, chunked=True)
            forged = _send(port, ["X-Hub-Signature-256: sha256=" + "0" * 64], GB, chunked=True)
            after = _hwm_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    return {
        "declared_1gb": {"status": declared[0], "sent_mib": declared[1] // 2**20},
        "anonymous_chunked_1gb": {"status": anonymous[0], "sent_mib": anonymous[1] // 2**20},
        "forged_chunked_1gb": {"status": forged[0], "sent_mib": forged[1] // 2**20},
        "bot_peak_rss_mib_before": before,
        "bot_peak_rss_mib_after": after,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
