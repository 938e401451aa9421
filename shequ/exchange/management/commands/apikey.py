"""``python -m django apikey create|list|revoke``: API keys for machines."""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.accounts.audit import Actor, format_time
from shequ.accounts.models import RoleGrant, User
from shequ.exchange.models import ApiKey
from shequ.exchange.services import apikey_create, apikey_revoke, parse_key

SERVICE_USER_PREFIX = "api:"

HELP = gettext_lazy(
    "管理 API 密钥（供上级平台和外部系统调用 /api/v1/）。\n"
    "\n"
    "  apikey create NAME [--user USERNAME]\n"
    "      创建密钥，输出的最后一个词就是密钥，只显示这一次。\n"
    "      密钥代表一个用户，能看到、改动的正是该用户角色授权范围内的数据。\n"
    "      不给 --user 时，使用（不存在则创建）专用服务账号 \"api:NAME\"：\n"
    "      它不能用密码登录，也没有任何角色授权，须由安全管理员在相应区域为它授予角色后，\n"
    "      密钥才能看到数据。推荐这样做：密钥不依附于某个工作人员，人员调离也不受影响。\n"
    "      给 --user 时，密钥代表该用户并拥有其全部权限（不经过第二因素），请慎用。\n"
    "  apikey list [--all]\n"
    "      列出有效的密钥（--all 包括已撤销的）。只显示前缀，密钥本身无法再次查看。\n"
    "  apikey revoke PREFIX\n"
    "      立即撤销前缀为 PREFIX 的密钥（shq_<前缀>_… 中的前缀）。\n"
)


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> ArgumentParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter  # keep the help's line breaks
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help=gettext_lazy("创建密钥；最后输出的词是密钥"))
        create.add_argument("name", help=gettext_lazy("密钥名称，如调用方系统的名字"))
        create.add_argument("--user", help=gettext_lazy("密钥代表的用户名；默认为服务账号 api:NAME"))
        listing = actions.add_parser("list", help=gettext_lazy("列出密钥"))
        listing.add_argument("--all", action="store_true", help=gettext_lazy("包括已撤销的密钥"))
        revoke = actions.add_parser("revoke", help=gettext_lazy("撤销密钥"))
        revoke.add_argument("prefix", help=gettext_lazy("密钥前缀"))

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(**options)

    def _create(self, *, name: str, user: str | None, **_options: Any) -> None:
        actor = Actor.system(via="cli")
        with transaction.atomic():
            if user:
                account = User.objects.filter(username=user).first()
                if account is None:
                    raise CommandError(_("用户“%(user)s”不存在。") % {"user": user})
            else:
                account = self._service_user(name)
            try:
                key, raw = apikey_create(actor=actor, name=name, user=account)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        if not RoleGrant.objects.active().filter(user=account).exists():
            self.stdout.write(self.style.WARNING(_(
                "用户“%(user)s”还没有任何角色授权：授权之前，此密钥看不到任何数据。"
                "请由安全管理员在相应区域为该用户授予角色。"
            ) % {"user": account.username}))
        self.stdout.write(_("API 密钥“%(name)s”（前缀 %(prefix)s，代表用户 %(user)s）。密钥只显示这一次，请立即保存：")
                          % {"name": key.name, "prefix": key.prefix, "user": account.username})
        self.stdout.write(raw)  # must stay the last word of the output: scripts take it from there

    def _service_user(self, name: str) -> User:
        username = f"{SERVICE_USER_PREFIX}{name.strip()}"
        account, created = User.objects.get_or_create(username=username, defaults={"display_name": name.strip()[:50]})
        if created:
            account.set_unusable_password()  # a machine account: only its keys log it in
            account.save(update_fields=["password"])
            self.stdout.write(_("已创建服务账号“%(user)s”（不能用密码登录）。") % {"user": username})
        return account

    def _list(self, *, all: bool, **_options: Any) -> None:
        keys = ApiKey.objects.select_related("user").order_by("created_at")
        if not all:
            keys = keys.filter(revoked_at__isnull=True)
        rows = [(_("前缀"), _("名称"), _("用户"), _("创建时间"), _("最近使用"), _("状态"))]
        for key in keys:
            state = _("已撤销 %(at)s") % {"at": format_time(key.revoked_at)} if key.revoked_at else _("有效")
            if not key.revoked_at and not key.user.is_active:
                state = _("用户已停用")
            rows.append((key.prefix, key.name, key.user.username, format_time(key.created_at),
                         format_time(key.last_used_at) if key.last_used_at else "-", state))
        if len(rows) == 1:
            self.stdout.write(_("没有密钥。"))
            return
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())

    def _revoke(self, *, prefix: str, **_options: Any) -> None:
        parsed = parse_key(prefix)  # a whole key pasted instead of its prefix
        prefix = parsed[0] if parsed else prefix.strip()
        key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        if key is None:
            raise CommandError(_("没有前缀为“%(prefix)s”的密钥。") % {"prefix": prefix})
        if key.revoked_at is not None:
            self.stdout.write(_("密钥 %(prefix)s 早已撤销。") % {"prefix": key.prefix})
            return
        apikey_revoke(actor=Actor.system(via="cli"), key=key)
        self.stdout.write(_("已撤销密钥 %(prefix)s（%(name)s）。") % {"prefix": key.prefix, "name": key.name})
