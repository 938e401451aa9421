import json
import stat

from shequ.secrets_file import load_or_create


def test_it_creates_the_secrets_file_private_on_first_run(tmp_path):
    values = load_or_create(tmp_path)
    path = tmp_path / "secrets.json"
    assert set(values) >= {"django_secret_key", "pii_key", "index_key"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_keeps_existing_keys_on_later_runs(tmp_path):
    first = load_or_create(tmp_path)
    assert load_or_create(tmp_path) == first


def test_it_adds_only_missing_keys(tmp_path):
    (tmp_path / "secrets.json").write_text(json.dumps({"pii_key": "kept"}))
    values = load_or_create(tmp_path)
    assert values["pii_key"] == "kept" and values["index_key"]
