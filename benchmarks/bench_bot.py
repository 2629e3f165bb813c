"""The GitHub bot under a burst: 200 signed deliveries from a second process.

Setup, all on 127.0.0.1: ``kubesmith bot serve`` in its own process (SQLite store, 2 workers);
a bare git repository on disk with 20 pull request branches standing in for the clone URL; a
minimal stateful GitHub API responder in this process (comments, statuses); and a sender process
that fires 200 signed ``pull_request.synchronize`` deliveries (10 per pull request) from 32
threads at once, then 30 more one at a time while the workers are still busy with the burst.

Measures: acknowledgement latency (p50/p95/max, as the sender saw it; in the burst it is mostly
time spent waiting behind the other 31 requests on a 2-core machine), that every delivery was
acknowledged (202), that every one became exactly one job and ran (none lost, none duplicated),
that each pull request has ONE kubesmith comment, jobs per second through the workers, and a
replay burst of 20 already-seen delivery ids (all acknowledged as duplicates, none run).
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

SECRET = "bench-webhook-secret"
PRS = 20
PER_PR = 10
SINGLE = 30
GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels:
    app: checkout
spec:
  replicas: 2
  selector:
    matchLabels:
      app: checkout
  template:
    metadata:
      labels:
        app: checkout
    spec:
      containers:
        - name: checkout
          image: ghcr.io/acme/checkout:1.4.2
"""

SENDER = r"""
import json, sys, time, uuid
from concurrent.futures import ThreadPoolExecutor
import httpx
from kubesmith.bot.signature import sign

url, secret, path, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
deliveries = json.loads(open(path).read())
client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=width))

def send(item):
    raw = json.dumps(item["payload"]).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "pull_request",
               "X-GitHub-Delivery": item["id"], "X-Hub-Signature-256": sign(secret, raw)}
    started = time.perf_counter()
    r = client.post(url, content=raw, headers=headers)
    return r.status_code, (time.perf_counter() - started) * 1000

with ThreadPoolExecutor(width) as pool:
    results = list(pool.map(send, deliveries))
print(json.dumps({"codes": [c for c, _ in results], "ms": [m for _, m in results]}))
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeGitHub(BaseHTTPRequestHandler):
    """Comments and statuses, kept per pull request (just enough for the bot's validation)."""

    comments: ClassVar[dict[int, list[dict[str, Any]]]] = {}
    statuses: ClassVar[list[str]] = []
    lock = threading.Lock()
    next_id: ClassVar[list[int]] = [1000]

    def log_message(self, *_args: Any) -> None:
        return None

    def _reply(self, code: int, data: Any) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> Any:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else None

    def do_GET(self) -> None:
        m = re.search(r"/issues/(\d+)/comments$", self.path.split("?")[0])
        with self.lock:
            data = list(self.comments.get(int(m.group(1)), [])) if m else []
        self._reply(200, data)

    def do_POST(self) -> None:
        body = self._body()
        path = self.path.split("?")[0]
        with self.lock:
            if "/statuses/" in path:
                self.statuses.append(body["state"])
                self._reply(201, {"id": len(self.statuses), **body})
                return
            m = re.search(r"/issues/(\d+)/comments$", path)
            assert m is not None, path
            self.next_id[0] += 1
            comment = {"id": self.next_id[0], "body": body["body"], "user": {"login": "bot"}}
            self.comments.setdefault(int(m.group(1)), []).append(comment)
        self._reply(201, comment)

    def do_PATCH(self) -> None:
        body = self._body()
        comment_id = int(self.path.rsplit("/", 1)[-1])
        with self.lock:
            for items in self.comments.values():
                for c in items:
                    if c["id"] == comment_id:
                        c["body"] = body["body"]
                        self._reply(200, c)
                        return
        self._reply(404, {"message": "Not Found"})


def _repository(tmp: Path) -> tuple[Path, list[tuple[str, str]], str]:
    """A bare remote with ``main`` and PRS branches; (bare, [(branch, head sha)], base sha)."""
    work, bare = tmp / "work", tmp / "remote.git"
    (work / "deploy").mkdir(parents=True)
    (work / "deploy" / "checkout.yaml").write_text(GOOD)
    (work / ".kubesmith.yaml").write_text("policy:\n  packs: [pss-baseline]\n")
    _git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    _git(work, "init", "-q", "-b", "main")
    for k, v in (("user.email", "b@example.com"), ("user.name", "Bench")):
        _git(work, "config", k, v)
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "base")
    _git(work, "remote", "add", "origin", str(bare))
    base = _git(work, "rev-parse", "HEAD")
    heads = []
    for i in range(PRS):
        branch = f"pr-{i}"
        _git(work, "checkout", "-q", "-b", branch, "main")
        value = "three" if i % 2 else str(i + 3)  # half of them break the manifest
        text = GOOD.replace("replicas: 2", f"replicas: {value}")
        (work / "deploy" / "checkout.yaml").write_text(text)
        _git(work, "commit", "-q", "-am", f"pr {i}")
        heads.append((branch, _git(work, "rev-parse", "HEAD")))
    _git(work, "push", "-q", "origin", "--all")
    return bare, heads, base


def _payload(n: int, branch: str, head: str, base: str, clone_url: str) -> dict[str, Any]:
    repo = {
        "full_name": "acme/manifests",
        "name": "manifests",
        "clone_url": clone_url,
        "html_url": "https://ghe.example.com/acme/manifests",
        "default_branch": "main",
    }
    user = {"login": "dana", "type": "User"}
    return {
        "action": "synchronize",
        "number": n,
        "pull_request": {
            "number": n,
            "state": "open",
            "title": f"PR {n}",
            "body": "",
            "html_url": f"https://ghe.example.com/acme/manifests/pull/{n}",
            "user": user,
            "head": {"ref": branch, "sha": head, "repo": repo},
            "base": {"ref": "main", "sha": base, "repo": repo},
        },
        "repository": repo,
        "installation": {"id": 1},
        "sender": user,
    }


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the bot exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the bot did not become ready")


def _send(
    url: str, deliveries: list[dict[str, Any]], tmp: Path, name: str, width: int = 32
) -> dict[str, Any]:
    """Send ``deliveries`` from a second process, ``width`` at a time; codes and latencies."""
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(deliveries))
    out = subprocess.run(
        [sys.executable, "-c", SENDER, f"{url}/webhook", SECRET, str(path), str(width)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def run() -> dict[str, object]:
    from kubesmith.bot.queue import JobQueue

    with tempfile.TemporaryDirectory(prefix="kubesmith-bench-bot-") as name:
        tmp = Path(name)
        bare, heads, base = _repository(tmp)
        FakeGitHub.comments.clear()
        FakeGitHub.statuses.clear()
        gh_port, bot_port = _free_port(), _free_port()
        github = ThreadingHTTPServer(("127.0.0.1", gh_port), FakeGitHub)
        threading.Thread(target=github.serve_forever, daemon=True).start()
        env = {
            **os.environ,
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "GITHUB_TOKEN": "bench-token",
            "GITHUB_API_URL": f"http://127.0.0.1:{gh_port}/api/v3",
            "KUBESMITH_ALLOW_FILE_REMOTES": "1",
        }
        env.pop("KUBESMITH_STORE_URL", None)
        data = tmp / "data"
        cmd = [
            sys.executable, "-c", "from kubesmith.cli.main import main; main()",
            "bot", "serve", "--port", str(bot_port), "--data-dir", str(data), "--workers", "2",
            "--log-level", "warning",
        ]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{bot_port}"
        try:
            _wait_ready(url, proc)
            deliveries = [
                {
                    "id": f"bench-{pr}-{k}",
                    "payload": _payload(pr + 1, heads[pr][0], heads[pr][1], base, bare.as_uri()),
                }
                for k in range(PER_PR)
                for pr in range(PRS)
            ]
            started = time.perf_counter()
            burst = _send(url, deliveries, tmp, "burst")
            # Then one delivery at a time while the workers are busy with the burst: what a
            # GitHub delivery sees in ordinary traffic.
            single = [{**d, "id": f"single-{i}"} for i, d in enumerate(deliveries[:SINGLE])]
            one_by_one = _send(url, single, tmp, "single", width=1)
            deliveries += single
            queue = JobQueue.open(f"sqlite:///{data / 'kubesmith.db'}")
            try:
                deadline = time.monotonic() + 1800
                while time.monotonic() < deadline:
                    counts = queue.counts()
                    if counts["done"] + counts["failed"] >= len(deliveries):
                        break
                    time.sleep(0.2)
                elapsed = time.perf_counter() - started
                replay = _send(url, deliveries[:20], tmp, "replay")
                time.sleep(1.0)
                jobs = queue.jobs()
                counts = queue.counts()
            finally:
                queue.close()
        finally:
            proc.terminate()
            proc.wait(30)
            github.shutdown()
        ms, one_ms = burst["ms"], one_by_one["ms"]
        per_delivery = {j["delivery_id"] for j in jobs}
        comments_per_pr = [len(v) for v in FakeGitHub.comments.values()]
        return {
            "burst_deliveries": len(burst["codes"]),
            "burst_acknowledged_202": burst["codes"].count(202),
            "burst_ack_p50_ms": _percentile(ms, 0.50),
            "burst_ack_p95_ms": _percentile(ms, 0.95),
            "burst_ack_max_ms": round(max(ms), 1),
            "burst_ack_mean_ms": round(statistics.mean(ms), 1),
            "single_deliveries": len(one_ms),
            "single_acknowledged_202": one_by_one["codes"].count(202),
            "single_ack_p50_ms": _percentile(one_ms, 0.50),
            "single_ack_p95_ms": _percentile(one_ms, 0.95),
            "deliveries": len(deliveries),
            "jobs": len(jobs),
            "jobs_done": counts["done"],
            "jobs_failed": counts["failed"],
            "lost": len(deliveries) - len(per_delivery),
            "duplicated": len(jobs) - len(per_delivery),
            "verdict_statuses": sum(s != "pending" for s in FakeGitHub.statuses),
            "comments_per_pr_max": max(comments_per_pr, default=0),
            "prs_with_comment": len(comments_per_pr),
            "jobs_per_s": round(counts["done"] / elapsed, 2),
            "burst_to_last_job_s": round(elapsed, 1),
            "replays_acknowledged_200": replay["codes"].count(200),
            "workers": 2,
        }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
