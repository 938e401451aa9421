"""``--as USERNAME`` of the import commands: who the import runs as."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from shequ.accounts.roles import Capability
from shequ.exchange.commands import command_actor

REFUSAL = "用户 %(name)s 没有导入权限。"


def test_it_runs_as_the_system_without_a_username(db):
    actor = command_actor(None, capability=Capability.IMPORT, refusal=REFUSAL)

    assert actor.user is None and actor.via == "cli"


def test_it_runs_as_a_user_who_holds_the_capability(worker):
    actor = command_actor(worker.username, capability=Capability.IMPORT, refusal=REFUSAL)

    assert actor.user == worker and actor.via == "cli"


def test_it_refuses_a_user_without_the_capability(resident_user):
    with pytest.raises(CommandError, match=f"用户 {resident_user.username} 没有导入权限"):
        command_actor(resident_user.username, capability=Capability.IMPORT, refusal=REFUSAL)


def test_it_refuses_an_inactive_user(worker):
    worker.is_active = False
    worker.save(update_fields=["is_active"])

    with pytest.raises(CommandError, match="没有名为"):
        command_actor(worker.username, capability=Capability.IMPORT, refusal=REFUSAL)
