"""Adapters to the outside world: validators (schema, policy, dry-run), git, forges, tool cache."""
