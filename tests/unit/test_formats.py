"""The text formats every layer shares: canonical JSON, semantic versions, timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sealift.formats import canonical_json, is_semver, semver_key, utc_timestamp


def test_canonical_json_sorts_keys_and_drops_spaces() -> None:
    assert canonical_json({"b": [1, {"d": 2, "c": 3}], "a": "é"}) == (
        '{"a":"é","b":[1,{"c":3,"d":2}]}'.encode()
    )
    assert canonical_json({"a": "é"}, ascii_only=True) == b'{"a":"\\u00e9"}'


def test_semver_is_semver_org() -> None:
    for good in ("1.0.0", "0.1.0-rc.1", "1.2.3+build.7", "10.20.30-alpha.beta.1"):
        assert is_semver(good), good
    for bad in ("1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0-01", "1.0.0+"):
        assert not is_semver(bad), bad


def test_semver_precedence() -> None:
    versions = ["1.10.0", "1.0.0", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0-alpha", "0.9.9", "1.0.1"]
    assert sorted(versions, key=semver_key) == [
        "0.9.9",
        "1.0.0-alpha",
        "1.0.0-rc.2",
        "1.0.0-rc.10",
        "1.0.0",
        "1.0.1",
        "1.10.0",
    ]


def test_timestamps_are_utc_to_the_second() -> None:
    moment = datetime(2026, 1, 31, 13, 0, 0, 999, tzinfo=timezone(timedelta(hours=1)))
    assert utc_timestamp(moment) == "2026-01-31T12:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_timestamp())
    assert utc_timestamp(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "2026-01-01T00:00:00Z"
