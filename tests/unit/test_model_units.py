"""Durations, quantities and cpu amounts."""

from __future__ import annotations

import pytest

from sealift.model.units import (
    format_cpu,
    format_duration,
    format_quantity,
    parse_cpu,
    parse_duration,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("500ms", 0.5, "500ms"),
        ("5s", 5.0, "5s"),
        ("1m", 60.0, "1m"),
        ("1h30m", 5400.0, "1h30m"),
        ("90s", 90.0, "1m30s"),
        ("0s", 0.0, "0s"),
        ("1.5s", 1.5, "1s500ms"),
        ("12", 12.0, "12s"),
    ],
)
def test_durations(text: str, seconds: float, canonical: str) -> None:
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == canonical
    assert parse_duration(canonical) == seconds


@pytest.mark.parametrize("text", ["", "5 s", "s", "1d", "-1s", "5sec"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "nbytes", "canonical"),
    [
        ("256Mi", 256 * 2**20, "256Mi"),
        ("1Gi", 2**30, "1Gi"),
        ("500M", 500 * 10**6, "500M"),
        ("1536Mi", 1536 * 2**20, "1536Mi"),
        ("1.5Gi", 1536 * 2**20, "1536Mi"),
        ("1000", 1000, "1K"),
        ("1023", 1023, "1023"),
        ("2Ti", 2 * 2**40, "2Ti"),
    ],
)
def test_quantities(text: str, nbytes: int, canonical: str) -> None:
    assert parse_quantity(text) == nbytes
    assert format_quantity(nbytes) == canonical
    assert parse_quantity(canonical) == nbytes


@pytest.mark.parametrize("text", ["1Gb", "lots", "-1Mi", "1 Gi Gi"])
def test_bad_quantities(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("value", "millicores", "canonical"),
    [
        ("500m", 500, "500m"),
        ("0.5", 500, "500m"),
        (1, 1000, "1"),
        (2.5, 2500, "2500m"),
        ("2", 2000, "2"),
    ],
)
def test_cpu(value: str | float, millicores: int, canonical: str) -> None:
    assert parse_cpu(value) == millicores
    assert format_cpu(millicores) == canonical


@pytest.mark.parametrize("value", ["0", "0m", "lots", True])
def test_bad_cpu(value: str | bool) -> None:
    with pytest.raises(ValueError, match="invalid cpu"):
        parse_cpu(value)
