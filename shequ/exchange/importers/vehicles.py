"""Import vehicles: plates checked to GA 36, owner by ID number, house or parking space."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.columns import MASK_ID, Column
from shequ.exchange.importers.lookups import (
    area_problem, areas_by_code, chunks, normalise_id_number, people_by_id_number,
)
from shequ.registry.models import Area, Vehicle
from shequ.registry.services.things import plate_kind
from shequ.registry.validators import validate_plate


class VehicleImporter(Importer):
    kind = "vehicles"
    label = _("车辆")
    model = Vehicle
    columns = (
        Column("plate", "车牌号", ("plate", "plate number", "车牌"), required=True, example="陕A12345",
               help=_("按GA 36校验，含8位新能源号牌；“陕A·12345”等写法均可。")),
        Column("owner_id_number", "车主证件号码", ("owner id number", "owner id", "车主身份证号"), mask=MASK_ID,
               example="610113198005170015", help=_("车主须已登记；可不填。")),
        Column("house_code", "房屋编码", ("house code", "house"), example="CQF-03-2-0301", help=_("可不填。")),
        Column("parking_space", "车位", ("parking space", "parking"), example="B2-017", help=_("可不填。")),
        Column("area_code", "区域编码", ("area code", "area"), example="CQF",
               help=_("车辆登记所在的区域（通常是小区）。不填时取房屋所在小区。")),
        Column("brand", "品牌型号", ("brand", "model"), example="比亚迪秦"),
        Column("color", "颜色", ("color", "colour"), example="白色"),
    )

    def clean_row(self, cells: Cells) -> Row | None:
        row: Row = {
            "plate": "", "owner_id_number": normalise_id_number(cells.get("owner_id_number")),
            "house_code": cells.get("house_code"), "area_code": cells.get("area_code"),
            "parking_space": cells.text("parking_space", 30), "brand": cells.text("brand", 50),
            "color": cells.text("color", 20),
        }
        if raw := cells.required("plate"):
            try:
                row["plate"] = validate_plate(raw)
            except ValidationError as exc:
                cells.problem("plate", exc.messages[0])
            row["plate_raw"] = raw
        if not row["area_code"] and not row["house_code"]:
            cells.problem("area_code", _("请填写区域编码或房屋编码。"))
        return row

    def check(self, rows: list[Row]) -> None:
        self.unique_in_file(rows, "plate", lambda row: row["plate"],
                            lambda first: _("与第%(row)s行的车牌号重复。") % {"row": first})
        registered: set[str] = set()
        for part in chunks(sorted({row["plate"] for row in rows})):
            registered.update(Vehicle.objects.filter(plate__in=part).values_list("plate", flat=True))
        owners = people_by_id_number(self.actor, [row["owner_id_number"] for row in rows])
        refs = areas_by_code(self.actor, [row["house_code"] for row in rows] + [row["area_code"] for row in rows])
        complexes = self._complexes_of([refs[row["house_code"]] for row in rows
                                        if not row["area_code"] and row["house_code"] in refs])
        for row in rows:
            if row["plate"] in registered:
                self.problem(row["row"], "plate", row["plate_raw"], _("该车牌号已登记。"))
            row["owner_id"] = self._owner(row, owners)
            row["house"] = None
            if row["house_code"]:
                reason = area_problem(refs.get(row["house_code"]), row["house_code"], {Area.Level.HOUSE})
                if reason:
                    self.problem(row["row"], "house_code", row["house_code"], reason)
                    continue
                row["house"] = refs[row["house_code"]]
            if row["area_code"]:
                area = refs.get(row["area_code"])
                reason = area_problem(area, row["area_code"])
            else:
                area = complexes.get(row["house"].id)
                reason = area_problem(area, area.code if area else row["house_code"], {Area.Level.COMPLEX})
            if reason:
                self.problem(row["row"], "area_code", row["area_code"], reason)
            row["area"] = area

    def _owner(self, row: Row, owners: dict) -> int | None:
        if not row["owner_id_number"]:
            return None
        visible = [ref for ref in owners.get(row["owner_id_number"], []) if ref.visible]
        if len(visible) != 1:
            self.problem(row["row"], "owner_id_number", row["owner_id_number"],
                         _("在您可以查看的区域中没有找到持该证件号码的人员。") if not visible
                         else _("多名人员持有该号码，请在页面上登记车主。"))
            return None
        return visible[0].id

    def _complexes_of(self, houses: list) -> dict[int, object]:
        """House area id -> AreaRef of the complex it lies in."""
        complex_of: dict[int, int] = {}
        ancestor_ids = set()
        for house in houses:
            ids = [int(part) for part in house.path.strip("/").split("/")]
            ancestor_ids.update(ids)
            complex_of[house.id] = ids
        found = dict(Area.objects.filter(pk__in=ancestor_ids, level=Area.Level.COMPLEX).values_list("pk", "code"))
        refs = areas_by_code(self.actor, found.values())
        result = {}
        for house_id, ids in complex_of.items():
            code = next((found[pk] for pk in ids if pk in found), None)
            if code is not None:
                result[house_id] = refs[code]
        return result

    def write(self, rows: list[Row]) -> list[int]:
        vehicles = [
            Vehicle(plate=row["plate"], plate_kind=plate_kind(row["plate"]), owner_id=row["owner_id"],
                    house_id=row["house"].house_id if row["house"] else None, parking_space=row["parking_space"],
                    brand=row["brand"], color=row["color"], area_id=row["area"].id)
            for row in rows
        ]
        Vehicle.objects.bulk_create(vehicles, batch_size=500)
        return [vehicle.pk for vehicle in vehicles]

    def area_paths(self, rows: list[Row]) -> list[str]:
        return [row["area"].path for row in rows]

    def counts(self, rows: list[Row]) -> dict[str, int]:
        kinds = Counter(plate_kind(row["plate"]) for row in rows)
        return {str(Vehicle.PlateKind(kind).label): n for kind, n in kinds.items()}

    def preview_row(self, row: Row) -> list[str]:
        return [row["plate"], self._columns["owner_id_number"].masked(row["owner_id_number"]), row["house_code"],
                row["parking_space"], row["area"].code, row["brand"], row["color"]]
