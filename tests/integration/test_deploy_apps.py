"""What real apps need, on the real engine: shared volumes (subpath, read-only), jobs that run
to completion and gate what depends on them, security settings, secret configs."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from sealift.yamltext import dump_yaml
from tests.conftest import run_sealift
from tests.imagebuild import build_image
from tests.integration.test_deploy_support import cleanup, exec_in, history

IMAGE = "sl-apps-base:1"
USER_IMAGE = "sl-apps-user:1"  # the same with USER 1000:1000
SECRET = "s3cr3t-Token-Value"
os.environ.setdefault("SEALIFT_SETTLE", "0.5")


def app(version: str, *, mark: str = "one", job_exit: int = 0, msg: str = "v1") -> dict[str, Any]:
    migrate = (
        f"mkdir -p /data/config && echo {msg} > /data/config/app.conf && "
        f"echo migrated $MARK >> /data/log && echo migration says bye && exit {job_exit}"
    )
    return {
        "schema": "sealift/v1",
        "name": "slapps",
        "version": version,
        "parameters": {"token": {"secret": True, "default": SECRET}},
        "volumes": {"data": {"size": "1Gi"}},
        "components": {
            "migrate": {
                "kind": "job",
                "image": IMAGE,
                "command": ["sh", "-c", migrate],
                "env": {"MARK": mark},
                "volumes": [{"name": "data", "path": "/data"}],
            },
            "worker": {  # configs copied into the container (its root is writable)
                "image": IMAGE,
                "user": "1000",
                "command": ["sleep", "3600"],
                "configs": [
                    {
                        "path": "/run/secrets/token",
                        "content": "${token}",
                        "secret": True,
                        "uid": 1000,
                        "gid": 1000,
                    },
                ],
            },
            "web": {
                "image": IMAGE,
                "user": "1000:1000",
                "command": ["sh", "-c", "exec httpd -f -p 8080 -h /srv"],
                "env": {"MSG": msg},
                "depends_on": [{"component": "migrate", "condition": "completed"}],
                "volumes": [
                    {"name": "data", "path": "/srv"},
                    {"name": "data", "path": "/etc/app", "subpath": "config", "read_only": True},
                    {"name": "data", "path": "/uploads", "subpath": "files/uploads"},
                    {"name": "cache", "path": "/cache"},
                ],
                "configs": [
                    {
                        "path": "/run/secrets/token",
                        "content": "${token}",
                        "secret": True,
                        "uid": 1000,
                        "gid": 1000,
                    },
                    {"path": "/etc/web.conf", "content": "x=1\n", "mode": "0440", "gid": 1000},
                ],
                "security": {
                    "read_only_root": True,
                    "cap_drop": ["ALL"],
                    "cap_add": ["CAP_NET_BIND_SERVICE"],
                    "no_new_privileges": True,
                    "run_as_non_root": True,
                },
                "health": {
                    "http": {"path": "/log", "port": 8080, "headers": {"Host": "example.org"}},
                    "interval": "200ms",
                },
            },
        },
    }


VERSIONS = {
    "1.0.0": app("1.0.0"),
    "1.1.0": app("1.1.0", msg="v1", mark="one") | {"description": "same job"},
    "1.2.0": app("1.2.0", mark="two"),
    "1.3.0": app("1.3.0", mark="three", job_exit=3),
}


@pytest.fixture(scope="module")
def apps_home(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    build_image(docker_client, IMAGE, files={"/etc/sl-apps": "sealift app tests"})
    build_image(docker_client, USER_IMAGE, extra_dockerfile="USER 1000:1000")
    home = tmp_path_factory.mktemp("apps")
    for version, model in VERSIONS.items():
        path = home / f"slapps-{version}.yaml"
        path.write_text(dump_yaml(model))
        run_sealift(home, "publish", str(path))
    yield home
    for tag in (IMAGE, USER_IMAGE):
        with contextlib.suppress(docker.errors.NotFound):
            docker_client.images.remove(tag, force=True)


@pytest.fixture
def instance(docker_client: docker.DockerClient, request: pytest.FixtureRequest) -> Iterator[str]:
    name = "slapps-" + request.node.name.removeprefix("test_").replace("_", "-")[:16].strip("-")
    yield name
    cleanup(docker_client, name)


def plan(home: Path, instance: str, version: str) -> dict[str, tuple[str, str]]:
    out = run_sealift(home, "upgrade", instance, version, "--dry-run", "--json").stdout
    assert SECRET not in out
    return {s["component"]: (s["action"], s["reason"]) for s in json.loads(out)["steps"]}


def test_shared_volume_job_security_and_secret_config(
    apps_home: Path, instance: str, docker_client: docker.DockerClient
) -> None:
    home = apps_home
    run_sealift(home, "install", "slapps:1.0.0", "--name", instance, "--timeout", "60s")
    web = f"{instance}-web-1"
    volumes = {v.name for v in docker_client.volumes.list(filters={"name": instance})}
    assert {f"{instance}-data", f"{instance}-web-cache"} <= volumes
    assert f"{instance}-migrate-data" not in volumes and f"{instance}-web-data" not in volumes
    # the job wrote the shared volume before web started; web sees it whole and by subpath
    assert exec_in(docker_client, web, "cat /srv/log") == "migrated one"
    assert exec_in(docker_client, web, "cat /etc/app/app.conf") == "v1"
    assert "Read-only" in exec_in(docker_client, web, "touch /etc/app/x 2>&1")
    assert "Read-only" in exec_in(docker_client, web, "touch /x 2>&1")
    # a missing subpath is made, owned by the component's user
    assert exec_in(docker_client, web, "touch /uploads/ok && id -u") == "1000"
    assert exec_in(docker_client, web, "ls /srv/files/uploads") == "ok"
    secret = exec_in(
        docker_client, web, "stat -c '%a %u %g' /run/secrets/token; cat /run/secrets/token"
    )
    assert secret.splitlines() == ["400 1000 1000", SECRET]
    assert exec_in(docker_client, web, "stat -c '%a %u %g' /etc/web.conf") == "440 0 1000"
    worker = exec_in(docker_client, f"{instance}-worker-1", "stat -c '%a %u %g' /run/secrets/token")
    assert worker == "400 1000 1000"
    host = docker_client.containers.get(web).attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
    assert host["CapAdd"] == ["NET_BIND_SERVICE"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"]

    status = json.loads(run_sealift(home, "status", instance, "--json").stdout)[0]
    states = {c["component"]: (c["state"], c["health"]) for c in status["components"]}
    assert states == {
        "migrate": ("completed", "job"),
        "web": ("running", "healthy"),
        "worker": ("running", "no check"),
    }

    assert plan(home, instance, "1.1.0")["migrate"] == ("keep", "spec unchanged")
    assert plan(home, instance, "1.2.0")["migrate"] == ("run", "env changed")
    run_sealift(home, "upgrade", instance, "1.2.0", "--timeout", "60s")
    assert exec_in(docker_client, web, "cat /srv/log").splitlines() == [
        "migrated one",
        "migrated two",
    ]

    failed = run_sealift(home, "upgrade", instance, "1.3.0", "--timeout", "60s", check=False)
    assert failed.returncode != 0
    text = failed.stdout + failed.stderr
    assert "component migrate: job" in text and "failed with exit code 3" in text
    assert "restored revision 2" in text and "migration says bye" in text
    assert SECRET not in text
    revisions = history(home, instance)
    assert [(r["version"], r["status"]) for r in revisions][-2:] == [
        ("1.2.0", "deployed"),
        ("1.3.0", "failed"),
    ]
    assert exec_in(docker_client, web, "cat /etc/app/app.conf") == "v1"
    for args in (
        ["history", instance, "--json"],
        ["market", "show", "slapps:1.0.0", "--json"],
        ["market", "show", "slapps:1.0.0"],
        ["status", instance, "--json"],
    ):
        assert SECRET not in run_sealift(home, *args).stdout

    out = run_sealift(home, "uninstall", instance).stdout
    left = {v.name for v in docker_client.volumes.list(filters={"name": instance})}
    assert left == {f"{instance}-data", f"{instance}-web-cache"}  # the configs' copy is gone
    assert f"{instance}-web.configs" not in out


ROOT_APP = {
    "schema": "sealift/v1",
    "name": "slroot",
    "version": "1.0.0",
    "components": {
        "as-image": {
            "image": USER_IMAGE,
            "command": ["sleep", "3600"],
            "security": {"run_as_non_root": True},
        },
        "root": {
            "image": IMAGE,
            "command": ["sleep", "3600"],
            "security": {"run_as_non_root": True},
        },
    },
}


def test_run_as_non_root_refuses_before_creating_anything(
    apps_home: Path, instance: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "root.yaml").write_text(dump_yaml(ROOT_APP))
    run_sealift(apps_home, "publish", str(tmp_path / "root.yaml"))
    result = run_sealift(apps_home, "install", "slroot:1.0.0", "--name", instance, check=False)
    assert result.returncode != 0
    assert (
        "component root must not run as root (security.run_as_non_root), but its image "
        "(no user set) is root" in result.stderr
    )
    label = {"label": [f"dev.sealift.installation={instance}"]}
    assert docker_client.containers.list(all=True, filters=label) == []
    assert docker_client.networks.list(filters=label) == []


LINK_APP = {
    "schema": "sealift/v1",
    "name": "sllink",
    "version": "1.0.0",
    "volumes": {"data": {}},
    "components": {
        "plant": {
            "kind": "job",
            "image": IMAGE,
            "command": ["sh", "-c", "ln -s /etc /data/evil"],
            "volumes": [{"name": "data", "path": "/data"}],
        },
        "web": {
            "image": IMAGE,
            "command": ["sleep", "3600"],
            "depends_on": [{"component": "plant", "condition": "completed"}],
            "volumes": [{"name": "data", "path": "/mnt", "subpath": "evil/x"}],
        },
    },
}


def test_a_subpath_through_a_symbolic_link_is_refused(
    apps_home: Path, instance: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    """A link written into the volume must not make the bind point anywhere on the host."""
    (tmp_path / "link.yaml").write_text(dump_yaml(LINK_APP))
    run_sealift(apps_home, "publish", str(tmp_path / "link.yaml"))
    result = run_sealift(apps_home, "install", "sllink:1.0.0", "--name", instance, check=False)
    assert result.returncode != 0
    assert "evil in the volume is a symbolic link, not a directory" in result.stderr
    assert not os.path.exists("/etc/x")


def test_a_failed_job_fails_the_install_with_its_log(
    apps_home: Path, instance: str, docker_client: docker.DockerClient
) -> None:
    result = run_sealift(apps_home, "install", "slapps:1.3.0", "--name", instance, check=False)
    assert result.returncode != 0
    assert "component migrate: job" in result.stderr
    assert "failed with exit code 3" in result.stderr
    assert "last log lines of migrate:\n    migration says bye" in result.stderr
    label = {"label": [f"dev.sealift.installation={instance}"]}
    assert docker_client.containers.list(all=True, filters=label) == []  # web never started
