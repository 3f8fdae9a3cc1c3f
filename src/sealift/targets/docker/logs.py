"""Reading the logs of a component's containers: one after another, or all of them at
once as their lines arrive (`--follow` of a component with several replicas)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from docker.models.containers import Container

from sealift.oci.engine import engine_errors

_END = object()


def read_logs(containers: list[Container], tail: int, follow: bool) -> Iterator[str]:
    """Lines of every container, prefixed with its name when there are several."""
    prefix = len(containers) > 1
    if not follow or len(containers) == 1:
        for container in containers:
            yield from _prefixed(container, tail, follow, prefix)
        return
    yield from _merged(containers, tail)


def _prefixed(container: Container, tail: int, follow: bool, prefix: bool) -> Iterator[str]:
    with engine_errors(f"reading logs of {container.name}"):
        stream = container.logs(tail=tail, stream=True, follow=follow)
        for line in _lines(stream):
            yield f"[{container.name}] {line}" if prefix else line


def _merged(containers: list[Container], tail: int) -> Iterator[str]:
    """Follow every container in a thread of its own; lines come out as they arrive.
    The threads are daemons: Ctrl-C ends the command without waiting for them."""
    lines: queue.Queue[object] = queue.Queue(maxsize=1000)

    def pump(container: Container) -> None:
        try:
            for line in _prefixed(container, tail, True, True):
                lines.put(line)
            lines.put(_END)
        except BaseException as exc:  # handed to the reading thread, raised there
            lines.put(exc)

    for container in containers:
        threading.Thread(target=pump, args=(container,), daemon=True).start()
    running = len(containers)
    while running:
        item = lines.get()
        if item is _END:
            running -= 1
        elif isinstance(item, BaseException):
            raise item
        else:
            yield str(item)


def _lines(stream: Iterator[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in stream:
        pending += chunk
        *done, pending = pending.split(b"\n")
        for line in done:
            yield line.decode(errors="replace")
    if pending:
        yield pending.decode(errors="replace")
