"""The command-line options of ``shequ edge``, kept light (no numpy, no MQTT) so
``shequ --help`` does not load the face stack to list them."""

from __future__ import annotations

import argparse
from pathlib import Path

#: (flags, argparse options) of each option
ARGUMENTS: list[tuple[tuple[str, ...], dict]] = [
    (("--device-id",), dict(required=True, help="设备编号（平台登记的 device_id）")),
    (("--secret-file",), dict(required=True, type=Path, help="设备密钥文件（登记时显示一次的密钥）")),
    (("--db",), dict(type=Path, help="本地 SQLite 文件（默认 ./var/edge-<设备编号>.sqlite3）")),
    (("--broker-host",), dict(default="127.0.0.1", help="MQTT 服务器地址（默认 127.0.0.1）")),
    (("--broker-port", "--port"), dict(dest="broker_port", type=int, default=1883, help="MQTT 端口（默认 1883）")),
    (("--relay",), dict(default="simulated",
                        help="继电器：simulated，或 modbus:/dev/ttyUSB0,unit=1,coil=0,baud=9600")),
    (("--direction",), dict(choices=["in", "out", ""], default="", help="通行方向（in 进 / out 出）")),
    (("--unlock-seconds",), dict(type=float, default=5.0, help="开锁时长（秒，默认 5）")),
    (("--held-open-after",), dict(type=float, default=30.0, help="门长时间未关的告警时间（秒，默认 30）")),
    (("--faces",), dict(action=argparse.BooleanOptionalAction, default=True,
                        help="启用人脸识别（默认启用；--no-faces 关闭）")),
    (("--face-workers",), dict(type=int, default=2, help="人脸计算进程数（默认 2，每核一个）")),
    (("--face-threshold",), dict(type=float, default=None, help="人脸匹配距离阈值（默认值及其测量见 docs/edge.md）")),
    (("--face-margin",), dict(type=float, default=None, help="与第二相近者的最小距离差（默认值见 docs/edge.md）")),
    (("--liveness",), dict(help="活体检测类 module:Class（默认不检测，见 docs/edge.md）")),
    (("--input",), dict(help="读卡器等输入：unix:PATH（默认数据库旁的 .sock）或 stdin")),
    (("--heartbeat",), dict(type=float, default=30.0, help="心跳间隔（秒，默认 30）")),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for flags, options in ARGUMENTS:
        parser.add_argument(*flags, **options)
