"""``python -m django hotline_import FILE [--dry-run] [--as USERNAME]`` (settings: shequ.settings)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.cases.hotline import hotline_import
from shequ.exchange.commands import command_actor


class Command(BaseCommand):
    # a plain str: argparse formats help text with regular expressions, which refuse lazy strings
    help = (
        "导入12345热线导出的工单（.xlsx 或 .csv），全部成功或全部不写入；已导入的工单跳过，"
        "疑似重复的合并到未办结的原事件。文件被拒绝时打印每个问题（行、列、原因）并以状态码 1 退出。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help=_(".xlsx 或 .csv 文件"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查并预览，不写入"))
        parser.add_argument("--as", dest="username", metavar="USERNAME",
                            help=_("以该用户的权限导入（只能导入其可办理的小区）；不给则以系统身份导入"))

    def handle(self, *args: Any, file: Path, dry_run: bool, username: str | None, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        actor = command_actor(username, capability=Capability.CASES_HANDLE, refusal=_("用户 %(name)s 没有办理事件的权限。"))
        report = hotline_import(actor=actor, path=file, dry_run=dry_run)
        self.stdout.write(report.as_text())
        if not report.ok:
            raise SystemExit(1)
