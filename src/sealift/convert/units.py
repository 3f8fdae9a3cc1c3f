"""Durations, CPU and memory written the way the app model reads them."""

from __future__ import annotations

import re

from sealift.errors import ConvertError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_MS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "ms": 1.0,
    "s": 1000.0,
    "m": 60000.0,
    "h": 3600000.0,
}
_BINARY = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def duration_ms(text: str | int | float, where: str) -> int:
    """Go-style durations (`1m30s`, `500ms`) or plain seconds, as milliseconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return round(float(text) * 1000)
    value = str(text).strip()
    if not value or _DURATION_PART.sub("", value) != "":
        raise ConvertError(f"{where}: {value!r} is not a duration; write it like 10s or 1m30s")
    return round(sum(float(n) * _UNIT_MS[u] for n, u in _DURATION_PART.findall(value)))


def format_duration(ms: int) -> str:
    """One unit, the largest that is exact: 90000 -> `90s`, 60000 -> `1m`."""
    if ms == 0:
        return "0s"
    for unit, size in (("h", 3600000), ("m", 60000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def duration(text: str | int | float, where: str) -> str:
    return format_duration(duration_ms(text, where))


def seconds(value: int) -> str:
    return format_duration(value * 1000)


def cpu(value: str | int | float, where: str) -> str:
    """`0.5`, `"1.5"`, `"500m"` -> millicores as `500m`."""
    text = str(value).strip()
    try:
        millis = int(text[:-1]) if text.endswith("m") else round(float(text) * 1000)
    except ValueError:
        raise ConvertError(f"{where}: {value!r} is not a CPU amount; write 0.5 or 500m") from None
    return f"{max(millis, 1)}m"


def binary_bytes(text: str | int, where: str) -> int:
    """Compose byte values: `512m`, `1g`, `1gb`, `1024k`, or a number of bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)b?", str(text).strip().lower())
    if match is None:
        raise ConvertError(f"{where}: {text!r} is not a size; write it like 512m or 1g")
    return int(float(match.group(1)) * _BINARY[match.group(2)])


def quantity_from_bytes(size: int) -> str:
    """The largest exact binary unit: 536870912 -> `512Mi`; rounds up to Ki otherwise."""
    for unit, factor in (("Ti", 1024**4), ("Gi", 1024**3), ("Mi", 1024**2)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{max(-(-size // 1024), 1)}Ki"


def memory_from_compose(value: str | int, where: str) -> str:
    return quantity_from_bytes(binary_bytes(value, where))


def quantity_from_kubernetes(value: str | int, where: str) -> str:
    """Whole Kubernetes quantities pass through (`256Mi`, `1G`); others become bytes first."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?", str(value).strip())
    if match is None:
        raise ConvertError(f"{where}: {value!r} is not a quantity; write it like 256Mi")
    number, suffix = match.group(1), match.group(2) or ""
    if "." not in number and suffix:
        return number + suffix.upper() if suffix == "k" else number + suffix
    return quantity_from_bytes(int(float(number) * _SUFFIX[suffix]))


def quantity_bytes(quantity: str) -> float:
    """A Kubernetes quantity the converters wrote (`10Gi`, `500M`) in bytes, to compare."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?", quantity.strip())
    if match is None:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2) or ""]


_SUFFIX = {
    "": 1,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}


def file_mode(value: object, where: str) -> str:
    """A permission mode as the model's octal text: `0440` (written octal, as Compose and
    Kubernetes read it), `0o440`, or a decimal number such as Kubernetes' 420 -> `0644`."""
    text = str(value).strip().lower()
    if isinstance(value, int) and not isinstance(value, bool) and not text.startswith("0"):
        return f"{int(value):04o}"
    digits = text.removeprefix("0o").lstrip("0") or "0"
    if not re.fullmatch(r"[0-7]{1,4}", digits):
        raise ConvertError(f"{where}: {value!r} is not a file mode; write it like 0440")
    return digits.zfill(4)
