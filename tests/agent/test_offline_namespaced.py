"""Plain (non-Kustomize) repositories with namespaced manifests and quoted names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kubesmith.agent.offline import OfflinePlanner
from kubesmith.model import AddResource, SetField
from kubesmith.workspace import Workspace

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: main
          image: nginx:1.25
          ports:
            - containerPort: 8080
          resources:
            requests: {{cpu: 100m}}
"""


@pytest.fixture
def ws(make_repo: Callable[..., Path]) -> Workspace:
    files = {
        f"{ns}/{name}.yaml": DEPLOY.format(name=name, ns=ns)
        for name, ns in (("api", "apps"), ("api", "apps-canary"), ("worker", "jobs"))
    }
    return Workspace.load(make_repo(files=files))


@pytest.mark.parametrize(
    ("intent", "file", "replicas"),
    [
        (
            "scale up the replicas of deployment 'api' in namespace 'apps' by 100%",
            "apps/api.yaml",
            4,
        ),
        (
            'scale down deployment "api" in the "apps-canary" namespace by 50%',
            "apps-canary/api.yaml",
            1,
        ),
        ("scale api in the `apps` namespace to 3", "apps/api.yaml", 3),
        ("scale -n apps api to 5", "apps/api.yaml", 5),
    ],
)
def test_quoted_names_and_namespaces(ws: Workspace, intent: str, file: str, replicas: int) -> None:
    cs = OfflinePlanner().plan(intent, ws)
    assert [(e.file, e.path, e.value) for e in cs.edits if isinstance(e, SetField)] == [
        (file, "spec.replicas", replicas)
    ]


def test_hpa_with_min_max_and_target_in_one_sentence(ws: Workspace) -> None:
    cs = OfflinePlanner().plan(
        "create an HPA for deployment 'api' in namespace 'apps' targeting 60% CPU utilization "
        "with min=2 and max=5 replicas",
        ws,
    )
    (add,) = cs.edits
    assert isinstance(add, AddResource)
    assert add.file == "apps/api.yaml"
    assert add.manifest["metadata"] == {"name": "api", "namespace": "apps"}
    assert add.manifest["spec"]["minReplicas"] == 2
    assert add.manifest["spec"]["maxReplicas"] == 5
    assert add.manifest["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60


def test_new_objects_keep_the_workload_namespace(ws: Workspace) -> None:
    for intent in ("expose worker on port 8080", "add a pdb for worker"):
        (add,) = OfflinePlanner().plan(intent, ws).edits
        assert isinstance(add, AddResource)
        assert add.file == "jobs/worker.yaml"
        assert add.manifest["metadata"]["namespace"] == "jobs"


def test_image_version_in_a_namespace(ws: Workspace) -> None:
    cs = OfflinePlanner().plan("update the image of api in the apps-canary namespace to 1.27", ws)
    assert [(e.file, e.path, e.value) for e in cs.edits if isinstance(e, SetField)] == [
        ("apps-canary/api.yaml", "spec.template.spec.containers[name=main].image", "nginx:1.27")
    ]
