"""A throwaway Kubernetes API server on loopback (etcd + kube-apiserver) for dry-runs.

``server`` (:class:`~kubesmith.tools.sandbox.server.Sandbox`) starts, finds and stops it;
``processes`` watches its processes, ``pki`` makes its certificates, ``rest`` is the small
standard-library HTTPS client it uses for its own bookkeeping.
"""
