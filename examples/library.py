"""Using kubesmith as a library: load a workspace, plan a change, propose it, review it.

Run it on any manifests repository (a git working tree); it works on a temporary copy of the
bundled example when no path is given:  python examples/library.py [REPO]
"""

from __future__ import annotations

import sys
from pathlib import Path

import kubesmith
from kubesmith import OfflinePlanner, Workspace


def main(repo: Path) -> None:
    # 1. The workspace: every manifest, indexed by kind, name, namespace and labels.
    ws = Workspace.load(repo)
    deployments = ws.find(kind="Deployment")
    print(f"{len(ws.resources)} resources, {len(deployments)} deployments")

    # 2. Planning alone never writes anything: it returns typed edits you can inspect.
    changeset = OfflinePlanner().plan("scale checkout to 3 replicas", ws)
    for edit in changeset.edits:
        print("planned:", kubesmith.to_json(edit))

    # 3. propose() runs the whole loop: plan, apply, validate, commit to a new branch and open a
    #    pull request in the local review queue. The checkout itself is left untouched.
    proposal = kubesmith.propose("set the memory limit of cart to 256Mi", repo=repo)
    print(proposal.diff)
    print("branch:", proposal.branch, "pull request:", proposal.pr.id if proposal.pr else None)

    # 4. Review it as a person would, then look at the outcome.
    agent = kubesmith.open_agent(repo)
    if proposal.pr is not None and isinstance(agent.forge, kubesmith.LocalForge):
        agent.forge.accept(proposal.pr.id)
        print("accepted and merged into", proposal.base)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        from run_demo import make_copy

        main(make_copy())
