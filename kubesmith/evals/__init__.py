"""Evaluation suites: tasks, runners, scorers and reports (``kubesmith eval``)."""
