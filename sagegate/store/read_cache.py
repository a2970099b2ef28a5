"""The store's read cache: answers of hot read methods kept until a write may have changed them.

A cached answer is never older than what the current request's epoch check allows:

* a write in this process drops what it may have changed when it ends: the entries of the
  scopes it names (`_write(scopes=...)`), or everything when it names none (the safe default);
* `StoreBase.epoch()`, read first on every request, drops everything when the data epoch moved
  in a way this process did not see itself (another process wrote).

Scopes are small tuples naming what a read depends on, e.g. `("user", account_id, name_lower)`
for `get_user` and `("users", account_id)` for `list_users`. A read without a scope is dropped by
every write. Answers must be immutable (frozen records, tuples, strings); errors are not cached.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Scope = tuple[Hashable, ...]

MAX_ENTRIES = 50_000
# (cache key, answer, scope) of a read whose answer a write knows.
Answer = tuple[Hashable, Any, Scope]


class ReadCache:
    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._by_scope: dict[Scope, set[Hashable]] = {}
        self._unscoped: set[Hashable] = set()
        self._lock = threading.Lock()
        # Moves with every drop: an answer read while a write was committing is not kept.
        self.generation = 0

    def get(self, key: Hashable) -> Any:
        """The cached answer; KeyError if none."""
        return self._values[key]

    def put(self, key: Hashable, value: Any, scope: Scope | None, generation: int) -> None:
        with self._lock:
            if generation != self.generation:  # something was dropped meanwhile
                return
            if len(self._values) >= MAX_ENTRIES:
                self._clear()
            self._values[key] = value
            if scope is None:
                self._unscoped.add(key)
            else:
                self._by_scope.setdefault(scope, set()).add(key)

    def drop_all(self) -> None:
        with self._lock:
            self._clear()

    def drop(self, scopes: Iterable[Scope], answers: Iterable[Answer] = ()) -> None:
        """Drop the entries of these scopes and every entry without a scope; then keep
        `answers`, the reads a write knows the answer of (see `Store._write_core(answers=)`)."""
        with self._lock:
            self.generation += 1
            for key in self._unscoped:
                self._values.pop(key, None)
            self._unscoped.clear()
            for scope in scopes:
                for key in self._by_scope.pop(scope, ()):
                    self._values.pop(key, None)
            for key, value, scope in answers:
                self._values[key] = value
                self._by_scope.setdefault(scope, set()).add(key)

    def _clear(self) -> None:
        self.generation += 1
        self._values.clear()
        self._by_scope.clear()
        self._unscoped.clear()

    def __len__(self) -> int:
        return len(self._values)


def cached_read(method: F | None = None, *, scope: Callable[..., Scope] | None = None) -> Any:
    """Decorator for a store read method: `@cached_read` (dropped by every write) or
    `@cached_read(scope=lambda self, account_id, name, *a, **k: ("user", account_id, ...))`
    (called with the method's own arguments; dropped by writes naming that scope)."""

    def decorate(fn: F) -> F:
        name = fn.__name__

        def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
            # Keyword arguments, when there are any, make a longer key: never equal to a
            # positional-only one.
            return (name, args, tuple(sorted(kwargs.items()))) if kwargs else (name, args)

        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            cache: ReadCache = self._read_cache
            key = key_of(args, kwargs)
            try:
                return cache.get(key)
            except KeyError:
                pass
            except TypeError:  # an unhashable argument: not cacheable
                return fn(self, *args, **kwargs)
            generation = cache.generation
            value = fn(self, *args, **kwargs)
            cache.put(
                key, value, None if scope is None else scope(self, *args, **kwargs), generation
            )
            return value

        def answer(self: Any, value: Any, *args: Any) -> Answer:
            """The cache entry of `value` as this read's answer for `args` (scoped reads
            only): for a write that knows what the read will answer once it commits."""
            assert scope is not None
            return (key_of(args, {}), value, scope(self, *args))

        wrapper.answer = answer  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate(method) if method is not None else decorate
