"""The ``shequ`` console command (also ``python -m shequ``).

Each subcommand is one function registered with :func:`command`; Django is set
up only when a subcommand runs, so ``shequ --help`` touches no data directory.
Subcommands that belong to an app delegate to its management command through
``call_command`` and hand back its exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class Arg:
    flags: tuple[str, ...]
    options: dict


def arg(*flags: str, **options) -> Arg:
    return Arg(flags, options)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    args: tuple[Arg, ...]


COMMANDS: list[Command] = []
#: subcommands whose arguments go unparsed to a management command
PASS_THROUGH = {"apikey"}
#: subcommands that run without Django (the edge runs on a gate PC with no platform database)
WITHOUT_DJANGO = {"edge"}


def command(name: str, help: str, *args: Arg) -> Callable:
    """Register ``func(args) -> exit status`` as ``shequ NAME``."""

    def register(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS.append(Command(name, help, func, args))
        return func

    return register


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django

    django.setup()


def delegate(name: str, *argv: str) -> int:
    """Run a management command; its CommandError becomes our exit status."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(name, *argv)
    except CommandError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return exc.returncode or 1
    except SystemExit as exc:  # commands that exit on their own (import: 1 when the file is refused; --help: 0)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return 0


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


# --- subcommands ------------------------------------------------------------------------------------------------

_WEB_ARGS = (
    arg("--host", default=DEFAULT_HOST, help=f"监听地址（默认 {DEFAULT_HOST}；局域网访问用 0.0.0.0）"),
    arg("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）"),
)


@command("web", "启动网站（uvicorn，ASGI）", *_WEB_ARGS)
def web(args: argparse.Namespace) -> int:
    _warn_unapplied_migrations()
    return serve(args.host, args.port)


def serve(host: str, port: int) -> int:
    import uvicorn
    from django.conf import settings

    # whitenoise serves from the finders, but warns on every start when STATIC_ROOT is missing
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Django's ASGI handler has no lifespan protocol; static files come from whitenoise
    uvicorn.run("shequ.asgi:application", host=host, port=port, lifespan="off")
    return 0


def _warn_unapplied_migrations() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("数据库结构不是最新的：请先运行 `shequ migrate`。", file=sys.stderr)


@command("migrate", "创建或升级数据库结构")
def migrate(args: argparse.Namespace) -> int:
    _migrate()
    return 0


@command(
    "seed", "生成确定性的演示数据（空数据库）",
    arg("--people", type=int, default=None, help="人数（默认 12000）"),
    arg("--seed", type=int, default=None, help="随机种子：同一种子生成同样的姓名、证件号等"),
)
def seed(args: argparse.Namespace) -> int:
    from shequ import seed as seeding

    people = seeding.DEMO_PEOPLE if args.people is None else args.people
    if people < 1:
        print("--people 必须大于 0。", file=sys.stderr)
        return 2
    try:
        report = seeding.seed(people=people, seed=_seed_value(args), progress=_progress)
    except seeding.NotEmpty:
        print("数据库中已有区域或人员数据，演示数据只能生成到空数据库中"
              "（换一个 DATABASE_URL，或删除数据目录中的 SQLite 文件）。", file=sys.stderr)
        return 1
    _print_report(report)
    return 0


def _seed_value(args: argparse.Namespace) -> int:
    from shequ.seed import DEFAULT_SEED

    return DEFAULT_SEED if args.seed is None else args.seed


def _progress(message: str) -> None:
    print(f"  {message}", flush=True)


def _print_report(report) -> None:
    labels = {"area": "区域节点", "house": "房屋", "person": "人员", "care": "关爱标签", "residence": "居住关系",
              "organization": "组织", "member": "组织成员", "vehicle": "车辆", "facility": "设施"}
    summary = "，".join(f"{labels.get(name, name)} {count:,}" for name, count in report.counts.items())
    print(f"已生成演示数据（种子 {report.seed}，用时 {report.seconds:.1f} 秒）：{summary}")


@command(
    "demo", "一键演示：迁移数据库、生成演示数据和演示账户、启动网站和门禁网关",
    *_WEB_ARGS,
    arg("--people", type=int, default=None, help="首次生成的人数（默认 12000）"),
    arg("--seed", type=int, default=None, help="随机种子"),
    arg("--no-web", action="store_true", help="只准备数据和账户，不启动网站"),
    arg("--mqtt-port", type=int, default=1883, help="门禁设备连接的 MQTT 端口（默认 1883；已有代理在用时直接连接它）"),
    arg("--no-gateway", action="store_true", help="不启动门禁网关和内置 MQTT 代理"),
)
def demo(args: argparse.Namespace) -> int:
    from shequ import seed as seeding
    from shequ.accounts.audit import Actor, audit_append
    from shequ.seed.demo_content import demo_content_ensure
    from shequ.seed.users import DemoAnchorsMissing, demo_users_ensure

    print("正在准备数据库……", flush=True)
    _migrate(verbosity=0)
    if seeding.registry_is_empty():
        print("正在生成演示数据……", flush=True)
        people = seeding.DEMO_PEOPLE if args.people is None else max(args.people, 1)
        _print_report(seeding.seed(people=people, seed=_seed_value(args),
                                   progress=_progress))
    content = None
    try:
        logins, created = demo_users_ensure()
    except DemoAnchorsMissing:
        print("数据库中已有数据但不是演示数据：未创建演示账户。", file=sys.stderr)
        logins = []
    else:
        if created:
            audit_append(actor=Actor.system(via="cli"), action="demo_users.created", detail={"users": created})
        content = demo_content_ensure()
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print()
    print(f"Shequ 演示：http://{host}:{args.port}/")
    if logins:
        _print_logins(logins)
    if content is not None:
        _print_demo_links(f"http://{host}:{args.port}", content)
    if args.no_web:
        return 0
    gateway = None if args.no_gateway else _demo_gateway(args.host, args.mqtt_port)
    try:
        return serve(args.host, args.port)
    finally:
        if gateway is not None:
            gateway.stop()


def _demo_gateway(host: str, port: int):
    """The access gateway on a thread of the web process (its events reach the guard console's
    in-memory channel layer), with an embedded amqtt broker unless one already listens on the port."""
    from shequ.gateway.broker import port_is_open
    from shequ.gateway.main import GatewayConfig, GatewayThread

    probe = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    embedded = not port_is_open(probe, port)
    gateway = GatewayThread(GatewayConfig(broker_host=host if embedded else probe, broker_port=port),
                            embedded=embedded)
    if not gateway.start():
        print(f"门禁网关未能启动：{gateway.error}", file=sys.stderr)
        return None
    where = "内置 MQTT 代理" if embedded else "已运行的 MQTT 代理"
    print(f"门禁网关已启动（{where} {probe}:{port}）")
    return gateway


def _print_logins(logins) -> None:
    print(f"演示账户（密码均为 {logins[0].password}）：")
    rows = [("用户名", "角色", "区域", "TOTP 密钥")] + [
        (login.username, str(login.role), login.area, login.totp_secret or "-（居民无需第二因素）") for login in logins
    ]
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  " + "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths)).rstrip())
    print("工作人员登录需要动态验证码：把 TOTP 密钥加入身份验证器应用，"
          "或运行 `shequ totp 用户名` 显示当前的6位验证码。")


def _print_demo_links(base: str, content) -> None:
    from django.urls import reverse

    print("演示内容（长庆坊）：")
    links = [
        ("门禁设备与通行规则（worker）", reverse("access:device_list")),
        ("通知审批（street）", reverse("notices:approval_queue")),
        ("访客通行证（resident）", reverse("visitors:my_passes")),
        ("门卫访客台（guard）", reverse("visitors:guard")),
        ("警民信箱（police、police_chief）", reverse("mailbox:inbox")),
    ]
    if content.kiosk_path:
        links.append(("居民家室内终端（无需登录）", content.kiosk_path))
    width = max(_width(label) for label, _path in links)
    for label, path in links:
        print(f"  {label}{' ' * (width - _width(label))}  {base}{path}")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


@command(
    "import", "从 Excel/CSV 导入登记数据（全部正确才写入）",
    arg("kind", help="数据种类，如 areas、houses、people、residence、organizations、vehicles"),
    arg("file", help=".xlsx 或 .csv 文件"),
    arg("--dry-run", action="store_true", help="只检查并预览，不写入"),
    arg("--as", dest="username", metavar="USERNAME", help="以该用户的权限导入；不给则以系统身份导入"),
)
def import_(args: argparse.Namespace) -> int:
    options = (["--dry-run"] if args.dry_run else []) + (["--as", args.username] if args.username else [])
    return delegate("import_registry", args.kind, args.file, *options)


@command("audit", "审计日志工具", arg("action", choices=["verify"], help="verify：校验哈希链，指出被改动或删除的记录"))
def audit(args: argparse.Namespace) -> int:
    return delegate("audit_verify")


@command("apikey", "管理 API 密钥（create / list / revoke，详见 shequ apikey --help）",
         arg("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS))
def apikey(args: argparse.Namespace) -> int:
    return delegate("apikey", *args.rest)


@command(
    "cases", "诉求事件工具：tick 扫描逾期并自动升级；hotline 导入12345热线导出文件；common 提出共性问题",
    arg("action", choices=["tick", "hotline", "common"], help="tick | hotline FILE | common"),
    arg("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS),
)
def cases(args: argparse.Namespace) -> int:
    commands = {"tick": "cases_tick", "hotline": "hotline_import", "common": "meetings_propose_common_problems"}
    return delegate(commands[args.action], *args.rest)


@command("tick", "运行一遍所有定时任务（报警升级、通知定时发布、访客逾时、信箱提醒、诉求逾期等）；"
                 "网关已在运行时不需要")
def tick(args: argparse.Namespace) -> int:
    setup_django()
    from shequ.core.jobs import jobs_run_all

    results = jobs_run_all()
    for name, ok in results.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(results.values()) else 1


@command(
    "gateway", "门禁网关：在 MQTT 代理和数据库之间收存设备事件、心跳，下发同步",
    arg("--broker-host", default="127.0.0.1", help="MQTT 代理地址（默认 127.0.0.1）"),
    arg("--broker-port", type=int, default=1883, help="MQTT 代理端口（默认 1883）"),
    arg("--embedded-broker", action="store_true", help="在本进程内启动 amqtt 代理，监听上面的地址和端口"),
    arg("--client-id", default="shequ-gateway", help="MQTT 客户端编号（持久会话；多个网关各用一个）"),
)
def gateway(args: argparse.Namespace) -> int:
    from shequ.gateway.main import run_gateway

    _warn_unapplied_migrations()
    return run_gateway(broker_host=args.broker_host, broker_port=args.broker_port,
                       embedded_broker=args.embedded_broker, client_id=args.client_id)


@command(
    "terminals", "室内/室外终端工具：simulate 模拟大量终端（通知接收、一键报警，详见 shequ terminals simulate --help）",
    arg("action", choices=["simulate"], help="simulate"),
    arg("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS),
)
def terminals(args: argparse.Namespace) -> int:
    from shequ.terminals.sim import main as simulate

    return simulate(args.rest)


@command("totp", "显示某个账户当前的6位动态验证码（演示用的运维工具）", arg("username", help="用户名"))
def totp(args: argparse.Namespace) -> int:
    import pyotp

    from shequ.accounts.models import User
    from shequ.core import pii

    user = User.objects.filter(username=args.username).first()
    if user is None or not user.totp_secret_cipher:
        print(f"账户“{args.username}”不存在或没有设置动态验证码。", file=sys.stderr)
        return 1
    print(pyotp.TOTP(pii.decrypt(user.totp_secret_cipher)).now())
    return 0


def _edge_args() -> tuple[Arg, ...]:
    from shequ.edge.options import ARGUMENTS

    return tuple(arg(*flags, **options) for flags, options in ARGUMENTS)


@command("edge", "门禁边缘程序：本地决策（平台离线也能通行）、事件补传、人脸识别（无需 Django）", *_edge_args())
def edge(args: argparse.Namespace) -> int:
    from shequ.edge.main import run

    return run(args)


# --- entry point ------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shequ", description="Shequ 社区治理与服务平台")
    parser.add_argument("--data-dir", help="数据目录：密钥文件、SQLite 数据库（默认 $SHEQU_DATA_DIR 或 ./var）")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for spec in COMMANDS:
        # the apikey command parses its own options, --help included
        sub = subcommands.add_parser(spec.name, help=spec.help, description=spec.help,
                                     add_help=spec.name not in PASS_THROUGH)
        for option in spec.args:
            sub.add_argument(*option.flags, **option.options)
        sub.set_defaults(run=spec.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    if args.command in PASS_THROUGH:
        # argparse leaves a leading option (`shequ apikey --help`) out of the remainder
        args.rest = extra + args.rest
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.data_dir:
        os.environ["SHEQU_DATA_DIR"] = args.data_dir
    if args.command not in WITHOUT_DJANGO:
        setup_django()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
