"""The ``kubesmith`` command line; each command lives in a module of its own."""
