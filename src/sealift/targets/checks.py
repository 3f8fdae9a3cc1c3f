"""Health-gate rules every driver follows (Docker's HEALTHCHECK semantics), apart from how
one probe runs: checks that fail within `start_period` do not count; after it, `retries`
failed checks in a row, `interval` apart, make a component unhealthy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FailedChecks:
    """Docker's count of failed checks: after the start period, one per interval."""

    interval: float
    retries: int
    counting_from: float  # monotonic time the start period (and the first interval) ends
    count: int = 0
    last_counted: float = float("-inf")

    @classmethod
    def of(cls, health: dict[str, Any], started: float) -> FailedChecks:
        interval = float(health["interval"])
        begin = started + max(interval, float(health["start_period"]))
        return cls(interval, int(health["retries"]), begin)

    def unhealthy_after_failure(self, now: float) -> bool:
        """Record a failed probe at `now`; True once `retries` counted failures are reached."""
        if now >= self.counting_from and now - self.last_counted >= self.interval:
            self.count += 1
            self.last_counted = now
        return self.count >= self.retries


def describe(health: dict[str, Any]) -> str:
    if health["kind"] == "http":
        return f"http GET :{health['port']}{health['path']}"
    if health["kind"] == "tcp":
        return f"tcp :{health['port']}"
    return "exec " + " ".join(health["command"])
