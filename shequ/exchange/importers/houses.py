"""Import houses: each becomes a house-level area node under its unit plus its attributes."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.columns import CellError, Column, choice_lookup, parse_decimal, parse_int, pick
from shequ.exchange.importers.lookups import area_problem, areas_by_code
from shequ.registry.models import Area, House
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel
from shequ.registry.validators import validate_area_code

_MAX_AREA = Decimal("999999.99")  # DecimalField(max_digits=8, decimal_places=2)


def _floor_area(value: str) -> Decimal:
    area = parse_decimal(value)
    if area <= 0 or area > _MAX_AREA:
        raise CellError(_("建筑面积应大于0且不超过999999.99。"))
    if area.as_tuple().exponent < -2:
        raise CellError(_("建筑面积最多保留两位小数。"))
    return area


def _floor(value: str) -> int:
    floor = parse_int(value)
    if not -10 <= floor <= 200:
        raise CellError(_("楼层应在-10到200之间。"))
    return floor


class HouseImporter(Importer):
    kind = "houses"
    label = _("房屋")
    model = House
    columns = (
        Column("unit_code", "单元编码", ("unit code", "unit"), required=True, example="CQF-03-2",
               help=_("房屋所在单元的编码，该单元须已在系统中。")),
        Column("number", "房号", ("number", "house number", "room"), required=True, example="0301",
               help=_("房号，如0301。")),
        Column("floor", "楼层", ("floor",), example="3", text=False, help=_("整数，地下层为负数。")),
        Column("floor_area", "建筑面积", ("floor area", "area", "建筑面积(㎡)"), required=True, example="89.50",
               text=False, help=_("平方米，最多两位小数；业主表决按此计票。")),
        Column("use", "用途", ("use",), choices=lambda: House.Use.choices, example="住宅",
               help=_("不填为住宅。")),
        Column("status", "状态", ("status",), choices=lambda: House.Status.choices, example="自住",
               help=_("自住、出租或空置；不填为自住。")),
        Column("ownership", "产权性质", ("ownership",), choices=lambda: House.Ownership.choices, example="商品房",
               help=_("不填为商品房。")),
        Column("code", "房屋编码", ("house code", "code"), example="CQF-03-2-0301",
               help=_("不填则为“单元编码-房号”。人员、居住关系和车辆导入用它指向房屋。")),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lookups = {key: choice_lookup(self._columns[key].choices()) for key in ("use", "status", "ownership")}
        self.defaults = {"use": House.Use.RESIDENTIAL, "status": House.Status.OWNER_OCCUPIED,
                         "ownership": House.Ownership.COMMODITY}

    def clean_row(self, cells: Cells) -> Row | None:
        row: Row = {
            "unit_code": cells.required("unit_code"),
            "number": cells.text("number", 40, required=True),
            "floor": cells.parse("floor", _floor),
            "floor_area": cells.parse("floor_area", _floor_area),
        }
        if row["floor_area"] is None and not cells.get("floor_area"):
            cells.problem("floor_area", _("必填。"))
        for key, lookup in self.lookups.items():
            row[key] = cells.parse(key, lambda value, lookup=lookup: pick(lookup, value, _("不是可选的值。")),
                                   self.defaults[key])
        code = cells.get("code")
        if not code and row["unit_code"] and row["number"]:
            code = f"{row['unit_code']}-{row['number']}"
        try:
            row["code"] = validate_area_code(AreaLevel.HOUSE, code) if code else ""
        except ValidationError as exc:
            cells.problem("code", exc.messages[0], value=code)
        return row

    def check(self, rows: list[Row]) -> None:
        self.unique_in_file(rows, "code", lambda row: row["code"],
                            lambda first: _("与第%(row)s行的房屋编码重复。") % {"row": first})
        known = areas_by_code(self.actor, [row["code"] for row in rows] + [row["unit_code"] for row in rows])
        for row in rows:
            if row["code"] in known:
                self.problem(row["row"], "code", row["code"], _("该房屋编码已存在。"))
            reason = area_problem(known.get(row["unit_code"]), row["unit_code"], {AreaLevel.UNIT})
            if reason:
                self.problem(row["row"], "unit_code", row["unit_code"], reason)
        self.units = known

    def write(self, rows: list[Row]) -> list[int]:
        depth = LEVEL_DEPTH[AreaLevel.HOUSE]
        nodes = [Area(code=row["code"], name=row["number"], level=AreaLevel.HOUSE, depth=depth,
                      parent_id=self.units[row["unit_code"]].id) for row in rows]
        Area.objects.bulk_create(nodes, batch_size=500)
        for row, node in zip(rows, nodes):
            node.path = f"{self.units[row['unit_code']].path}{node.pk}/"
        Area.objects.bulk_update(nodes, ["path"], batch_size=500)
        self._paths = [node.path for node in nodes]
        houses = [
            House(area=node, number=row["number"], floor=row["floor"], floor_area=row["floor_area"], use=row["use"],
                  status=row["status"], ownership=row["ownership"])
            for row, node in zip(rows, nodes)
        ]
        House.objects.bulk_create(houses, batch_size=500)
        return [house.pk for house in houses]

    def area_paths(self, rows: list[Row]) -> list[str]:
        return self._paths

    def counts(self, rows: list[Row]) -> dict[str, int]:
        return {str(House.Use(use).label): n for use, n in Counter(row["use"] for row in rows).items()}

    def preview_row(self, row: Row) -> list[str]:
        return [row["unit_code"], row["number"], "" if row["floor"] is None else str(row["floor"]),
                str(row["floor_area"]), str(House.Use(row["use"]).label), str(House.Status(row["status"]).label),
                str(House.Ownership(row["ownership"]).label), row["code"]]
