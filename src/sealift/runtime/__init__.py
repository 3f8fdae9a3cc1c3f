"""The site runtime: sealift.pyz, a zipapp of sealift and every dependency (compiled ones
for x86_64 and aarch64, CPython 3.9 to 3.13) that runs on a site's own python3.

Operations layer. Reading a runtime (`info`) works everywhere, also inside one; building
one (`sealift.runtime.build`) is for the vendor and needs pip and `packaging`."""

from __future__ import annotations

from sealift.runtime.info import RuntimeInfo, current, read_runtime, version_report

__all__ = ["RuntimeInfo", "current", "read_runtime", "version_report"]
