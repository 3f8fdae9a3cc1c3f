"""Durations, byte quantities and cpu amounts: parsed to numbers, printed back canonically."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}

_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)([KMGTP]i?)?")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_DECIMAL = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}

_CPU = re.compile(r"(\d+)m|(\d+(?:\.\d+)?)")


def parse_duration(text: str | int | float) -> float:
    """`500ms`, `5s`, `1m`, `1h30m` (or a plain number of seconds) -> seconds."""
    if isinstance(text, bool):
        raise ValueError(f"invalid duration {text!r}: use e.g. 500ms, 5s, 1m, 1h30m")
    if isinstance(text, (int, float)):
        return _non_negative_duration(float(text))
    spec = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", spec):
        return float(spec)
    parts = _DURATION_PART.findall(spec)
    if not spec or "".join(n + u for n, u in parts) != spec:
        raise ValueError(f"invalid duration {text!r}: use e.g. 500ms, 5s, 1m, 1h30m")
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def _non_negative_duration(seconds: float) -> float:
    if seconds < 0:
        raise ValueError(f"invalid duration {seconds!r}: must not be negative")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds -> the canonical text: `1h30m`, `5s`, `1m30s`, `500ms`, `0s`."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text + (f"{millis}ms" if millis else "")


def parse_quantity(text: str | int) -> int:
    """`256Mi`, `1Gi`, `500M`, `1024` -> bytes."""
    if isinstance(text, bool):
        raise ValueError(f"invalid size {text!r}: use e.g. 256Mi, 1Gi, 500M")
    if isinstance(text, int):
        return _non_negative_size(text)
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid size {text!r}: use e.g. 256Mi, 1Gi, 500M")
    number, unit = match.groups()
    factor = _BINARY.get(unit or "") or _DECIMAL.get(unit or "") or 1
    return round(float(number) * factor)


def _non_negative_size(value: int) -> int:
    if value < 0:
        raise ValueError(f"invalid size {value!r}: must not be negative")
    return value


def format_quantity(nbytes: int) -> str:
    """Bytes -> the largest unit that divides it exactly (`1Gi`, then `500M`), else bytes."""
    for units in (_BINARY, _DECIMAL):
        for unit, factor in sorted(units.items(), key=lambda item: -item[1]):
            if nbytes and nbytes % factor == 0:
                return f"{nbytes // factor}{unit}"
    return str(nbytes)


def parse_cpu(text: str | int | float) -> int:
    """`500m`, `0.5`, `1`, `2` (cores) -> millicores."""
    if isinstance(text, bool):
        raise ValueError(f"invalid cpu {text!r}: use millicores (500m) or cores (0.5, 2)")
    if isinstance(text, (int, float)):
        millicores = round(float(text) * 1000)
    else:
        match = _CPU.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"invalid cpu {text!r}: use millicores (500m) or cores (0.5, 2)")
        millis, cores = match.groups()
        millicores = int(millis) if millis is not None else round(float(cores) * 1000)
    if millicores <= 0:
        raise ValueError(f"invalid cpu {text!r}: must be more than 0")
    return millicores


def format_cpu(millicores: int) -> str:
    """Millicores -> `2` when whole cores, else `500m`."""
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"
