"""Person search at scale: name prefix, last 4 ID digits, full phone number.

Times the code path of the finder page (``selectors.person_search``, the page
slice, the care-tag prefetch and the address labels, with the user's grants
loaded afresh as on every request) against a baseline measured in the same
run: the same main search query, replayed as bare SQL on the driver's cursor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shequ_bench python bench/search_people.py --people 1000000

Target (issue "Foundation"): p95 <= 50 ms on 1,000,000 people in PostgreSQL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402

TARGET_MS = 50
USERS = (("worker", "community worker"), ("street", "street cadre"), ("district", "district cadre"))
KINDS = ("name", "id_tail", "phone")


def samples(user, count: int, rng: random.Random) -> dict[str, list[str]]:
    """What people would type, drawn from people the user can see."""
    from shequ.core import pii
    from shequ.registry.models import Person

    visible = Person.objects.visible_to(user)
    top = visible.order_by("-pk").values_list("pk", flat=True).first()
    bottom = visible.order_by("pk").values_list("pk", flat=True).first()
    rows = []
    while len(rows) < count:
        # random pk ranges instead of ORDER BY random() over a million rows
        start = rng.randint(bottom, top)
        rows += list(visible.filter(pk__gte=start).order_by("pk").values_list("name", "id_tail", "phone_cipher")[:5])
    rows = rows[:count]
    return {
        "name": [name[:2] for name, _tail, _phone in rows],  # surname and first given character
        "id_tail": [tail for _name, tail, _phone in rows],
        "phone": [pii.decrypt(phone) for _name, _tail, phone in rows if phone] or ["13800000000"],
    }


def run_path(user, query: str):
    """What the finder view does for one query, minus the template."""
    from shequ.accounts.scope import forget_grants
    from shequ.registry import selectors

    forget_grants(user)  # each request loads the grants again
    _kind, found = selectors.person_search(user=user, query=query)
    rows = list(found[: selectors.SEARCH_LIMIT + 1])
    selectors.attach_addresses(rows[: selectors.SEARCH_LIMIT])
    return rows


def main_query(statements: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The search itself: the statement that reads the page of people."""
    for sql, params in statements:
        # the page query is ordered; the exists() probe before a name search is not
        if 'FROM "registry_person"' in sql and "ORDER BY" in sql:
            return [(sql, params)]
    raise RuntimeError("no person query captured: did the selector change?")


def bench_user(username: str, label: str, queries: int, rng: random.Random) -> list[benchkit.Figures]:
    user = benchkit.demo_user(username)
    inputs = samples(user, queries, rng)
    figures = []
    for kind in KINDS:
        values = inputs[kind]
        for value in values[:10]:  # warm the caches and the connection
            run_path(user, value)
        path_ms, bare_ms = [], []
        for value in (values * (queries // len(values) + 1))[:queries]:
            with benchkit.capture() as captured:
                path_ms.append(benchkit.timed(lambda: run_path(user, value)))
            statement = main_query(captured.statements)
            bare_ms.append(benchkit.timed(lambda: benchkit.replay(statement)))
        figures.append(benchkit.Figures(f"{label} {kind}", path_ms, bare_ms))
        print(figures[-1].line(), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = benchkit.setup(argv, __doc__.splitlines()[0])
    people = benchkit.ensure_people(args)
    print(f"person search on {people:,} people ({benchkit.describe_database()}), {args.queries} queries per case")
    rng = random.Random(7)
    figures = []
    for username, label in USERS:
        figures += bench_user(username, label, args.queries, rng)
    return 0 if benchkit.verdict(figures, TARGET_MS) else 1


if __name__ == "__main__":
    sys.exit(main())
