"""The ``shequ`` console command: help, seed, demo, web, totp and the delegated
management commands with their exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from django.db import transaction
from django.utils import timezone

from shequ import cli
from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import AuditRecord, User
from shequ.core import pii
from shequ.exchange.models import ApiKey
from shequ.registry.models import Person
from shequ.seed import seed

REPO = Path(__file__).resolve().parents[3]
SUBCOMMANDS = ("web", "migrate", "seed", "demo", "import", "audit", "apikey", "totp")


def test_it_lists_the_subcommands_in_help(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shequ", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "SHEQU_DATA_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in result.stdout, name
    assert not list(tmp_path.iterdir())  # --help alone creates no secrets or database


@pytest.mark.parametrize("name", [name for name in SUBCOMMANDS if name != "apikey"])
def test_every_subcommand_has_its_own_help(name, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])

    assert exit_info.value.code == 0
    assert f"usage: shequ {name}" in capsys.readouterr().out


def test_it_rejects_an_unknown_subcommand(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fly"])

    assert exit_info.value.code == 2


def test_seed_creates_the_requested_number_of_people(db, capsys) -> None:
    assert cli.main(["seed", "--people", "120", "--seed", "3"]) == 0

    assert Person.objects.count() == 120
    assert "人员 120" in capsys.readouterr().out


def test_seed_refuses_a_registry_that_holds_data(db, capsys) -> None:
    cli.main(["seed", "--people", "20"])

    assert cli.main(["seed", "--people", "20"]) == 1
    assert "空数据库" in capsys.readouterr().err
    assert Person.objects.count() == 20


def test_seed_refuses_zero_people(db, capsys) -> None:
    assert cli.main(["seed", "--people", "0"]) == 2
    assert not Person.objects.exists()


def _people_of_a_seed(seed_value: int) -> list[tuple[str, str, str]]:
    """Seed in a savepoint, read back the clear values, and undo the seed."""
    with transaction.atomic():
        seed(people=60, seed=seed_value, today=timezone.localdate())
        people = [
            (person.name, pii.decrypt(person.id_number_cipher), person.phone_masked)
            for person in Person.objects.order_by("id")
        ]
        transaction.set_rollback(True)
    return people


def test_the_same_seed_gives_the_same_people(db) -> None:
    first = _people_of_a_seed(11)
    second = _people_of_a_seed(11)

    assert len(first) == 60
    assert first == second


def test_another_seed_gives_other_people(db) -> None:
    assert _people_of_a_seed(11) != _people_of_a_seed(12)


def test_demo_seeds_an_empty_database_and_prints_url_and_logins(db, capsys) -> None:
    assert cli.main(["demo", "--no-web", "--people", "50", "--port", "8123"]) == 0

    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123/" in out
    assert Person.objects.count() == 50
    worker = User.objects.get(username="worker")
    assert pii.decrypt(worker.totp_secret_cipher) in out
    for username in ("district", "street", "worker", "grid", "property", "police", "guard", "resident",
                     "sysadmin", "secadmin", "auditor"):
        assert f"  {username} " in out
    assert "shequ totp" in out


def test_demo_keeps_existing_data_and_users_on_a_second_run(db, capsys) -> None:
    cli.main(["demo", "--no-web", "--people", "50"])
    secret = User.objects.get(username="police").totp_secret_cipher
    capsys.readouterr()

    assert cli.main(["demo", "--no-web", "--people", "80"]) == 0

    assert Person.objects.count() == 50
    assert User.objects.get(username="police").totp_secret_cipher == secret
    assert pii.decrypt(secret) in capsys.readouterr().out


def test_web_serves_the_asgi_application_on_the_given_address(db, monkeypatch, tmp_path, settings) -> None:
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append((app, options)))
    settings.STATIC_ROOT = tmp_path / "static"

    assert cli.main(["web", "--host", "0.0.0.0", "--port", "9001"]) == 0

    assert calls == [("shequ.asgi:application", {"host": "0.0.0.0", "port": 9001, "lifespan": "off"})]


def test_web_defaults_to_localhost_8000(db, monkeypatch, tmp_path, settings) -> None:
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append(options))
    settings.STATIC_ROOT = tmp_path / "static"

    cli.main(["web"])

    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8000


def test_totp_prints_the_current_code(db, capsys) -> None:
    secret = pyotp.random_base32()
    User.objects.create_user(username="cadre", password="x", totp_secret_cipher=pii.encrypt(secret),
                             totp_confirmed_at=timezone.now())

    assert cli.main(["totp", "cadre"]) == 0

    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def test_totp_fails_for_a_user_without_a_secret(db, capsys) -> None:
    User.objects.create_user(username="resident", password="x")

    assert cli.main(["totp", "resident"]) == 1
    assert cli.main(["totp", "nobody"]) == 1


def test_audit_verify_exits_0_on_an_intact_chain(db, capsys) -> None:
    audit_append(actor=Actor.system(), action="test.one")

    assert cli.main(["audit", "verify"]) == 0


def test_audit_verify_exits_1_when_a_record_was_forged(db, capsys) -> None:
    good = audit_append(actor=Actor.system(), action="test.one")
    # insert a record whose hash does not follow the chain (UPDATE/DELETE are refused by triggers)
    AuditRecord.objects.create(seq=good.seq + 1, at=timezone.now(), action="test.forged", prev_hash=good.hash,
                               hash="0" * 64)

    assert cli.main(["audit", "verify"]) == 1
    assert f"#{good.seq + 1}" in capsys.readouterr().out


def test_apikey_passes_its_arguments_to_the_management_command(db, capsys) -> None:
    assert cli.main(["apikey", "create", "robot"]) == 0

    assert ApiKey.objects.filter(name="robot").exists()


def test_apikey_failures_become_the_exit_status(db, capsys) -> None:
    assert cli.main(["apikey", "revoke", "nosuchkey"]) == 1


AREA_HEADER = "编码,名称,层级,上级编码\n"


def test_import_writes_a_good_file_and_exits_0(tree, tmp_path, capsys) -> None:
    from shequ.registry.models import Area

    path = tmp_path / "areas.csv"
    path.write_text(AREA_HEADER + f"CQF-09,9号楼,楼栋,{tree.complex_a.code}\n", encoding="utf-8")

    assert cli.main(["import", "areas", str(path)]) == 0

    assert Area.objects.filter(code="CQF-09", parent=tree.complex_a).exists()


def test_import_dry_run_writes_nothing(tree, tmp_path, capsys) -> None:
    from shequ.registry.models import Area

    path = tmp_path / "areas.csv"
    path.write_text(AREA_HEADER + f"CQF-09,9号楼,楼栋,{tree.complex_a.code}\n", encoding="utf-8")

    assert cli.main(["import", "areas", str(path), "--dry-run"]) == 0

    assert not Area.objects.filter(code="CQF-09").exists()


def test_import_of_a_refused_file_exits_1_and_writes_nothing(tree, tmp_path, capsys) -> None:
    from shequ.registry.models import Area

    path = tmp_path / "areas.csv"
    path.write_text(AREA_HEADER + f"CQF-09,9号楼,楼栋,{tree.complex_a.code}\nX2,单元,单元,NOWHERE\n",
                    encoding="utf-8")

    assert cli.main(["import", "areas", str(path)]) == 1

    assert not Area.objects.filter(code="CQF-09").exists()
    assert "第3行\t上级编码 [NOWHERE]" in capsys.readouterr().out  # the report names row and column


def test_import_as_a_user_without_rights_in_the_area_fails(tree, outsider, tmp_path, capsys) -> None:
    from shequ.registry.models import Area

    path = tmp_path / "areas.csv"
    path.write_text(AREA_HEADER + f"CQF-09,9号楼,楼栋,{tree.complex_a.code}\n", encoding="utf-8")

    assert cli.main(["import", "areas", str(path), "--as", outsider.username]) == 1

    assert not Area.objects.filter(code="CQF-09").exists()


def test_import_of_a_missing_file_exits_1(db, tmp_path, capsys) -> None:
    assert cli.main(["import", "people", str(tmp_path / "nope.csv")]) == 1
    assert "nope.csv" in capsys.readouterr().err


def test_apikey_help_comes_from_the_management_command(db, capsys) -> None:
    assert cli.main(["apikey", "--help"]) == 0

    assert "{create,list,revoke}" in capsys.readouterr().out
