import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.accounts.audit import Actor
from shequ.notices import selectors, services
from shequ.registry.models import Area, House

pytestmark = pytest.mark.django_db


def grow(parent, level, names):
    rows = Area.objects.bulk_create([Area(parent=parent, level=level, code=f"{parent.code}-{n}", name=n,
                                          depth=parent.depth + 1) for n in names])
    for row in rows:
        row.path = f"{parent.path}{row.pk}/"
    Area.objects.bulk_update(rows, ["path"])
    return rows


def test_scale(tree, approved, approver, resident_user):
    t = time.perf_counter()
    units = []
    for b in grow(tree.complex_a, "building", [f"B{i}" for i in range(40)]):
        units += grow(b, "unit", ["1", "2"])
    houses = []
    for u in units:
        houses += grow(u, "house", [f"{u.code}-{i:03d}" for i in range(50)])
    House.objects.bulk_create([House(area=h, number=h.name[-3:], floor_area=Decimal("80")) for h in houses])
    print("setup", time.perf_counter() - t, House.objects.count())
    notice = approved(channels=["terminals", "residents"], urgent=True)
    t = time.perf_counter()
    import cProfile, pstats
    pr = cProfile.Profile(); pr.enable()
    with CaptureQueriesContext(connection) as q:
        services.notice_publish(actor=Actor(user=approver), notice=notice)
    pr.disable()
    print("publish", time.perf_counter() - t, len(q))
    for s_ in q.captured_queries: print(s_["time"], s_["sql"][:150])
    pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        c = selectors.read_counts(notice=notice)
    print("counts", time.perf_counter() - t, len(q), c.recipients, len(c.buildings))
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        n = selectors.unread_count_for(resident_user)
    print("badge", time.perf_counter() - t, len(q), n)
    for s in q.captured_queries: print(s["sql"][:600])
