"""Where an installation lives on a systemd host. Everything sealift writes for one
installation is under `<base>/<installation>/` (default /var/lib/sealift), its units in the
unit directory (default /etc/systemd/system):

    <installation>/roots/<component>/<digest>/   the image, flattened (one per image version)
    <installation>/run/hosts               the names of the components -> 127.0.0.1
    <installation>/run/<component>.env     the environment (mode 0600: may hold secrets)
    <installation>/run/<component>/<n>     config file n, bind-mounted read-only
    <installation>/volumes/<volume>/       a volume, bind-mounted (kept by uninstall)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNIT_PREFIX = "sealift-"


@dataclass(frozen=True)
class Places:
    base: Path
    unit_dir: Path
    instance: str

    @property
    def home(self) -> Path:
        return self.base / self.instance

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def hosts(self) -> Path:
        return self.run / "hosts"

    @property
    def volumes(self) -> Path:
        return self.home / "volumes"

    def volume(self, name: str) -> Path:
        return self.volumes / name

    def roots(self, component: str) -> Path:
        return self.home / "roots" / component

    def root(self, component: str, image: str) -> Path:
        """The root directory of `component` for its image manifest digest `image`."""
        return self.roots(component) / image.split(":")[-1][:16]

    def env_file(self, component: str) -> Path:
        return self.run / f"{component}.env"

    def configs(self, component: str) -> Path:
        return self.run / component

    def unit_name(self, component: str, replicas: int = 1) -> str:
        """`sealift-<installation>-<component>.service`; a template (`...@.service`, run
        as `@1`, `@2`...) for several replicas."""
        at = "@" if replicas > 1 else ""
        return f"{UNIT_PREFIX}{self.instance}-{component}{at}.service"

    def proxy_name(self, component: str, host_port: int) -> str:
        """The socket unit (and its service) forwarding `host_port` to the component."""
        return f"{UNIT_PREFIX}{self.instance}-{component}-port{host_port}"

    def template_of(self, unit: str) -> str:
        """The unit file a unit is loaded from (`x@2.service` -> `x@.service`)."""
        if "@" not in unit:
            return unit
        return unit[: unit.index("@") + 1] + unit[unit.rindex(".") :]

    def unit_path(self, name: str) -> Path:
        return self.unit_dir / name
