"""Shared fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")


@contextmanager
def rolled_back(django_db_blocker, make: Callable[[], T]) -> Iterator[T]:
    """``make()`` once for a whole module (seeding is slow), in a transaction rolled back at the
    end, so the module's tests share its rows and leave the database as they found it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield make()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
