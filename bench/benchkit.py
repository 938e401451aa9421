"""Shared pieces of the registry benchmarks: Django set-up, seeding to size,
query capture and replay as bare SQL, percentiles and the report lines.

Not a test module: timings vary by machine, so benchmarks live outside the suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def setup(argv: list[str] | None, description: str, *, default_people: int = 1_000_000) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--people", type=int, default=default_people,
                        help="seed the database up to this many people first (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the demo data generator")
    parser.add_argument("--queries", type=int, default=200, help="timed runs per case (default %(default)s)")
    parser.add_argument("--reset", action="store_true",
                        help="PostgreSQL only: drop every table of DATABASE_URL's database and seed afresh when it "
                             "holds fewer people than --people")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    os.environ.setdefault("SHEQU_DATA_DIR", str(REPO / "var" / "bench"))
    import django

    django.setup()
    from django.conf import settings

    # whitenoise warns on every request handler start when STATIC_ROOT is missing
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    return args


def describe_database() -> str:
    from django.db import connection

    settings = connection.settings_dict
    return f"{connection.vendor} {settings.get('NAME')} on {settings.get('HOST') or 'local'}"


def ensure_people(args: argparse.Namespace) -> int:
    """Migrate, and seed when the database holds fewer people than asked; returns the count."""
    from django.core.management import call_command
    from django.db import connection

    from shequ import seed as seeding
    from shequ.registry.models import Person

    call_command("migrate", interactive=False, verbosity=0)
    count = Person.objects.count()
    if count >= args.people:
        _check_keys()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plans from current statistics, not from whenever autovacuum last ran
        return count
    if not seeding.registry_is_empty():
        if not args.reset:
            sys.exit(f"the database holds {count:,} people, fewer than --people {args.people:,}; "
                     "run again with --reset to drop its tables and seed afresh, or point DATABASE_URL elsewhere")
        if connection.vendor != "postgresql":
            sys.exit("--reset works on PostgreSQL only; delete the SQLite file instead")
        print(f"dropping every table of {describe_database()} ...", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        call_command("migrate", interactive=False, verbosity=0)
    print(f"seeding {args.people:,} people into {describe_database()} ...", flush=True)
    started = time.perf_counter()
    report = seeding.seed(people=args.people, seed=args.seed if args.seed is not None else seeding.DEFAULT_SEED,
                          progress=lambda message: print(f"  {message}", flush=True))
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    return report.people


def _check_keys() -> None:
    """Phone search goes through keyed hashes: the keys must be the ones the data was seeded with."""
    from cryptography.exceptions import InvalidTag

    from shequ.core import pii
    from shequ.registry.models import Person

    cipher = Person.objects.values_list("id_number_cipher", flat=True).first()
    try:
        pii.decrypt(cipher)
    except InvalidTag:
        sys.exit("the people in this database were encrypted under other keys: set SHEQU_DATA_DIR to the data "
                 "directory used when seeding (its secrets.json holds the keys)")


def demo_user(username: str):
    from shequ.accounts.models import User

    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        sys.exit(f"no demo user {username!r}: the benchmarks need a database seeded by `shequ seed`")


# --- capture and replay -----------------------------------------------------------------------------------------

@dataclass
class Captured:
    statements: list[tuple[str, tuple | list | dict | None]] = field(default_factory=list)


@contextmanager
def capture() -> Iterator[Captured]:
    """Record (sql, params) of every statement Django runs, exactly as sent."""
    from django.db import connection

    captured = Captured()

    def wrapper(execute, sql, params, many, context):
        captured.statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield captured


def replay(statements: list[tuple[str, object]]) -> None:
    """Run statements on the driver's own cursor: no ORM, no Django cursor wrapper.

    Django's connection hands out psycopg's client-side-binding cursor (the same
    class Django itself uses), so the server sees the very same SQL text.
    """
    from django.db import connection

    connection.ensure_connection()
    cursor = connection.connection.cursor()
    qmark = connection.vendor == "sqlite"
    try:
        for sql, params in statements:
            if qmark:  # what Django's SQLite cursor wrapper does to "%s" placeholders
                from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

                sql = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
            cursor.execute(sql, params if params is not None else ())
            if cursor.description is not None:
                cursor.fetchall()
    finally:
        cursor.close()


# --- timing -----------------------------------------------------------------------------------------------------

def timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figures:
    label: str
    path_ms: list[float]
    bare_ms: list[float]

    def line(self) -> str:
        p50, p95 = percentile(self.path_ms, 0.50), percentile(self.path_ms, 0.95)
        b50, b95 = percentile(self.bare_ms, 0.50), percentile(self.bare_ms, 0.95)
        return (f"{self.label:<34} n={len(self.path_ms):<4} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                f"mean {statistics.fmean(self.path_ms):7.2f} | bare SQL p50 {b50:6.2f} p95 {b95:6.2f} | "
                f"ratio p50 {p50 / b50 if b50 else float('nan'):5.2f}x p95 {p95 / b95 if b95 else float('nan'):5.2f}x")


def verdict(figures: list[Figures], target_ms: float) -> bool:
    everything = [value for figure in figures for value in figure.path_ms]
    bare = [value for figure in figures for value in figure.bare_ms]
    p95, b95 = percentile(everything, 0.95), percentile(bare, 0.95)
    ok = p95 <= target_ms
    print(f"{'ALL':<34} n={len(everything):<4} p95 {p95:.2f} ms (target <= {target_ms:.0f} ms: "
          f"{'PASS' if ok else 'FAIL'}); bare SQL p95 {b95:.2f} ms; ratio {p95 / b95 if b95 else float('nan'):.2f}x")
    return ok
