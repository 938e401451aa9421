"""Import area nodes (city down to unit) by code and parent code."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.columns import CellError, Column, choice_lookup, pick
from shequ.exchange.importers.lookups import area_problem, areas_by_code
from shequ.registry.models import Area
from shequ.registry.models.area import CHILD_LEVEL, LEVEL_DEPTH, AreaLevel
from shequ.registry.validators import validate_area_code


def _levels() -> list[tuple[str, object]]:
    # houses carry attributes (floor area, use, ...): they come through the house import
    return [(level.value, level.label) for level in AreaLevel if level != AreaLevel.HOUSE]


class AreaImporter(Importer):
    kind = "areas"
    label = _("区域")
    model = Area
    columns = (
        Column("code", "编码", ("code", "area code", "区域编码"), required=True, example="610113001003",
               help=_("区县6位、街道9位、社区12位统计区划代码；小区、楼栋、单元可自编，不超过32个字符。")),
        Column("name", "名称", ("name",), required=True, example="曲江池社区", help=_("区域名称。")),
        Column("level", "层级", ("level",), required=True, choices=_levels, example="社区",
               help=_("市、区县、街道、社区、小区、楼栋、单元之一。房屋请用房屋导入。")),
        Column("parent_code", "上级编码", ("parent code", "parent"), example="610113001",
               help=_("上级区域的编码：可以是系统中已有的区域，也可以是本文件中的另一行。只有“市”可以不填。")),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.level_lookup = choice_lookup(_levels())

    def clean_row(self, cells: Cells) -> Row | None:
        name = cells.text("name", 100, required=True)
        level = ""
        if raw_level := cells.required("level"):
            try:
                level = pick(self.level_lookup, raw_level, _("未知的层级。"))
            except CellError as exc:
                cells.problem("level", exc.message)
        code = cells.required("code")
        if code and level:
            try:
                code = validate_area_code(level, code)
            except ValidationError as exc:
                cells.problem("code", exc.messages[0])
        parent_code = cells.get("parent_code")
        if level and level != AreaLevel.CITY and not parent_code:
            cells.problem("parent_code", _("必填。"))
        if level == AreaLevel.CITY and parent_code:
            cells.problem("parent_code", _("“市”级区域不能有上级。"))
        return {"code": code, "name": name, "level": level, "parent_code": parent_code}

    def check(self, rows: list[Row]) -> None:
        self.unique_in_file(rows, "code", lambda row: row["code"],
                            lambda first: _("与第%(row)s行的编码重复。") % {"row": first})
        in_file = {}
        for row in rows:
            in_file.setdefault(row["code"], row)
        known = areas_by_code(self.actor, [row["code"] for row in rows] + [row["parent_code"] for row in rows])
        for row in rows:
            if row["code"] in known:
                self.problem(row["row"], "code", row["code"], _("该编码已存在。"))
            if row["level"] == AreaLevel.CITY:
                if self.actor.user is not None:
                    self.problem(row["row"], "level", row["level"], _("只有系统管理命令可以新建“市”级区域。"))
                continue
            self._check_parent(row, in_file.get(row["parent_code"]), known.get(row["parent_code"]))

    def _check_parent(self, row: Row, parent_row: Row | None, parent: object) -> None:
        code = row["parent_code"]
        if parent_row is not None and parent_row is not row:
            parent_level = parent_row["level"]
        else:
            reason = area_problem(parent, code)
            if reason:
                self.problem(row["row"], "parent_code", code, reason)
                return
            parent_level = parent.level
        if CHILD_LEVEL.get(AreaLevel(parent_level)) != row["level"]:
            expected = CHILD_LEVEL.get(AreaLevel(parent_level))
            self.problem(row["row"], "level", row["level"], _("“%(parent)s”下只能建立“%(expected)s”。") % {
                "parent": code, "expected": expected.label if expected else "-"})

    def write(self, rows: list[Row]) -> list[int]:
        parents = areas_by_code(self.actor, {row["parent_code"] for row in rows})
        ids = {ref.code: (ref.id, ref.path) for ref in parents.values()}
        by_depth: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            by_depth[LEVEL_DEPTH[AreaLevel(row["level"])]].append(row)
        created: list[int] = []
        self._paths: list[str] = []
        # parents before children: a level's rows may hang under the previous level's new rows
        for depth in sorted(by_depth):
            level_rows = by_depth[depth]
            areas = [
                Area(code=row["code"], name=row["name"], level=row["level"], depth=depth,
                     parent_id=ids[row["parent_code"]][0] if row["parent_code"] else None)
                for row in level_rows
            ]
            Area.objects.bulk_create(areas, batch_size=500)
            for row, area in zip(level_rows, areas):
                parent_path = ids[row["parent_code"]][1] if row["parent_code"] else "/"
                area.path = f"{parent_path}{area.pk}/"
                ids[area.code] = (area.pk, area.path)
                created.append(area.pk)
                self._paths.append(area.path)
            Area.objects.bulk_update(areas, ["path"], batch_size=500)
        return created

    def area_paths(self, rows: list[Row]) -> list[str]:
        return self._paths

    def counts(self, rows: list[Row]) -> dict[str, int]:
        result: dict[str, int] = defaultdict(int)
        for row in rows:
            result[str(AreaLevel(row["level"]).label)] += 1
        return dict(result)

    def preview_row(self, row: Row) -> list[str]:
        return [row["code"], row["name"], str(AreaLevel(row["level"]).label), row["parent_code"]]
