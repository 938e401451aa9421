"""Row checks and protection for people imports: the per-row cost of a million-row file.

Nothing here touches the database, so the same code runs in the importing process
for small files and in worker processes for large CSV files. Each good row leaves
as one line of PostgreSQL COPY text (cipher, digest and mask already computed),
written to a spool file; only what the whole-file checks need stays in memory.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shequ.core.pii import mask_id_number, mask_phone
from shequ.exchange.importers.base import is_example
from shequ.exchange.importers.columns import ETHNICITY, POLITICAL_STATUS, split_list
from shequ.exchange.importers.pgcopy import NULL, copy_text
from shequ.exchange.importers.protect import Protector
from shequ.registry.codes import ethnicity_name, political_status_name
from shequ.registry.validators import IdDocumentType, validate_id_document, validate_mobile

#: fields of each spool line, in order (the importer adds id and area_id in front)
SPOOL_FIELDS = (
    "name", "id_type", "id_number_cipher", "id_number_digest", "id_number_masked", "id_tail", "gender",
    "birth_date", "phone_cipher", "phone_digest", "phone_masked", "ethnicity", "political_status", "note",
    "created_at", "updated_at",
)
MASKED_FIELD = SPOOL_FIELDS.index("id_number_masked")
KEYS = ("name", "id_type", "id_number", "phone", "ethnicity", "political_status", "care_tags", "house_code",
        "community_code", "note")
HOUSE, COMMUNITY = "h:", "c:"  # area key prefixes: which column the code came from
EXAMPLE_START = "示E \t"  # first characters a template example row can start with


@dataclass
class CleanedRows:
    """What checking a run of rows produced. Row numbers are as given to ``clean``."""

    records: int = 0  # records read, blank ones included (row numbering)
    rows_read: int = 0  # non-blank rows
    text: list[str] = field(default_factory=list)  # spool lines of the good rows
    rows: list[int] = field(default_factory=list)  # row number of each good row
    areas: list[str] = field(default_factory=list)  # area key of each good row
    id_types: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    tags: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (good-row index, tag ids)
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, key, raw value, reason
    preview: list[list[str]] = field(default_factory=list)

    def shift(self, offset: int) -> None:
        """Turn chunk-relative row numbers into file row numbers."""
        self.rows = [row + offset for row in self.rows]
        self.problems = [(row + offset, *rest) for row, *rest in self.problems]


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower().replace(" ", "")


class PeopleCleaner:
    """Checks people rows and turns the good ones into spool lines."""

    def __init__(self, *, index: dict[str, int], id_types: dict[str, str], tags: dict[str, int],
                 tag_names: dict[int, str], today: date, protector: Protector, created_at: str,
                 preview_rows: int, language: str):
        width = max(index.values(), default=-1) + 1
        # absent columns read the padding cell after the last real one, always ""
        self.positions = tuple(index.get(key, width) for key in KEYS)
        self.width = width + 1
        self.id_types, self.tags, self.tag_names = id_types, tags, tag_names
        self.today, self.protector, self.created_at = today, protector, created_at
        self.preview_rows, self.language = preview_rows, language
        self.id_type_labels = {value: str(label) for value, label in IdDocumentType.choices}

    def clean(self, numbered_rows: Iterable[tuple[int, list[str]]], *, previewed: int = 0) -> CleanedRows:
        out = CleanedRows()
        problems, text, rows, areas = out.problems, out.text, out.rows, out.areas
        id_types_out, digests, preview_rows = out.id_types, out.digests, self.preview_rows
        p_name, p_type, p_id, p_phone, p_eth, p_pol, p_tags, p_house, p_comm, p_note = self.positions
        width, pad = self.width, [""] * self.width
        encrypt, digest = self.protector.encrypt, self.protector.digest
        id_type_lookup, today, created = self.id_types, self.today, self.created_at
        tail_fields = f"{created}\t{created}\n"
        resident = IdDocumentType.RESIDENT_ID
        # without a name column the header problem says it once; the other checks go on
        check_name = p_name < width - 1
        check_place = p_house < width - 1 or p_comm < width - 1
        records = rows_read = 0
        for number, cells in numbered_rows:
            records += 1
            if len(cells) < width:
                cells = cells + pad[: width - len(cells)]
            name = cells[p_name].strip()
            if not name and not "".join(cells).strip():
                continue  # a blank row
            first = cells[0]
            if first and first[0] in EXAMPLE_START and is_example(cells):
                continue
            rows_read += 1
            bad = False

            if (not name and check_name) or len(name) > 50:
                problems.append((number, "name", name, _("必填。") if not name else _("不能超过50个字符。")))
                bad = True

            raw_type = cells[p_type].strip()
            id_type = (id_type_lookup.get(raw_type) or id_type_lookup.get(_fold(raw_type))) if raw_type else resident
            if id_type is None:
                problems.append((number, "id_type", raw_type, _("不是可选的证件类型。")))
                bad = True

            raw_id = cells[p_id].strip()
            info = None
            if not raw_id:
                problems.append((number, "id_number", "", _("必填。")))
                bad = True
            elif id_type is not None:
                try:
                    info = validate_id_document(id_type, raw_id, today=today)
                except ValidationError as exc:
                    problems.append((number, "id_number", raw_id, exc.messages[0]))
                    bad = True

            raw_phone = cells[p_phone].strip()
            phone = ""
            if raw_phone:
                try:
                    phone = validate_mobile(raw_phone)
                except ValidationError as exc:
                    problems.append((number, "phone", raw_phone, exc.messages[0]))
                    bad = True

            ethnicity = cells[p_eth].strip()
            if ethnicity:
                code = ETHNICITY.get(ethnicity) or ETHNICITY.get(_fold(ethnicity))
                if code is None:
                    problems.append((number, "ethnicity", ethnicity, _("不在民族代码表（GB/T 3304）中。")))
                    bad = True
                ethnicity = code or ""

            political = cells[p_pol].strip()
            if political:
                code = POLITICAL_STATUS.get(political) or POLITICAL_STATUS.get(_fold(political))
                if code is None:
                    problems.append((number, "political_status", political,
                                     _("不在政治面貌代码表（GB/T 4762）中。")))
                    bad = True
                political = code or ""

            tag_ids: tuple[int, ...] = ()
            raw_tags = cells[p_tags].strip()
            if raw_tags:
                names = split_list(raw_tags)
                unknown = [tag for tag in names if _fold(tag) not in self.tags]
                if unknown:
                    problems.append((number, "care_tags", raw_tags,
                                     _("未知的关爱标签：%(tags)s") % {"tags": "、".join(unknown)}))
                    bad = True
                else:
                    tag_ids = tuple(dict.fromkeys(self.tags[_fold(tag)] for tag in names))

            house_code, community_code = cells[p_house].strip(), cells[p_comm].strip()
            if not house_code and not community_code and check_place:
                problems.append((number, "house_code", "", _("请填写房屋编码或社区编码。")))
                bad = True

            if bad:
                continue
            number_clean = info.number
            masked = mask_id_number(number_clean)
            if phone:
                phone_fields = f"{encrypt(phone)}\t{digest('phone', phone)}\t{mask_phone(phone)}"
            else:
                phone_fields = "\t\t"
            id_digest = digest("id", number_clean)
            born = info.birth_date.isoformat() if info.birth_date else NULL
            note = cells[p_note].strip()
            text.append(
                f"{copy_text(name)}\t{id_type}\t{encrypt(number_clean)}\t{id_digest}\t{masked}\t"
                f"{number_clean[-4:]}\t{info.gender or ''}\t{born}\t{phone_fields}\t{ethnicity}\t{political}\t"
                f"{copy_text(note)}\t{tail_fields}"
            )
            if tag_ids:
                out.tags.append((len(rows), tag_ids))
            rows.append(number)
            areas.append(HOUSE + house_code if house_code else COMMUNITY + community_code)
            id_types_out.append(id_type)
            digests.append(id_digest)
            if previewed < preview_rows:
                previewed += 1
                out.preview.append([
                    name, self.id_type_labels[id_type], masked, mask_phone(phone) if phone else "",
                    ethnicity_name(ethnicity) or "" if ethnicity else "",
                    political_status_name(political) or "" if political else "",
                    "、".join(self.tag_names[tag] for tag in tag_ids), house_code, community_code, note,
                ])
        out.records, out.rows_read = records, rows_read
        return out
