from shequ.accounts.audit import Actor
from shequ.exchange.importers import import_file
from shequ.exchange.tests.import_files import write_table
from shequ.registry.models import Person
from shequ.registry.tests.factories import unique_resident_id

def test_smoke(tree, worker, tmp_path):
    rows=[["姓名","证件类型","证件号码","手机号码","民族","政治面貌","房屋编码"]]
    for i in range(5):
        rows.append([f"张{i}", "居民身份证", unique_resident_id(), f"1381234567{i}", "汉族", "群众", tree.house_a.area.code])
    rows.append(["李", "", "610113198005170012", "123", "火星族", "x", "NOPE"])
    path = write_table(tmp_path, rows)
    r = import_file(actor=Actor(worker), kind="people", path=path, dry_run=True)
    print(r.as_text())
    rows.pop()
    path = write_table(tmp_path, rows, "xlsx")
    r = import_file(actor=Actor(worker), kind="people", path=path, dry_run=False)
    print(r.as_text())
    assert Person.objects.count() == 5

def test_views(tree, worker, client_for, tmp_path):
    from shequ.exchange.importers import IMPORTERS
    c = client_for(worker)
    for k in IMPORTERS:
        r = c.get(f"/exchange/templates/{k}/")
        assert r.status_code == 200, k
    r = c.get("/exchange/")
    assert r.status_code == 200
    for k in ["people","houses","organizations","vehicles","facilities"]:
        r = c.get(f"/exchange/export/{k}/")
        assert r.status_code == 200, k
        b"".join(r.streaming_content)
