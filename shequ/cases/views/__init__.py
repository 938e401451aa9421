"""Case pages: the staff list, detail and intake; the resident's report and own
cases; photos served only to those who may see their case."""

from shequ.cases.views.photos import photo
from shequ.cases.views.resident import my_case_act, my_case_detail, my_case_list, report
from shequ.cases.views.staff import area_picker, case_act, case_create, case_detail, case_list

__all__ = [
    "area_picker", "case_act", "case_create", "case_detail", "case_list", "my_case_act", "my_case_detail",
    "my_case_list", "photo", "report",
]
