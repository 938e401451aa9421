from shequ.core.scoping import subtree_q
from shequ.registry.models import Area, House


def test_subtree_range_does_not_leak_into_a_sibling_with_a_longer_id(db):
    # "/1/5/" must not match "/1/50/": the classic prefix bug of string paths
    q = subtree_q("path", "/1/5/")
    rows = [Area(path=p, code=p, name=p, level="city") for p in ["/1/5/", "/1/5/9/", "/1/50/", "/1/6/", "/1/4/"]]
    Area.objects.bulk_create(rows)
    assert sorted(Area.objects.filter(q).values_list("path", flat=True)) == ["/1/5/", "/1/5/9/"]


def test_visible_to_returns_nothing_for_anonymous_users(tree):
    from django.contrib.auth.models import AnonymousUser

    assert not House.objects.visible_to(AnonymousUser()).exists()


def test_a_resident_sees_only_their_own_house(tree, resident_user):
    assert list(House.objects.visible_to(resident_user)) == [tree.house_a]


def test_a_revoked_grant_stops_working(tree, worker):
    from shequ.accounts.models import RoleGrant, User
    from django.utils import timezone

    RoleGrant.objects.filter(user=worker).update(revoked_at=timezone.now())
    fresh = User.objects.get(pk=worker.pk)
    assert not House.objects.visible_to(fresh).exists()


def test_editable_by_needs_the_change_capability(tree, police):
    assert House.objects.visible_to(police).exists()
    assert not House.objects.editable_by(police).exists()


def test_a_retired_area_grant_gives_nothing(tree, worker):
    from shequ.accounts.models import User
    from datetime import date

    Area.objects.filter(pk=tree.community_a.pk).update(retired_on=date(2026, 1, 1))
    assert not House.objects.visible_to(User.objects.get(pk=worker.pk)).exists()
