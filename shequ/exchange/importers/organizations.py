"""Import organizations with their unified social credit codes."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.columns import Column, choice_lookup, pick
from shequ.exchange.importers.lookups import area_problem, areas_by_code, chunks
from shequ.registry.models import Organization
from shequ.registry.validators import validate_uscc


class OrganizationImporter(Importer):
    kind = "organizations"
    label = _("组织")
    model = Organization
    columns = (
        Column("name", "名称", ("name",), required=True, example="长庆坊物业服务有限公司", help=_("不超过120个字符。")),
        Column("kind", "类别", ("kind", "type"), required=True, choices=lambda: Organization.Kind.choices,
               example="物业服务企业", help=_("物业服务企业、商户、党组织、社会组织、自治组织或其他。")),
        Column("uscc", "统一社会信用代码", ("uscc", "credit code", "信用代码"), example="91610113MA6TXXXX0X",
               help=_("18位，按GB 32100校验；党组织等没有代码的可不填。")),
        Column("area_code", "区域编码", ("area code", "area"), required=True, example="610113001001",
               help=_("所属区域（社区、小区等）的编码。")),
        Column("address", "地址", ("address",), example="长庆坊3号楼底商", help=_("不超过200个字符。")),
        Column("legal_representative", "法定代表人", ("legal representative",), example="王五"),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kinds = choice_lookup(Organization.Kind.choices)

    def clean_row(self, cells: Cells) -> Row | None:
        row: Row = {
            "name": cells.text("name", 120, required=True),
            "kind": cells.parse("kind", lambda value: pick(self.kinds, value, _("不是可选的值。"))),
            "area_code": cells.required("area_code"),
            "address": cells.text("address", 200),
            "legal_representative": cells.text("legal_representative", 50),
            "uscc": None,
        }
        if not cells.get("kind"):
            cells.problem("kind", _("必填。"))
        if raw := cells.get("uscc"):
            try:
                row["uscc"] = validate_uscc(raw)
            except ValidationError as exc:
                cells.problem("uscc", exc.messages[0])
        return row

    def check(self, rows: list[Row]) -> None:
        self.unique_in_file(rows, "uscc", lambda row: row["uscc"],
                            lambda first: _("与第%(row)s行的统一社会信用代码重复。") % {"row": first})
        codes = sorted({row["uscc"] for row in rows if row["uscc"]})
        registered: set[str] = set()
        for part in chunks(codes):
            registered.update(Organization.objects.filter(uscc__in=part).values_list("uscc", flat=True))
        areas = areas_by_code(self.actor, [row["area_code"] for row in rows])
        for row in rows:
            if row["uscc"] in registered:
                self.problem(row["row"], "uscc", row["uscc"], _("该统一社会信用代码已登记。"))
            reason = area_problem(areas.get(row["area_code"]), row["area_code"])
            if reason:
                self.problem(row["row"], "area_code", row["area_code"], reason)
            else:
                row["area"] = areas[row["area_code"]]

    def write(self, rows: list[Row]) -> list[int]:
        organizations = [
            Organization(name=row["name"], kind=row["kind"], uscc=row["uscc"], area_id=row["area"].id,
                         address=row["address"], legal_representative=row["legal_representative"])
            for row in rows
        ]
        Organization.objects.bulk_create(organizations, batch_size=500)
        return [organization.pk for organization in organizations]

    def area_paths(self, rows: list[Row]) -> list[str]:
        return [row["area"].path for row in rows]

    def counts(self, rows: list[Row]) -> dict[str, int]:
        return {str(Organization.Kind(kind).label): n for kind, n in Counter(row["kind"] for row in rows).items()}

    def preview_row(self, row: Row) -> list[str]:
        return [row["name"], str(Organization.Kind(row["kind"]).label), row["uscc"] or "", row["area_code"],
                row["address"], row["legal_representative"]]
