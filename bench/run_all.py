"""Run every benchmark under bench/ against DATABASE_URL, one after another.

    createdb -h 127.0.0.1 -U postgres shequ_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shequ_bench python bench/run_all.py --people 1000000

The first run seeds the database (a few minutes at 1,000,000 people); later runs
reuse it. Exit status 0 only if every benchmark met its target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# import first: it works in a schema of its own and leaves the seeded tables alone
SCRIPTS = ("import_people.py", "search_people.py", "list_page.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="timed runs per case (search and list page)")
    parser.add_argument("--only", choices=SCRIPTS, action="append", help="run only these scripts")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("warning: DATABASE_URL is not PostgreSQL; the targets are stated for PostgreSQL", file=sys.stderr)
    os.environ.setdefault("SHEQU_DATA_DIR", str(HERE.parent / "var" / "bench"))  # one key set for seed and search
    failed = []
    for script in args.only or SCRIPTS:
        if not (HERE / script).exists():
            print(f"== {script}: missing, skipped")
            continue
        print(f"== {script}", flush=True)
        extra = ["--queries", str(args.queries)] if script != "import_people.py" else []
        code = subprocess.call([sys.executable, str(HERE / script), "--people", str(args.people), *extra])
        if code:
            failed.append(script)
    print("== all targets met" if not failed else f"== missed targets or failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
