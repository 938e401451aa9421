"""Hotline export rows for the hotline import tests."""

from __future__ import annotations

from pathlib import Path

from shequ.exchange.tests.import_files import write_table

HEADER = ["工单编号", "来电时间", "来电人", "来电号码", "诉求类型", "问题分类", "诉求内容", "事发地址", "所属区县",
          "所属街道", "所属社区", "小区名称", "紧急程度", "办理时限"]


def hotline_row(ticket: str = "XA0001", **values) -> list[str]:
    """One row in HEADER order; keyword names are the Chinese headers."""
    row = {
        "工单编号": ticket, "来电时间": "2025-03-03 09:15", "来电人": "张先生", "来电号码": "13812345678",
        "诉求类型": "投诉", "问题分类": "环境卫生>垃圾清运", "诉求内容": "3号楼门口垃圾堆放三天无人清运，气味很大。",
        "事发地址": "长庆坊3号楼2单元301", "所属区县": "雁塔区", "所属街道": "小寨路街道", "所属社区": "长庆坊社区",
        "小区名称": "长庆坊", "紧急程度": "一般", "办理时限": "",
    }
    row.update(values)
    return [row[header] for header in HEADER]


def hotline_file(tmp_path: Path, rows: list[list[str]], fmt: str = "xlsx", encoding: str = "utf-8",
                 header: list[str] = HEADER) -> Path:
    return write_table(tmp_path, [header, *rows], fmt, encoding)
