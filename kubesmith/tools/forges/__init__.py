"""Forges: where proposals become pull requests (LocalForge by default, GitHubForge)."""
