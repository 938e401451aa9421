"""Insert many cases and timeline entries at once.

Below ``COPY_MIN_ROWS`` (and on SQLite) this is ``bulk_create``. Above it, on
PostgreSQL, rows go in with ``COPY`` (shequ.exchange.importers.pgcopy): Django's
``bulk_create`` spends about 10 µs per field per row preparing values, and a case
has some fifty fields. COPY takes no table lock; the new cases' ids are read back
by their numbers, which the import has just reserved and which are unique.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import connection, models
from django.utils import timezone

from shequ.cases.models import Case, CaseEvent
from shequ.exchange.importers.pgcopy import NULL, copy_rows, copy_text

BATCH = 2000
COPY_MIN_ROWS = 5000


def use_copy(count: int, *, copy_min_rows: int = COPY_MIN_ROWS) -> bool:
    return connection.vendor == "postgresql" and count >= copy_min_rows


def cases_insert(cases: Sequence[Case], *, copy_min_rows: int = COPY_MIN_ROWS) -> None:
    """Insert unsaved, numbered cases; each gets its pk."""
    if not cases:
        return
    if not use_copy(len(cases), copy_min_rows=copy_min_rows):
        Case.objects.bulk_create(cases, batch_size=BATCH)
        return
    fields = [field for field in Case._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    converters = [_converter(field, now) for field in fields]
    lines = ("\t".join([convert(case) for convert in converters]) + "\n" for case in cases)
    copy_rows(Case._meta.db_table, [field.column for field in fields], lines)
    ids: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT number, id FROM "{Case._meta.db_table}" WHERE number = ANY(%s)',
                       [[case.number for case in cases]])
        ids.update(cursor.fetchall())
    for case in cases:
        case.pk = ids[case.number]
        case.created_at = case.updated_at = now
        case._state.adding, case._state.db = False, "default"


def events_insert(template: CaseEvent, steps: Sequence[tuple[int, str, str, str, dict]], *,
                  copy_min_rows: int = COPY_MIN_ROWS) -> None:
    """Insert timeline entries that share ``template``'s time and actor (made by
    ``event_for``), one per ``(case_id, action, from_status, to_status, detail)``.

    The COPY path writes them without building a model instance per entry."""
    if not use_copy(len(steps), copy_min_rows=copy_min_rows):
        CaseEvent.objects.bulk_create([_event(template, *step) for step in steps], batch_size=BATCH)
        return
    fields = [field for field in CaseEvent._meta.concrete_fields if not field.primary_key]
    varying = {"case": 0, "action": 1, "from_status": 2, "to_status": 3, "detail": 4}
    now = timezone.now()
    constant = {field.name: _converter(field, now)(template) for field in fields if field.name not in varying}

    def line(step: tuple) -> str:
        cells = []
        for field in fields:
            if field.name in constant:
                cells.append(constant[field.name])
            elif field.name == "detail":
                cells.append(copy_text(json.dumps(step[4], ensure_ascii=False, default=str)))
            elif field.name == "case":
                cells.append(str(step[0]))
            else:
                cells.append(copy_text(step[varying[field.name]]))
        return "\t".join(cells) + "\n"

    copy_rows(CaseEvent._meta.db_table, [field.column for field in fields], (line(step) for step in steps))


def _event(template: CaseEvent, case_id: int, action: str, from_status: str, to_status: str,
           detail: dict) -> CaseEvent:
    return CaseEvent(case_id=case_id, at=template.at, actor_id=template.actor_id, actor_name=template.actor_name,
                     action=action, from_status=from_status, to_status=to_status, note=template.note, detail=detail)


def _converter(field: models.Field, now: datetime) -> Callable[[models.Model], str]:
    """A function rendering ``field`` of an instance in COPY's text format."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        stamp = now.isoformat()
        return lambda obj: stamp
    if isinstance(field, (models.CharField, models.TextField)):
        return lambda obj: NULL if (value := getattr(obj, attname)) is None else copy_text(str(value))
    if isinstance(field, (models.IntegerField, models.ForeignKey, models.DecimalField)):
        return lambda obj: NULL if (value := getattr(obj, attname)) is None else str(value)
    if isinstance(field, models.DateTimeField):
        return lambda obj: NULL if (value := getattr(obj, attname)) is None else value.isoformat()
    if isinstance(field, models.BooleanField):
        return lambda obj: NULL if (value := getattr(obj, attname)) is None else ("t" if value else "f")
    if isinstance(field, models.JSONField):
        return lambda obj: copy_text(json.dumps(getattr(obj, attname), ensure_ascii=False, default=str))

    def generic(obj: models.Model) -> str:  # a field type added later: Django's own conversion
        value = field.get_db_prep_save(getattr(obj, attname), connection)
        return NULL if value is None else copy_text(str(value))

    return generic

