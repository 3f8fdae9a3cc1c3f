"""The console's h11 receive buffer gives what h11's own gives, for any mix of request
heads, bodies and pipelined requests; and h11's buffer still has the shape it relies on."""

from __future__ import annotations

import random

import h11
from h11._receivebuffer import ReceiveBuffer

from sealift.web.fasth11 import BodyReceiveBuffer


def test_the_buffer_keeps_h11s_shape() -> None:
    plain = ReceiveBuffer()
    assert {"_data", "_next_line_search", "_multiple_lines_search"} <= set(vars(plain))
    assert isinstance(plain._data, bytearray)


def test_every_operation_gives_what_h11s_buffer_gives() -> None:
    rng = random.Random(11)
    for _ in range(300):
        ours, theirs = BodyReceiveBuffer(), ReceiveBuffer()
        for _ in range(40):
            op = rng.choice(["add", "add", "most", "line", "lines"])
            if op == "add":
                data = rng.choice([b"GET / HTTP/1.1\r\n", b"\r\n", b"a: b\r\n\r\n", b"x" * 5000])
                ours += data
                theirs += data
            elif op == "most":
                count = rng.choice([0, 1, 100, 5000, 1 << 20])
                assert ours.maybe_extract_at_most(count) == theirs.maybe_extract_at_most(count)
            elif op == "line":
                assert ours.maybe_extract_next_line() == theirs.maybe_extract_next_line()
            else:
                assert ours.maybe_extract_lines() == theirs.maybe_extract_lines()
            assert bytes(ours) == bytes(theirs)


def test_a_connection_reads_a_body_through_it() -> None:
    conn = h11.Connection(h11.SERVER)
    conn._receive_buffer = BodyReceiveBuffer()
    body = bytes(range(256)) * 4000
    conn.receive_data(b"POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
    assert isinstance(conn.next_event(), h11.Request)
    events = []
    for at in range(0, len(body), 65536):
        conn.receive_data(body[at : at + 65536])
        while (event := conn.next_event()) is not h11.NEED_DATA:
            events.append(event)
            if isinstance(event, h11.EndOfMessage):
                break
    assert b"".join(bytes(e.data) for e in events[:-1]) == body
    assert isinstance(events[-1], h11.EndOfMessage)
