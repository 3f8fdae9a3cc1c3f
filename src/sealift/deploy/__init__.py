"""Installations: install, upgrade, rollback and uninstall an app version on a target,
with their revisions recorded in state.db, and the queries (status, history, logs).

`__all__` names the modules an interface (the CLI, a web console) may call; each of them
names in its own `__all__` what it offers. The rest is private to the package, and
nothing is imported here (see docs/architecture.md, "The library surface").
"""

__all__ = ["context", "lock", "operations", "plan", "queries", "removal", "values"]
