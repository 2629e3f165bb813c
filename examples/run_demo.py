"""`make run`: propose a change on a temporary copy of the example repository, offline.

Copies examples/manifests into a fresh git repository (or uses the one given with --repo),
runs `kubesmith propose` exactly as a user would, and lists the local review queue. The
temporary repository is kept, and the next commands are printed with the pull request id.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INTENT = "scale checkout to 3 replicas in staging and set its memory limit to 512Mi"


def make_copy() -> Path:
    repo = Path(tempfile.mkdtemp(prefix="kubesmith-demo-")) / "manifests"
    shutil.copytree(HERE / "manifests", repo)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        [
            "-c", "user.name=kubesmith demo", "-c", "user.email=demo@localhost",
            "commit", "-q", "-m", "Example manifests",
        ],
    ):  # fmt: skip
        subprocess.run(["git", *args], cwd=repo, check=True)
    return repo


def newest_open_pr(kubesmith: Path, repo: Path) -> str | None:
    """The id of the newest open pull request, so the next steps can be pasted as they are."""
    proc = subprocess.run(
        [str(kubesmith), "review", "list", "--status", "open", "--repo", str(repo), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    prs = json.loads(proc.stdout).get("pull_requests") or []
    return str(prs[0]["id"]) if prs else None


def sandbox_built() -> bool:
    """True when kube-apiserver and etcd are in the tool cache (``make tools`` builds them)."""
    from kubesmith.tools.binaries.cache import tool_path

    return tool_path("kube-apiserver") is not None and tool_path("etcd") is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, help="use this manifests repository instead")
    parser.add_argument("--intent", default=INTENT, help="the intent to propose")
    parser.add_argument(
        "--dry-run",
        choices=["auto", "sandbox", "off"],
        default="auto",
        help="server-side dry-run in a throwaway sandbox API server; auto: when it is built",
    )
    args = parser.parse_args()
    repo = args.repo.resolve() if args.repo else make_copy()
    kubesmith = Path(sys.executable).with_name("kubesmith")
    dry_run = args.dry_run
    if dry_run == "auto":
        dry_run = "sandbox" if sandbox_built() else "off"
        if dry_run == "off":
            print("(no server-side dry-run: `make tools` builds the sandbox API server)\n")
    extra = ["--dry-run", dry_run] if dry_run != "off" else []
    shown = " ".join(extra)
    print(f"$ kubesmith propose {args.intent!r} --repo {repo} {shown}\n", flush=True)
    code = subprocess.run(
        [str(kubesmith), "propose", args.intent, "--repo", str(repo), *extra], check=False
    ).returncode
    print(f"\n$ kubesmith review list --repo {repo}\n", flush=True)
    subprocess.run([str(kubesmith), "review", "list", "--repo", str(repo)], check=False)
    pr = newest_open_pr(kubesmith, repo) or "ID"
    print(
        f"\nThe repository is {repo}. Next:\n"
        f"  {kubesmith} review show {pr} --repo {repo}\n"
        f"  {kubesmith} review accept {pr} --repo {repo}\n"
        f"  {kubesmith} chat --repo {repo}"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
