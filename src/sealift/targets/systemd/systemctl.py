"""The door to systemd: systemctl, journalctl and systemd-analyze as child processes, each
bounded by a timeout. Their failures become SystemdError here and nowhere else."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sealift.errors import SystemdError
from sealift.targets.systemd.units import host_command

NO_ROOT_VERIFY = "only supported for cat-config"
SHOW = (
    "ActiveState",
    "SubState",
    "Result",
    "NRestarts",
    "ExecMainStatus",
    "MainPID",
    "LoadState",
    "InvocationID",
)


class Systemd:
    def __init__(self, timeout: float = 90.0) -> None:
        self.timeout = timeout

    def run(
        self, *args: str, check: bool = True, what: str = ""
    ) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                list(args), capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise SystemdError(
                f"{args[0]} is not installed: the systemd target needs a host run by systemd"
            ) from None
        except subprocess.TimeoutExpired:
            raise SystemdError(
                f"{' '.join(args[:3])} did not answer within {self.timeout:g}s; check "
                "`systemctl status` on this host, then run the command again"
            ) from None
        if check and done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise SystemdError(
                f"{what or ' '.join(args[:3])} failed: {said[-1] if said else done.returncode}"
            )
        return done

    def systemctl(self, *args: str, what: str = "") -> str:
        return self.run("systemctl", *args, what=what).stdout

    def daemon_reload(self) -> None:
        self.systemctl("daemon-reload")

    def version(self) -> int:
        """The version of the systemd that runs this host (0 if none answers)."""
        done = self.run("systemctl", "--version", check=False)
        found = re.match(r"systemd (\d+)", done.stdout)
        return int(found.group(1)) if found else 0

    def is_booted(self) -> bool:
        return Path("/run/systemd/system").is_dir()

    def start(self, units: list[str]) -> None:
        """Start without waiting for a job to finish (the health gate waits)."""
        if units:
            self.systemctl("start", "--no-block", *units, what=f"starting {' '.join(units)}")

    def stop(self, units: list[str]) -> None:
        """Stop `units` (one systemd does not know, e.g. never loaded, is already stopped)."""
        if not units:
            return
        done = self.run("systemctl", "stop", *units, check=False)
        if done.returncode != 0 and "not loaded" not in done.stderr:
            said = done.stderr.strip().splitlines()
            raise SystemdError(
                f"stopping {' '.join(units)} failed: {said[-1] if said else done.returncode}"
            )

    def reset_failed(self, units: list[str]) -> None:
        if units:
            self.run("systemctl", "reset-failed", *units, check=False)

    def show(self, unit: str) -> dict[str, str]:
        out = self.systemctl("show", unit, "--property=" + ",".join(SHOW))
        return dict(line.partition("=")[::2] for line in out.splitlines() if "=" in line)

    def verify(self, root: Path, unit: str, text: str) -> None:
        """`systemd-analyze --root=ROOT verify UNIT` (the unit is under ROOT/etc/systemd/system);
        a systemd whose verify has no --root (247) checks `text` from a file instead."""
        done = self.run("systemd-analyze", f"--root={root}", "verify", unit, check=False)
        if NO_ROOT_VERIFY in done.stderr:
            done = self._verify_here(unit, text)
        problems = [
            line
            for line in (done.stderr + done.stdout).splitlines()
            if line.strip() and "X-Sealift" not in line
        ]
        if done.returncode != 0 or problems:
            raise SystemdError(
                f"systemd-analyze verify refused {unit}: "
                f"{problems[0] if problems else done.returncode}; this is a bug in sealift"
            )

    def _verify_here(self, unit: str, text: str) -> subprocess.CompletedProcess[str]:
        """The unit from a file, its command standing in as /bin/sh: systemd would look for it
        on this host, not in the root directory (launch.py has found it there)."""
        with tempfile.TemporaryDirectory(prefix="sealift-verify-") as directory:
            path = Path(directory) / unit
            path.write_text(host_command(text))
            return self.run("systemd-analyze", "verify", str(path), check=False)

    def journal(
        self, units: list[str], tail: int, follow: bool, invocation: str = ""
    ) -> Iterator[str]:
        """What the units' processes wrote (not systemd's lines about them), of their current
        run only with `invocation` (its InvocationID); with `follow`, while the caller reads."""
        args = ["journalctl", "--no-pager", "--quiet", "-n", str(tail)]
        args += ["-o", "cat" if len(units) == 1 else "short"]
        matches = [f"_SYSTEMD_UNIT={u}" for u in units]
        if invocation:
            matches = [f"_SYSTEMD_INVOCATION_ID={invocation}"]
        args += _alternatives(matches) + (["--follow"] if follow else [])
        if not follow:
            yield from self.run(*args, what="reading the journal").stdout.splitlines()
            return
        yield from _stream(args)


def _alternatives(matches: list[str]) -> list[str]:
    """journalctl matches joined with `+` (any of them)."""
    out: list[str] = []
    for match in matches:
        out += [*(["+"] if out else []), match]
    return out


def _stream(args: list[str]) -> Iterator[str]:
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemdError("journalctl is not installed") from None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            yield line.rstrip("\n")
    finally:
        proc.terminate()
        proc.wait(timeout=5)
