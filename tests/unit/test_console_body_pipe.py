"""The pipe between an upload's body (the event loop) and its import (a thread): every
byte arrives in order, at most its limit waits in between, and either side can stop the
other."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sealift.bundle.reader import StreamBrokeOff
from sealift.web.uploads import BodyPipe, ImportStopped

LIMIT = 1 << 20


def in_thread(run: Callable[[], Any]) -> Any:
    """asyncio.run in a thread of its own (a browser test may own this thread's loop)."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = run()
        except BaseException as exc:  # handed to the test
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the pipe hung"
    if "error" in out:
        raise out["error"]
    return out.get("value")


async def body(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
        if random.random() < 0.05:
            await asyncio.sleep(0)


def test_every_byte_arrives_in_order_and_the_buffer_stays_bounded() -> None:
    rng = random.Random(5)
    data = os.urandom(24 << 20)
    sizes = [rng.choice([1, 100, 4096, 65536, 300_000]) for _ in range(2000)]
    chunks, at = [], 0
    while at < len(data):
        n = sizes[len(chunks) % len(sizes)]
        chunks.append(data[at : at + n])
        at += n
    peak = [0]

    async def run() -> str:
        pipe = BodyPipe(asyncio.get_running_loop(), LIMIT)
        put = pipe._put

        def measured(chunk: bytes) -> bool:
            done = put(chunk)
            peak[0] = max(peak[0], pipe._size)
            return done

        pipe._put = measured  # type: ignore[method-assign]
        digest = hashlib.sha256()

        def read() -> None:
            buffer = bytearray(rng.choice([512, 70_000, 1 << 20]))
            while n := pipe.readinto(buffer):
                digest.update(buffer[:n])

        reader = asyncio.get_running_loop().run_in_executor(None, read)
        await pipe.feed(body(chunks))
        await reader
        return digest.hexdigest()

    assert in_thread(lambda: asyncio.run(run())) == hashlib.sha256(data).hexdigest()
    assert LIMIT // 2 < peak[0] <= LIMIT + 300_000  # it filled up, and no further


def test_read_gives_whole_pieces_until_the_end() -> None:
    async def run() -> list[bytes]:
        pipe = BodyPipe(asyncio.get_running_loop(), LIMIT)
        await pipe.feed(body([b"ab", b"c", b"defg"]))  # all fits: no reader needed yet
        return [pipe.read(3), pipe.read(3), pipe.read(3), pipe.read(3)]

    assert in_thread(lambda: asyncio.run(run())) == [b"abc", b"def", b"g", b""]


def test_a_reader_that_stops_stops_the_body() -> None:
    async def run() -> None:
        pipe = BodyPipe(asyncio.get_running_loop(), LIMIT)

        def read_a_little() -> None:
            pipe.read(1000)
            pipe.stop()

        reader = asyncio.get_running_loop().run_in_executor(None, read_a_little)
        await pipe.feed(body([b"x" * 65536] * 1000))  # 64 MiB: far more than fits
        await reader

    with pytest.raises(ImportStopped):
        in_thread(lambda: asyncio.run(run()))


def test_a_body_that_breaks_off_is_an_error_for_the_reader() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"y" * 100
        raise ConnectionResetError  # as the server's ClientDisconnect comes

    async def run() -> bytes:
        pipe = BodyPipe(asyncio.get_running_loop(), LIMIT)
        reader = asyncio.get_running_loop().run_in_executor(None, lambda: pipe.read(10_000))
        with pytest.raises(ConnectionResetError):
            await pipe.feed(broken())
        pipe.break_off()
        return await reader

    with pytest.raises(StreamBrokeOff, match="the upload broke off"):
        in_thread(lambda: asyncio.run(run()))


def test_copy_to_writes_what_arrived_into_the_file(tmp_path: Path) -> None:
    """The import's way to take the body: straight into its file, in order, at the offset
    it asks; 0 at the end."""
    data = os.urandom(3 << 20)
    chunks = [data[at : at + 700_001] for at in range(0, len(data), 700_001)]
    target = tmp_path / "blob"

    async def run() -> list[int]:
        pipe = BodyPipe(asyncio.get_running_loop(), LIMIT)

        def copy() -> list[int]:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT)
            sizes, offset = [], 0
            try:
                while n := pipe.copy_to(fd, offset, 1 << 20):
                    sizes.append(n)
                    offset += n
            finally:
                os.close(fd)
            return sizes

        writer = asyncio.get_running_loop().run_in_executor(None, copy)
        await pipe.feed(body(chunks))
        return await writer

    sizes = in_thread(lambda: asyncio.run(run()))
    assert target.read_bytes() == data
    assert max(sizes) <= 1 << 20 and sum(sizes) == len(data)
