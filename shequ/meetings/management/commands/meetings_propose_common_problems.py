"""Propose common problems for every street and district (run periodically, e.g. from cron).

Periods are whole calendar weeks or months, the last complete one by default,
so daily runs look at the same period and propose each problem once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.meetings.services.common_problems import (
    DEFAULT_MIN_COMPLEXES, DEFAULT_MIN_RISE, LEVELS, common_problems_propose, levels_to_propose_for,
)
from shequ.registry.models import Area


def last_complete_period(kind: str, today: date) -> tuple[date, date]:
    """The last whole ISO week (Mon–Sun) or calendar month before ``today``."""
    if kind == "week":
        end = today - timedelta(days=today.isoweekday())
        return end - timedelta(days=6), end
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Propose common problems (共性问题) for streets and districts over a period."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=["week", "month"], default="month",
                            help="last complete week or month (default: month)")
        parser.add_argument("--start", help="first day of the period (YYYY-MM-DD); with --end")
        parser.add_argument("--end", help="last day of the period (YYYY-MM-DD); with --start")
        parser.add_argument("--area", help="code of one street or district (default: all)")
        parser.add_argument("--min-complexes", type=int, default=DEFAULT_MIN_COMPLEXES)
        parser.add_argument("--min-rise", default=str(DEFAULT_MIN_RISE),
                            help="ratio of this period's cases to the previous period's (default 1.5)")

    def handle(self, *args, **options):
        if bool(options["start"]) != bool(options["end"]):
            raise CommandError("give --start and --end together")
        if options["start"]:
            start, end = _date(options["start"]), _date(options["end"])
        else:
            start, end = last_complete_period(options["period"], timezone.localdate())
        try:
            min_rise = Decimal(options["min_rise"])
        except InvalidOperation as exc:
            raise CommandError(f"--min-rise is not a number: {options['min_rise']}") from exc
        if options["area"]:
            area = Area.objects.filter(code=options["area"], level__in=LEVELS).first()
            if area is None:
                raise CommandError(f"no street or district with code {options['area']}")
            areas = [area]
        else:
            areas = levels_to_propose_for()
        actor = Actor.system(via="cli")
        created = 0
        for area in areas:
            try:
                problems = common_problems_propose(level_area=area, period_start=start, period_end=end,
                                                   min_complexes=options["min_complexes"], min_rise=min_rise,
                                                   actor=actor)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            for problem in problems:
                self.stdout.write(f"proposed #{problem.pk}: {problem.title}")
            created += len(problems)
        self.stdout.write(f"{start}..{end}: {len(areas)} areas checked, {created} common problems proposed")
