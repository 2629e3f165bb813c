"""Server-side dry-run against a real API server (a cluster or the sandbox).

``validator`` (:class:`~kubesmith.tools.dryrun.validator.DryRunValidator`) sends each changed
resource as a server-side apply with ``dryRun=All``; ``client`` builds the read-only API client
it sends through; ``status`` turns the server's refusals into findings on source lines; ``diff``
renders the live diff; ``setup`` turns ``--dry-run server|sandbox|off`` into a ready validator.
The package imports nothing itself, so naming one module does not load the kubernetes client.
"""
