"""The care groups workers filter by exist from the first migrate, not only after a seed."""

from django.db import migrations

CARE_TAGS = [
    ("elderly_alone", "独居老人"),
    ("empty_nest", "空巢老人"),
    ("disabled", "残疾人"),
    ("low_income", "低保户"),
    ("veteran", "退役军人"),
    ("left_behind_child", "留守儿童"),
    ("serious_illness", "重病患者"),
    ("special_hardship", "特困人员"),
    ("community_correction", "社区矫正人员"),
    ("key_care", "重点关注"),
]


def forwards(apps, schema_editor):
    CareTag = apps.get_model("registry", "CareTag")
    for code, name in CARE_TAGS:
        CareTag.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_area_path_c_collation")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
