"""Run every benchmark under bench/, each against a PostgreSQL database of its own.

    python bench/run_all.py                 # everything, at the sizes the issues name
    python bench/run_all.py --only figures.py --only open311_post.py

Databases are created on the server of BENCH_POSTGRES (default
postgres://postgres@127.0.0.1:5432/) when missing, and reused by later runs (the
first run seeds them: minutes at a million rows). Each script prints its figures
and the ratio to a baseline measured in the same run. Exit status 0 only if every
benchmark that ran met its target. Benchmarks that need a broker use Mosquitto on
127.0.0.1:1883.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent

# (script, database, arguments): one database each, so no benchmark's data skews another's
BENCHMARKS = [
    ("import_people.py", "shequ_bench", ["--people", "1000000"]),  # works in a schema of its own
    ("search_people.py", "shequ_bench", ["--people", "1000000"]),
    ("list_page.py", "shequ_bench", ["--people", "1000000"]),
    ("figures.py", "figures_bench", []),
    ("hotline_import.py", "hotline_bench", ["--rows", "100000"]),
    ("open311_post.py", "open311_bench", []),
    ("ingest.py", "ingest_bench", []),
    ("gate_decision.py", None, []),  # on-device pipeline: no database
    ("alarm_latency.py", "alarm_bench", []),
    ("alarm_fanout.py", "alarm_bench", []),
    ("pass_verify.py", None, []),  # at the edge: no database
    ("notice_fanout.py", "notice_bench", []),
]


def ensure_database(server: str, name: str) -> str:
    with psycopg.connect(server + "postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    return server + name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = [script for script, _db, _args in BENCHMARKS]
    parser.add_argument("--only", choices=names, action="append", help="run only these scripts")
    args = parser.parse_args()
    server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/")
    failed = []
    for script, database, extra in BENCHMARKS:
        if args.only and script not in args.only:
            continue
        if not (HERE / script).exists():
            print(f"== {script}: missing, skipped")
            continue
        env = dict(os.environ)
        if database:
            env["DATABASE_URL"] = ensure_database(server, database)
            # one key set per database: the rows were encrypted and hashed with it
            env["SHEQU_DATA_DIR"] = str(HERE.parent / "var" / database)
        print(f"== {script}", flush=True)
        if subprocess.call([sys.executable, str(HERE / script), *extra], env=env):
            failed.append(script)
    print("== all targets met" if not failed else f"== missed targets or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
