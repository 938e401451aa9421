"""What the import commands share: who the import runs as."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.accounts.models import User
from shequ.accounts.scope import user_can


def command_actor(username: str | None, *, capability: str, refusal: str) -> Actor:
    """The system, or with ``--as`` an active user who holds ``capability``; ``refusal``
    (with ``%(name)s``) says why a user without it may not run the command."""
    if not username:
        return Actor.system(via="cli")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("没有名为 %(name)s 的有效用户。") % {"name": username})
    if not user_can(user, capability):
        raise CommandError(refusal % {"name": username})
    return Actor(user=user, via="cli")
