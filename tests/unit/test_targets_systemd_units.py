"""The systemd target's rendering (pure): model -> spec -> unit files, and its preflight of
ports; the generated units pass the real `systemd-analyze verify` inside a root directory."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from sealift.errors import DeployError, SystemdError
from sealift.model.load import parse_model_text
from sealift.model.params import render as render_params
from sealift.oci.descriptor import Platform
from sealift.targets.base import DesiredComponent
from sealift.targets.systemd.components import _verify
from sealift.targets.systemd.imageconfig import RootImage
from sealift.targets.systemd.launch import launch_of
from sealift.targets.systemd.paths import Places
from sealift.targets.systemd.preflight import listening_ports, port_problems
from sealift.targets.systemd.render import render
from sealift.targets.systemd.roots import prune
from sealift.targets.systemd.systemctl import Systemd
from sealift.targets.systemd.units import (
    Launch,
    Owner,
    env_file,
    owner_keys,
    proxy_units,
    quote,
    read_owner,
    service_unit,
)

MODEL = """
schema: sealift/v1
name: shop
version: 1.0.0
parameters:
  port: {type: integer, default: 8080}
volumes:
  shared: {}
components:
  web:
    image: reg.example/web:1
    ports: [{port: 80, expose: true, host_port: "${port}"}, {port: 81}]
    env: {A: "1"}
    health: {http: {path: /up, port: 80}, interval: 1s}
    resources: {cpu: 500m, memory: 256Mi}
    configs: [{path: /etc/web.conf, content: "x=1\\n", secret: true}]
    volumes: [{name: shared, path: /srv, read_only: true}]
    depends_on: [db, {component: migrate, condition: completed}]
    security: {cap_drop: [ALL], cap_add: [NET_BIND_SERVICE], no_new_privileges: true,
               read_only_root: true}
  db:
    image: reg.example/db:1
    ports: [{port: 5432}]
    volumes: [{name: data, path: /data}, {name: shared, path: /exports, subpath: out}]
    restart: on-failure
  migrate:
    kind: job
    image: reg.example/db:1
    command: [migrate, --all]
  workers:
    image: reg.example/db:1
    replicas: 2
"""

AMD64 = Platform.parse("linux/amd64")
DIGESTS = {c: "sha256:" + c[0] * 64 for c in ("web", "db", "migrate", "workers")}
PLACES = Places(Path("/var/lib/sealift"), Path("/etc/systemd/system"), "shop")


def desired(port: str = "8080") -> dict[str, DesiredComponent]:
    model = render_params(parse_model_text(MODEL), {"port": port})
    return {d.name: d for d in render(model, AMD64, DIGESTS, "127.0.0.1")}


def launch(
    argv: list[str] | None = None, root: str = "/var/lib/sealift/shop/roots/web/x"
) -> Launch:
    return Launch(root, argv or ["/bin/httpd", "-f"], {"A": "1"}, "/srv", 1000, 1001)


def unit_of(name: str, **spec: Any) -> str:
    d = desired()[name]
    owner = Owner("shop", name, 3, d.hash, str(d.spec["image"]), (80, 81), replicas=2)
    return service_unit(PLACES, owner, {**d.spec, "replicas": 2, **spec}, launch())


def test_spec_of_a_component() -> None:
    web = desired()["web"]
    assert web.spec["image"] == DIGESTS["web"]
    assert web.spec["listen"] == [80, 81]
    assert web.spec["ports"] == [
        {"port": 80, "protocol": "tcp", "host_port": 8080, "host_ip": "127.0.0.1"}
    ]
    assert web.spec["cpu_quota"] == 50 and web.spec["memory"] == 256 * 2**20
    assert web.spec["after"] == ["db", "migrate"] and web.conditions == {"migrate": "completed"}
    assert web.spec["volumes"] == [
        {"name": "shared", "path": "/srv", "shared": True, "read_only": True}
    ]
    assert desired("9090")["web"].hash != web.hash
    assert desired()["web"].hash == web.hash


def test_service_unit() -> None:
    text = unit_of("web")
    lines = text.splitlines()
    assert "RootDirectory=/var/lib/sealift/shop/roots/web/x" in lines
    assert 'ExecStart="/bin/httpd" "-f"' in lines
    assert "EnvironmentFile=/var/lib/sealift/shop/run/web.env" in lines
    assert "User=1000" in lines and "Group=1001" in lines and "WorkingDirectory=/srv" in lines
    assert "MemoryMax=268435456" in lines and "CPUQuota=50%" in lines
    assert "Restart=always" in lines and "Type=simple" in lines
    assert "After=sealift-shop-db.service sealift-shop-migrate.service" in lines
    assert "Wants=sealift-shop-db.service sealift-shop-migrate.service" in lines
    assert not any(line.startswith("Requires=") for line in lines)
    assert "BindReadOnlyPaths=/var/lib/sealift/shop/run/hosts:/etc/hosts" in lines
    assert "BindReadOnlyPaths=/var/lib/sealift/shop/run/web/0:/etc/web.conf" in lines
    assert "BindReadOnlyPaths=/var/lib/sealift/shop/volumes/shared:/srv" in lines
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in lines
    assert "NoNewPrivileges=yes" in lines and "ProtectSystem=strict" in lines
    assert "SyslogIdentifier=shop-web-%i" in lines  # two replicas: a template
    assert "WantedBy=multi-user.target" in lines
    assert "A=1" not in text  # the environment (secrets too) stays in the 0600 file


def test_units_of_a_job_a_volume_subpath_and_default_capabilities() -> None:
    job = unit_of("migrate").splitlines()
    assert "Type=oneshot" in job and "RemainAfterExit=yes" in job
    assert not any(line.startswith("Restart=") for line in job)
    assert "[Install]" not in job  # a job does not run again at boot
    db = unit_of("db").splitlines()
    assert "Restart=on-failure" in db
    assert "BindPaths=/var/lib/sealift/shop/volumes/data:/data" in db
    assert "BindPaths=/var/lib/sealift/shop/volumes/shared/out:/exports" in db
    caps = next(line for line in db if line.startswith("CapabilityBoundingSet="))
    assert "CAP_CHOWN" in caps and "CAP_SYS_ADMIN" not in caps
    assert unit_of("db", restart="no").count("[Install]") == 0


def test_exec_start_quoting() -> None:
    assert quote('a "b" $HOME 100% \\n') == '"a \\"b\\" $$HOME 100%% \\\\n"'
    assert quote("two\nlines") == '"two\\nlines"'


def test_environment_file_escapes() -> None:
    text = env_file({"A": 'say "hi" $X `y` \\', "B": ""})
    assert text == 'A="say \\"hi\\" \\$X \\`y\\` \\\\"\nB=""\n'


def test_owner_keys_round_trip() -> None:
    owner = Owner("shop", "web", 4, "abc", "sha256:1", (80, 81), replicas=3)
    text = "[Unit]\n" + "\n".join(owner_keys(owner)) + "\n"
    assert read_owner(text) == owner
    assert owner.unit_names(PLACES) == [f"sealift-shop-web@{n}.service" for n in (1, 2, 3)]
    assert read_owner("[Unit]\nDescription=not ours\n") is None


def test_proxy_units_forward_the_host_port() -> None:
    web = desired("18080")["web"]
    owner = Owner("shop", "web", 1, web.hash)
    found = proxy_units(PLACES, owner, web.spec["ports"][0], "/lib/systemd/systemd-socket-proxyd")
    assert sorted(found) == [
        "sealift-shop-web-port18080.service",
        "sealift-shop-web-port18080.socket",
    ]
    assert "ListenStream=127.0.0.1:18080" in found["sealift-shop-web-port18080.socket"]
    service = found["sealift-shop-web-port18080.service"]
    assert 'ExecStart="/lib/systemd/systemd-socket-proxyd" "127.0.0.1:80"' in service
    assert read_owner(service) == Owner("shop", "web", 1, web.hash, "", (18080,), "proxy")


def test_two_components_on_one_port_are_refused_naming_both() -> None:
    found = desired()
    clash = DesiredComponent("api", {**found["db"].spec, "listen": [81]})
    problems = port_problems([found["web"], clash], own=listening_ports())
    assert problems == ["port 81: both web (its port) and api (its port) listen on it"]


def test_a_port_used_on_the_host_is_refused() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert port in listening_ports()
        component = DesiredComponent("db", {"listen": [port], "ports": []})
        assert port_problems([component], own=[]) == [
            f"port {port} of db (its port) is already used on this host"
        ]
        assert port_problems([component], own=[port]) == []


@pytest.fixture
def busybox_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    return root


def test_generated_units_pass_systemd_analyze_verify(busybox_root: Path) -> None:
    d = desired("18080")["web"]
    owner = Owner("shop", "web", 1, d.hash, replicas=1)
    spec = {**d.spec, "replicas": 1}
    text = service_unit(
        PLACES, owner, spec, launch(["/bin/busybox", "httpd", "-f"], str(busybox_root))
    )
    _verify(Systemd(30), busybox_root, {"sealift-shop-web.service": text})
    assert not (busybox_root / "etc/systemd/system/sealift-shop-web.service").exists()
    template = service_unit(
        PLACES,
        Owner("shop", "web", 1, d.hash, replicas=2),
        d.spec,
        launch(["/bin/busybox"], str(busybox_root)),
    )
    _verify(Systemd(30), busybox_root, {"sealift-shop-web@.service": template})


def test_verify_refuses_a_command_missing_from_the_root(busybox_root: Path) -> None:
    d = desired()["db"]
    text = service_unit(
        PLACES, Owner("shop", "db", 1, d.hash), d.spec, launch(["/bin/nothere"], str(busybox_root))
    )
    with pytest.raises(
        SystemdError, match=r"systemd-analyze verify refused sealift-shop-db\.service"
    ):
        _verify(Systemd(30), busybox_root, {"sealift-shop-db.service": text})


def image(**config: Any) -> RootImage:
    base: dict[str, Any] = {
        "entrypoint": [],
        "cmd": ["httpd", "-f"],
        "env": {"PATH": "/bin", "IMG": "1"},
        "working_dir": "/",
        "user": "",
        "uid": 0,
        "gid": 0,
        "home": "/root",
        "exposed_ports": [],
        "stop_signal": "",
    }
    return RootImage(**{**base, **config})


def spec(**given: Any) -> dict[str, Any]:
    base = {"entrypoint": None, "command": None, "env": {"A": "x"}, "working_dir": None}
    return {**base, "user": None, **given}


def test_launch_follows_the_engine_rules(busybox_root: Path) -> None:
    (busybox_root / "bin" / "httpd").symlink_to("busybox")
    (busybox_root / "etc").mkdir()
    (busybox_root / "etc" / "passwd").write_text("www:x:33:34::/var/www:/bin/sh\n")
    found = launch_of("web", spec(), image(), busybox_root)
    assert found.argv == ["/bin/httpd", "-f"]  # found on PATH inside the root
    assert found.env == {"PATH": "/bin", "HOME": "/root", "IMG": "1", "A": "x"}
    assert (found.uid, found.gid, found.working_dir) == (0, 0, "/")
    entry = launch_of("web", spec(entrypoint=["/bin/busybox"]), image(), busybox_root)
    assert entry.argv == ["/bin/busybox"]  # a new entrypoint drops the image's command
    user = launch_of("web", spec(user="www", working_dir="/srv"), image(), busybox_root)
    assert (user.uid, user.gid, user.env["HOME"], user.working_dir) == (33, 34, "/var/www", "/srv")
    with pytest.raises(DeployError, match="its command 'nginx' is not on its PATH"):
        launch_of("web", spec(command=["nginx"]), image(), busybox_root)
    with pytest.raises(DeployError, match="its command /usr/bin/x is not a file in its image"):
        launch_of("web", spec(command=["/usr/bin/x"]), image(), busybox_root)


def test_prune_keeps_the_three_most_recently_used_roots(tmp_path: Path) -> None:
    places = Places(tmp_path, tmp_path / "units", "shop")
    for age, digest in enumerate(["sha256:" + c * 64 for c in "abcde"]):
        root = places.root("web", digest)
        root.mkdir(parents=True)
        os.utime(root, (1000 + age, 1000 + age))
    removed = prune(places, "web")
    assert sorted(p.name for p in removed) == ["a" * 16, "b" * 16]
    assert sorted(p.name for p in places.roots("web").iterdir()) == [c * 16 for c in "cde"]
