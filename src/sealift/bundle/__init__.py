"""Operations on bundles: export app versions into one file, import one, inspect it, sign
it, and the site's inventory that a differential export leaves out.

`__all__` names the modules an interface (the CLI, a web console) may call; each of them
names in its own `__all__` what it offers. The rest is private to the package, and
nothing is imported here (see docs/architecture.md, "The library surface").
"""

__all__ = ["export", "importer", "inspect", "inventory", "packages", "parts", "signing"]
