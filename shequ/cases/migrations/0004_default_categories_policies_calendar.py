"""Defaults: deadline policies, the category tree, and the holiday calendar.

All three are data an administrator may edit afterwards (Django admin); this
migration only fills empty tables and never overwrites rows that exist.

Holiday calendar sources (国务院办公厅 notices, checked against Xinhua's republished text):
- 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12),
  the first year under the 2024 revision of 全国年节及纪念日放假办法 (Spring Festival and
  Labour Day one day longer).
- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04), as republished by
  新华网 / politics.gmw.cn/2025-11/04/content_38391083.htm.
- 2027: not yet verifiable from the sources at hand when this was written; an
  administrator enters it (admin: 节假日安排) once the State Council publishes it.
  Until then 2027 follows the plain Monday–Friday week.
"""

from datetime import date, timedelta

from django.db import migrations

POLICIES = [
    # class, amount, unit, warn_before_hours
    ("urgent", 2, "hours", 1),
    ("utilities", 24, "hours", 4),
    ("ordinary", 7, "working_days", 24),
    ("complex", 15, "working_days", 48),
]

# code, name, group, deadline_class, hotline labels, children. Hotline labels are the "|"-separated
# names the 12345 hotline uses; each name belongs to one category only, so a hotline path such as
# "环境卫生>垃圾清运" resolves by its most specific known segment (shequ.cases.hotline.mapper).
CATEGORIES = [
    ("sanitation", "环境卫生", "sanitation", "ordinary", "环境卫生|市容环境|市容环卫", [
        ("garbage", "垃圾清运", "sanitation", "ordinary", "垃圾清运|生活垃圾|垃圾堆放|建筑垃圾"),
        ("corridor_clutter", "楼道堆物", "sanitation", "ordinary", "楼道堆物|楼道杂物|消防通道堵塞"),
        ("public_cleaning", "公共区域保洁", "sanitation", "ordinary", "公共区域保洁|卫生保洁|小区保洁"),
    ]),
    ("property", "物业管理", "property", "ordinary", "物业管理|住房物业|物业", [
        ("property_service", "物业服务", "property", "ordinary", "物业服务|物业收费|物业管理服务"),
        # a stopped lift strands the elderly on upper floors: handled in 24 hours like utilities
        ("elevator", "电梯", "property", "utilities", "电梯|电梯故障|电梯维修"),
        ("greening", "绿化", "property", "ordinary", "绿化|绿化养护|毁绿"),
        ("property_parking", "停车管理", "property", "ordinary", "停车管理|小区停车管理|停车收费"),
    ]),
    ("utilities", "水电气暖", "utilities", "utilities", "水电气暖|公用事业", [
        ("water", "供水", "utilities", "utilities", "供水|停水|水压|水质"),
        ("power", "供电", "utilities", "utilities", "供电|停电|用电"),
        ("gas", "燃气", "utilities", "utilities", "燃气|天然气|停气"),
        ("heating", "供暖", "utilities", "utilities", "供暖|供热|暖气不热"),
    ]),
    ("public_security", "治安", "other", "ordinary", "治安|社会治安|治安管理", []),
    ("neighbour_dispute", "邻里纠纷", "other", "complex", "邻里纠纷|矛盾纠纷|邻里关系", []),
    ("illegal_structure", "违章建筑", "other", "complex", "违章建筑|违法建设|私搭乱建|违建", []),
    ("parking", "停车", "other", "ordinary", "停车|乱停乱放|占道停车|停车难", []),
    ("elderly_care", "养老服务", "other", "ordinary", "养老服务|养老|居家养老|老年人服务", []),
    ("other", "其他", "other", "ordinary", "其他", []),
]


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# (first, last, name) holidays and (day, name) worked weekend days (调休上班)
HOLIDAYS = {
    2025: [
        (date(2025, 1, 1), date(2025, 1, 1), "元旦"),
        (date(2025, 1, 28), date(2025, 2, 4), "春节"),
        (date(2025, 4, 4), date(2025, 4, 6), "清明节"),
        (date(2025, 5, 1), date(2025, 5, 5), "劳动节"),
        (date(2025, 5, 31), date(2025, 6, 2), "端午节"),
        (date(2025, 10, 1), date(2025, 10, 8), "国庆节、中秋节"),
    ],
    2026: [
        (date(2026, 1, 1), date(2026, 1, 3), "元旦"),
        (date(2026, 2, 15), date(2026, 2, 23), "春节"),
        (date(2026, 4, 4), date(2026, 4, 6), "清明节"),
        (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
        (date(2026, 6, 19), date(2026, 6, 21), "端午节"),
        (date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
        (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    ],
}
WORKDAYS = {
    2025: [
        (date(2025, 1, 26), "春节调休上班"),
        (date(2025, 2, 8), "春节调休上班"),
        (date(2025, 4, 27), "劳动节调休上班"),
        (date(2025, 9, 28), "国庆节调休上班"),
        (date(2025, 10, 11), "国庆节调休上班"),
    ],
    2026: [
        (date(2026, 1, 4), "元旦调休上班"),
        (date(2026, 2, 14), "春节调休上班"),
        (date(2026, 2, 28), "春节调休上班"),
        (date(2026, 5, 9), "劳动节调休上班"),
        (date(2026, 9, 20), "国庆节调休上班"),
        (date(2026, 10, 10), "国庆节调休上班"),
    ],
}


def forwards(apps, schema_editor):
    DeadlinePolicy = apps.get_model("cases", "DeadlinePolicy")
    Category = apps.get_model("cases", "Category")
    CalendarDay = apps.get_model("cases", "CalendarDay")

    for deadline_class, amount, unit, warn in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            deadline_class=deadline_class, defaults={"amount": amount, "unit": unit, "warn_before_hours": warn},
        )

    for sort, (code, name, group, deadline_class, labels, children) in enumerate(CATEGORIES, start=1):
        parent, _ = Category.objects.get_or_create(code=code, defaults={
            "name": name, "group": group, "deadline_class": deadline_class, "hotline_labels": labels,
            "sort": sort * 10,
        })
        for child_sort, (child_code, child_name, child_group, child_class, child_labels) in enumerate(children, start=1):
            Category.objects.get_or_create(code=child_code, defaults={
                "parent": parent, "name": child_name, "group": child_group, "deadline_class": child_class,
                "hotline_labels": child_labels, "sort": sort * 10 + child_sort,
            })

    existing = set(CalendarDay.objects.values_list("date", flat=True))
    rows = []
    for spans in HOLIDAYS.values():
        for first, last, name in spans:
            rows += [CalendarDay(date=day, kind="holiday", name=name) for day in _span(first, last)
                     if day not in existing]
    for days in WORKDAYS.values():
        rows += [CalendarDay(date=day, kind="workday", name=name) for day, name in days if day not in existing]
    CalendarDay.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_case_number_counter"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
