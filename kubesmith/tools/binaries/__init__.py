"""The external Go tools kubesmith runs (kubeconform, kustomize, etcd, kube-apiserver).

``specs`` pins each tool to one version; ``cache`` finds and builds them in the per-user tool
cache; ``gotools/`` (package data) holds the wrapper modules the API server and etcd are
built from.
"""
