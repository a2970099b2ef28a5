"""Random values for botocore shapes, for round-trip tests (botocore is the oracle).

Values respect enums and min/max loosely; patterns are ignored (parsing must round-trip
whatever the content).  ``query=True`` avoids what the awsquery wire cannot carry: an empty
map or an empty structure serializes to nothing, so it could not come back.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from botocore.model import Shape

ALPHABET = "abcXYZ019 _-.:/=+@&<>\"'%é漢\n\t\r"
NON_BMP = "😀"


class ShapeGen:
    def __init__(self, seed: int, *, query: bool, max_depth: int = 5) -> None:
        self.rng = random.Random(seed)
        self.query = query
        self.max_depth = max_depth

    def value(self, shape: Shape, depth: int = 0) -> Any:
        return getattr(self, f"_{shape.type_name}")(shape, depth)

    def _structure(self, shape: Shape, depth: int) -> dict[str, Any]:
        members = shape.members  # type: ignore[attr-defined]
        if not members:
            return {}
        if shape.metadata.get("union"):
            name = self.rng.choice(sorted(members))
            return {name: self.value(members[name], depth + 1)}
        required = set(shape.metadata.get("required", ()))
        out: dict[str, Any] = {}
        for name, member in members.items():
            if name in required or (depth < self.max_depth and self.rng.random() < 0.6):
                out[name] = self.value(member, depth + 1)
        if not out and self.query and depth > 0:
            name = self.rng.choice(sorted(members))
            out[name] = self.value(members[name], depth + 1)
        return out

    def _count(self, shape: Shape, depth: int, low: int) -> int:
        lo = max(shape.metadata.get("min", 0), low)
        hi = min(shape.metadata.get("max", 3), 3)
        if depth >= self.max_depth:
            hi = lo
        return self.rng.randint(lo, max(lo, hi))

    def _list(self, shape: Shape, depth: int) -> list[Any]:
        n = self._count(shape, depth, 0)
        return [self.value(shape.member, depth + 1) for _ in range(n)]  # type: ignore[attr-defined]

    def _map(self, shape: Shape, depth: int) -> dict[str, Any]:
        n = self._count(shape, depth, 1 if self.query else 0)
        out = {}
        for _ in range(n):
            out[self.value(shape.key, depth + 1)] = self.value(shape.value, depth + 1)  # type: ignore[attr-defined]
        return out

    def _string(self, shape: Shape, depth: int) -> str:
        if shape.name == "policyDocumentType":
            return self._policy()
        enum = shape.metadata.get("enum")
        if enum:
            return str(self.rng.choice(enum))
        lo = shape.metadata.get("min", 0)
        hi = min(shape.metadata.get("max", lo + 12), lo + 12)
        n = self.rng.randint(lo, max(lo, hi))
        chars = [self.rng.choice(ALPHABET) for _ in range(n)]
        if chars and self.rng.random() < 0.1:
            chars[0] = NON_BMP
        return "".join(chars)

    def _policy(self) -> str:
        """An IAM policy document; ``%41`` and ``+`` catch a missing or lossy URL-encoding."""
        resource = "arn:aws:s3:::bucket/%41+b " + "".join(
            self.rng.choice(ALPHABET) for _ in range(self.rng.randint(0, 8))
        )
        statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=1)

    def _integer(self, shape: Shape, depth: int) -> int:
        lo = int(shape.metadata.get("min", -1000))
        hi = int(shape.metadata.get("max", 10**6))
        return self.rng.randint(lo, max(lo, hi))

    def _long(self, shape: Shape, depth: int) -> int:
        lo = int(shape.metadata.get("min", -(2**40)))
        hi = int(shape.metadata.get("max", 2**53))
        return self.rng.randint(lo, max(lo, hi))

    def _float(self, shape: Shape, depth: int) -> float:
        return self.rng.choice([0.0, 1.5, -2.25, self.rng.uniform(-1e6, 1e6), 1e-7])

    _double = _float

    def _boolean(self, shape: Shape, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _timestamp(self, shape: Shape, depth: int) -> dt.datetime:
        seconds = self.rng.randint(0, 4 * 10**9)
        micro = self.rng.choice([0, 0, 123000, self.rng.randint(1, 999999)])
        return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(microsecond=micro)

    def _blob(self, shape: Shape, depth: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(0, 12))


def normalise(value: Any) -> Any:
    """Make botocore's parsed values comparable to generated ones (aware datetimes in UTC)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value
