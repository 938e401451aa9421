"""Deterministic demo data at any scale: ``seed(people=N, seed=S)``.

The same seed and day give the same names, ID numbers, phones, plates and tree
(ciphertexts differ: each encryption draws a fresh nonce). Rows go straight to
the database in bulk (see shequ.seed.sink); one audit record covers the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone, translation

from shequ.accounts.audit import Actor, audit_append
from shequ.registry.codes import CARE_TAG_CHOICES
from shequ.registry.models import Area, CareTag, Person

DEFAULT_SEED = 20250601
DEMO_PEOPLE = 12_000


class NotEmpty(RuntimeError):
    """Seeding needs an empty registry: the seed assigns codes and IDs of its own."""


@dataclass(frozen=True)
class SeedReport:
    people: int
    seed: int
    counts: dict[str, int]
    demo_users: list[str]
    seconds: float


def registry_is_empty() -> bool:
    return not Area.objects.exists() and not Person.objects.exists()


def care_tags_ensure() -> None:
    """The care tags from the code table, named in the default language."""
    with translation.override("zh-hans"):
        for code, label in CARE_TAG_CHOICES:
            CareTag.objects.get_or_create(code=code, defaults={"name": str(label)})


def seed(*, people: int, seed: int = DEFAULT_SEED, today: date | None = None,
         progress: Callable[[str], None] | None = None, actor: Actor | None = None) -> SeedReport:
    """Fill an empty registry with ``people`` people, their houses and things, and the demo users."""
    from shequ.seed.users import demo_users_ensure
    from shequ.seed.world import World

    if people < 1:
        raise ValueError("people must be at least 1")
    started = time.perf_counter()
    with transaction.atomic():
        if not registry_is_empty():
            raise NotEmpty("the registry already holds areas or people")
        care_tags_ensure()
        world = World(people=people, seed=seed, today=today or timezone.localdate(), now=timezone.now(),
                      progress=progress)
        counts = world.build()
        _logins, created = demo_users_ensure()
        seconds = time.perf_counter() - started
        audit_append(
            actor=actor or Actor.system(via="cli"), action="seed.completed", object_type="registry.person",
            detail={"people": people, "seed": seed, "counts": counts, "demo_users": created,
                    "seconds": round(seconds, 1)},
        )
    _analyze()
    return SeedReport(people, seed, counts, created, time.perf_counter() - started)


def _analyze() -> None:
    """Fresh planner statistics: right after a bulk load PostgreSQL has none until
    autovacuum comes round, and plans the first searches on guesses."""
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    tables = [model._meta.db_table for model in apps.get_app_config("registry").get_models(include_auto_created=True)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))
