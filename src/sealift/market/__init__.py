"""The market: app versions published into the local OCI store, listed, shown, removed.

`__all__` names the modules an interface (the CLI, a web console) may call; each of them
names in its own `__all__` what it offers. The rest is private to the package, and
nothing is imported here (see docs/architecture.md, "The library surface").
"""

__all__ = ["catalog", "format", "origin", "publish", "push", "rendering", "siteregistry"]
