"""Import residence: who lives in which house, as what, since when (and until when)."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.columns import MASK_ID, Column, choice_lookup, parse_date, pick
from shequ.exchange.importers.lookups import (
    area_problem, areas_by_code, chunks, normalise_id_number, people_by_id_number,
)
from shequ.registry.models import Area, Person, Residence

NOT_FOUND = _("在您可以导入的区域中没有找到持该证件号码的人员。")


class ResidenceImporter(Importer):
    kind = "residence"
    label = _("居住关系")
    model = Residence
    columns = (
        Column("id_number", "证件号码", ("id number", "id", "身份证号", "身份证号码"), required=True, mask=MASK_ID,
               example="610113198005170015", help=_("人员须已登记（先导入人员）。")),
        Column("house_code", "房屋编码", ("house code", "house"), required=True, example="CQF-03-2-0301",
               help=_("房屋须已在系统中。")),
        Column("relation", "关系", ("relation",), required=True, choices=lambda: Residence.Relation.choices,
               example="业主", help=_("业主、家庭成员或租户。")),
        Column("population_type", "人口类型", ("population type",), required=True,
               choices=lambda: Residence.PopulationType.choices, example="户籍人口",
               help=_("户籍人口、常住人口或流动人口。")),
        Column("start_date", "入住日期", ("start date", "start"), example="2020-05-01", help=_("不填为今天。")),
        Column("end_date", "迁出日期", ("end date", "end"), example="",
               help=_("已迁出的历史记录才填写。")),
        Column("lease_end", "租约到期", ("lease end",), example="", help=_("租户的租约到期日。")),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lookups = {key: choice_lookup(self._columns[key].choices()) for key in ("relation", "population_type")}

    def clean_row(self, cells: Cells) -> Row | None:
        row: Row = {"id_number": normalise_id_number(cells.required("id_number")),
                    "house_code": cells.required("house_code")}
        for key, lookup in self.lookups.items():
            raw = cells.required(key)
            row[key] = cells.parse(key, lambda value, lookup=lookup: pick(lookup, value, _("不是可选的值。"))) if raw else None
        row["start_date"] = cells.parse("start_date", parse_date, self.today)
        row["end_date"] = cells.parse("end_date", parse_date)
        row["lease_end"] = cells.parse("lease_end", parse_date)
        if row["end_date"] and row["start_date"] and row["end_date"] < row["start_date"]:
            cells.problem("end_date", _("迁出日期不能早于入住日期。"))
        if row["lease_end"] and row["start_date"] and row["lease_end"] < row["start_date"]:
            cells.problem("lease_end", _("租约到期日不能早于入住日期。"))
        return row

    def check(self, rows: list[Row]) -> None:
        people = people_by_id_number(self.actor, [row["id_number"] for row in rows])
        houses = areas_by_code(self.actor, [row["house_code"] for row in rows])
        for row in rows:
            matches = [ref for ref in people.get(row["id_number"], []) if ref.editable]
            if len(matches) != 1:
                # one message for "unknown" and "elsewhere": it must not tell who is registered where
                self.problem(row["row"], "id_number", row["id_number"],
                             NOT_FOUND if not matches else _("多名人员持有该号码，请在页面上逐个登记。"))
            else:
                row["person"] = matches[0]
            ref = houses.get(row["house_code"])
            reason = area_problem(ref, row["house_code"], {Area.Level.HOUSE})
            if reason:
                self.problem(row["row"], "house_code", row["house_code"], reason)
            else:
                row["house"] = ref
        self.unique_in_file(
            rows, "id_number",
            lambda row: (row["person"].id, row["house"].house_id) if _open_and_found(row) else None,
            lambda first: _("与第%(row)s行重复：同一人同一房屋只能有一条未迁出的记录。") % {"row": first},
        )
        self._check_open_in_database(rows)

    def _check_open_in_database(self, rows: list[Row]) -> None:
        open_rows = [row for row in rows if _open_and_found(row)]
        existing: set[tuple[int, int]] = set()
        for part in chunks(sorted({row["person"].id for row in open_rows})):
            existing.update(Residence.objects.filter(person_id__in=part, end_date__isnull=True)
                            .values_list("person_id", "house_id"))
        for row in open_rows:
            if (row["person"].id, row["house"].house_id) in existing:
                self.problem(row["row"], "house_code", row["house_code"], _("此人已登记居住在该房屋。"))

    def write(self, rows: list[Row]) -> list[int]:
        residences = [
            Residence(person_id=row["person"].id, house_id=row["house"].house_id, relation=row["relation"],
                      population_type=row["population_type"], start_date=row["start_date"],
                      end_date=row["end_date"], lease_end=row["lease_end"])
            for row in rows
        ]
        Residence.objects.bulk_create(residences, batch_size=500)
        self._move_people(rows)
        return [residence.pk for residence in residences]

    def _move_people(self, rows: list[Row]) -> None:
        """As residence_start does: a person who moves in is then managed at that house
        (the last current residence in the file wins)."""
        target: dict[int, int] = {}
        for row in rows:
            if row["end_date"] is None or row["end_date"] > self.today:
                target[row["person"].id] = row["house"].id
        current = {row["person"].id: row["person"].area_id for row in rows}
        now = timezone.now()
        moved = [Person(pk=pk, area_id=area_id, updated_at=now) for pk, area_id in target.items()
                 if area_id != current[pk]]
        Person.objects.bulk_update(moved, ["area", "updated_at"], batch_size=500)

    def area_paths(self, rows: list[Row]) -> list[str]:
        return [row["house"].path for row in rows]

    def counts(self, rows: list[Row]) -> dict[str, int]:
        return {str(Residence.Relation(rel).label): n for rel, n in Counter(row["relation"] for row in rows).items()}

    def preview_row(self, row: Row) -> list[str]:
        return [
            self._columns["id_number"].masked(row["id_number"]), row["house_code"],
            str(Residence.Relation(row["relation"]).label), str(Residence.PopulationType(row["population_type"]).label),
            str(row["start_date"]), str(row["end_date"] or ""), str(row["lease_end"] or ""),
        ]


def _open_and_found(row: Row) -> bool:
    return row["end_date"] is None and "person" in row and "house" in row
