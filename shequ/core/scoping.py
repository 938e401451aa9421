"""Area scoping: the one way any query is narrowed to what a user may see.

Every area-bound model uses :class:`ScopedQuerySet` and names the lookup to its
area's ``path``. ``Model.objects.visible_to(user)`` is then the only filter views,
API routes, exports and admin pages apply; filtering by area by hand is a bug.

Paths are ``/<id>/<id>/.../`` strings. A subtree is a *range* of paths rather than
a ``LIKE 'prefix%'``: SQLite will not use an index for Django's ``startswith``
(it adds an ESCAPE clause), while ``path >= '/1/5/' AND path < '/1/50'`` is an
index range scan on both SQLite and PostgreSQL ('/' sorts just before '0' in byte
order; PostgreSQL path columns are given the "C" collation by a migration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from shequ.accounts.models import User


def subtree_q(path_lookup: str, path: str) -> Q:
    """Q matching every row whose ``path_lookup`` lies in the subtree at ``path``."""
    upper = path[:-1] + "0"
    return Q(**{f"{path_lookup}__gte": path, f"{path_lookup}__lt": upper})


class ScopedQuerySet(models.QuerySet):
    #: lookup from this model to the ``path`` of the area it belongs to
    area_path_lookup: str = "area__path"

    def visible_to(self, user: User, capability: str = "registry.view") -> ScopedQuerySet:
        """Rows inside the areas where ``user`` holds ``capability``; none if anonymous."""
        from shequ.accounts.scope import grant_paths

        paths = grant_paths(user, capability)
        if not paths:
            return self.none()
        condition = Q()
        for path in paths:
            condition |= subtree_q(self.area_path_lookup, path)
        return self.filter(condition)

    def editable_by(self, user: User) -> ScopedQuerySet:
        """Rows ``user`` may change: the same method, asked for the change capability."""
        return self.visible_to(user, "registry.change")
