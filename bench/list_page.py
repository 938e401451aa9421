"""The registry people list page at scale: first page, filters applied.

Requests ``/people/?…`` through Django's test Client (middleware, session,
grants, form, selector, template: the whole page) logged in as a community
worker and as a street cadre. Baseline, measured in the same run: every SQL
statement that page ran, replayed as bare SQL on the driver's cursor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shequ_bench python bench/list_page.py --people 1000000

Target (issue "Foundation"): p95 <= 100 ms on 1,000,000 people in PostgreSQL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402

TARGET_MS = 100
USERS = (("worker", "community worker"), ("street", "street cadre"))


def logged_in_client(user):
    """A browser session past both login steps (password and TOTP)."""
    from django.test import Client

    client = Client(raise_request_exception=True)
    client.force_login(user)
    session = client.session
    session["second_factor_ok"] = True
    session.save()
    return client


def filter_sets(user, rng: random.Random) -> dict[str, dict[str, str]]:
    """The filters a worker uses most: care groups, floating population, a
    surname, one building, and the unfiltered first page."""
    from shequ.registry.models import Area, Person

    building = Area.objects.visible_to(user).filter(level=Area.Level.BUILDING).order_by("path").first()
    surname = rng.choice(["王", "李", "张", "刘", "陈"])
    assert Person.objects.visible_to(user).exists(), "the user sees nobody: is the database seeded?"
    return {
        "no filter": {},
        "care_tag=elderly_alone": {"care_tag": "elderly_alone"},
        "population_type=floating": {"population_type": "floating"},
        f"q={surname}": {"q": surname},
        "area=a building": {"area": str(building.pk)},
        "q + care_tag=empty_nest": {"q": surname, "care_tag": "empty_nest"},
    }


def bench_user(username: str, label: str, queries: int, rng: random.Random) -> list[benchkit.Figures]:
    user = benchkit.demo_user(username)
    client = logged_in_client(user)
    figures = []
    for name, params in filter_sets(user, rng).items():
        url = "/people/" + (f"?{urlencode(params)}" if params else "")
        for _ in range(5):  # warm up
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        per_filter = max(20, queries // 6)
        path_ms, bare_ms = [], []
        for _ in range(per_filter):
            with benchkit.capture() as captured:
                path_ms.append(benchkit.timed(lambda: client.get(url)))
            # reads only: the session save at the end of a request is not part of the page's data
            statements = [(sql, p) for sql, p in captured.statements if sql.lstrip().upper().startswith("SELECT")]
            bare_ms.append(benchkit.timed(lambda: benchkit.replay(statements)))
        figures.append(benchkit.Figures(f"{label} {name}"[:34], path_ms, bare_ms))
        print(figures[-1].line(), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = benchkit.setup(argv, __doc__.splitlines()[0])
    people = benchkit.ensure_people(args)
    print(f"people list page on {people:,} people ({benchkit.describe_database()}), "
          f"~{args.queries} requests per user")
    rng = random.Random(7)
    figures = []
    for username, label in USERS:
        figures += bench_user(username, label, args.queries, rng)
    return 0 if benchkit.verdict(figures, TARGET_MS) else 1


if __name__ == "__main__":
    sys.exit(main())
