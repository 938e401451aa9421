"""Benchmark: import N people from CSV into PostgreSQL, against a raw COPY of the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/import_people.py --people 1000000

Works in a schema of its own (``bench_import``, dropped at the end unless --keep),
so the database's other tables are not touched. Steps:

1. migrate the fresh schema; load an area tree with 4,000 houses through the
   area and house importers;
2. write a CSV of N people with valid, distinct resident ID numbers, phones,
   ethnicity, political status, some care tags, house codes;
3. baseline: ``COPY`` of that file into a bare staging table of text columns;
4. the real import (``import_file``: read, validate, encrypt, hash, check against
   the database, COPY into registry_person) as the system actor;
5. print both rates, the seconds, and the ratio import rate / COPY rate.

Targets (issue "Foundation"): 1,000,000 people in at most 120 s, ratio at least 0.30.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ["610102", "610103", "610104", "610111", "610112", "610113", "610114", "610115", "610116"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强文博子涵浩然雨桐欣怡梓涵一诺"
BUILDINGS, UNITS, FLOORS, PER_FLOOR = 40, 2, 25, 2  # 4,000 houses, like 长庆坊
HOUSE_CODES = [f"CQF-{b:02d}-{u}-{f:02d}{d:02d}" for b in range(1, BUILDINGS + 1) for u in range(1, UNITS + 1)
               for f in range(1, FLOORS + 1) for d in range(1, PER_FLOOR + 1)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=None, help="processes that check rows (default: 2 cores)")
    parser.add_argument("--schema", default="bench_import")
    parser.add_argument("--keep", action="store_true", help="keep the schema and its rows afterwards")
    parser.add_argument("--profile", action="store_true", help="cProfile the import, print the top entries")
    return parser.parse_args()


def setup_django(schema: str) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/test")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    if "SHEQU_DATA_DIR" not in os.environ:  # throwaway keys for throwaway rows
        data_dir = tempfile.mkdtemp(prefix="shequ-import-bench-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        os.environ["SHEQU_DATA_DIR"] = data_dir
    os.environ.setdefault("SHEQU_LOG_LEVEL", "WARNING")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # every connection Django (and the import) opens works inside the bench schema
    os.environ["PGOPTIONS"] = f"-c search_path={schema}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_schema(schema: str) -> None:
    from django.db import connection

    connection.close()
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def load_area_tree(directory: Path) -> None:
    """City to units by the area importer, 4,000 houses by the house importer."""
    from shequ.accounts.audit import Actor
    from shequ.exchange.importers import import_file

    areas = [["编码", "名称", "层级", "上级编码"], ["610100", "西安市", "市", ""], ["610113", "雁塔区", "区县", "610100"],
             ["610113001", "小寨路街道", "街道", "610113"], ["610113001001", "长庆坊社区", "社区", "610113001"],
             ["CQF", "长庆坊", "小区", "610113001001"]]
    for b in range(1, BUILDINGS + 1):
        areas.append([f"CQF-{b:02d}", f"{b}号楼", "楼栋", "CQF"])
        areas.extend([f"CQF-{b:02d}-{u}", f"{u}单元", "单元", f"CQF-{b:02d}"] for u in range(1, UNITS + 1))
    houses = [["单元编码", "房号", "楼层", "建筑面积", "房屋编码"]]
    houses.extend([code.rsplit("-", 1)[0], code.rsplit("-", 1)[1], int(code[-4:-2]), "89.50", code]
                  for code in HOUSE_CODES)
    actor = Actor.system(via="bench")
    for kind, rows in (("areas", areas), ("houses", houses)):
        path = directory / f"{kind}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        report = import_file(actor=actor, kind=kind, path=path)
        if not report.ok:
            sys.exit(report.as_text())
    from shequ.registry.models import CareTag

    for code, name in (("elderly_alone", "独居老人"), ("disabled", "残疾人"), ("veteran", "退役军人")):
        CareTag.objects.create(code=code, name=name)


def resident_id(index: int) -> str:
    """Distinct valid GB 11643 numbers for index < 9 * 20000 * 500."""
    region = REGIONS[index % len(REGIONS)]
    rest = index // len(REGIONS)
    born = date(1950, 1, 1) + timedelta(days=rest % 20000)
    body = f"{region}{born:%Y%m%d}{(rest // 20000) % 500 * 2 + index % 2:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS))
    return body + "10X98765432"[total % 11]


def write_people_csv(path: Path, count: int) -> None:
    tags = ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "独居老人", "残疾人、退役军人"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "证件类型", "证件号码", "手机号码", "民族", "政治面貌", "关爱标签", "房屋编码"])
        for index in range(count):
            name = SURNAMES[index % len(SURNAMES)] + GIVEN[index % 37 % len(GIVEN)] + GIVEN[index % 23 % len(GIVEN)]
            writer.writerow([name, "居民身份证", resident_id(index), f"13{index % 10**9:09d}", "01" if index % 10 else "03",
                             "13" if index % 5 else "01", tags[index % 20], HOUSE_CODES[index % len(HOUSE_CODES)]])


def copy_baseline(path: Path) -> float:
    """Seconds for a raw COPY of the file into a staging table of text columns."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_staging")
        cursor.execute("CREATE TABLE bench_staging (name text, id_type text, id_number text, phone text, "
                       "ethnicity text, political_status text, care_tags text, house_code text)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY bench_staging FROM STDIN (FORMAT csv, HEADER true)") as copy:
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    copy.write(block)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_staging")
    return seconds


def main() -> None:
    args = parse_args()
    setup_django(args.schema)
    try:
        met = run(args)
    finally:
        if not args.keep:
            drop_schema(args.schema)
    sys.exit(0 if met else 1)


def run(args: argparse.Namespace) -> bool:
    """Run the measurements; True when both targets are met."""
    from shequ.accounts.audit import Actor
    from shequ.exchange.importers import import_file
    from shequ.registry.models import Person

    with tempfile.TemporaryDirectory(prefix="shequ-import-bench-") as tmp:
        directory = Path(tmp)
        load_area_tree(directory)
        path = directory / "people.csv"
        started = time.perf_counter()
        write_people_csv(path, args.people)
        print(f"generated {args.people:,} people, {path.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.1f}s")

        copy_seconds = copy_baseline(path)
        options = {} if args.workers is None else {"workers": args.workers}
        started = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            report = profiler.runcall(import_file, actor=Actor.system(via="bench"), kind="people", path=path,
                                      **options)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        else:
            report = import_file(actor=Actor.system(via="bench"), kind="people", path=path, **options)
        import_seconds = time.perf_counter() - started
        if not report.ok:
            sys.exit(report.as_text()[:5000])
        assert Person.objects.count() == args.people

    copy_rate, import_rate = args.people / copy_seconds, args.people / import_seconds
    print("import steps      : " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.timings.items()))
    print(f"raw COPY baseline : {copy_seconds:8.2f} s  {copy_rate:12,.0f} rows/s")
    print(f"import (validate, encrypt, hash, check, COPY): {import_seconds:8.2f} s  {import_rate:12,.0f} rows/s")
    projected = import_seconds * 1_000_000 / args.people
    ratio = import_rate / copy_rate
    print(f"ratio import/COPY : {ratio:8.3f}   (target >= 0.30: {'met' if ratio >= 0.30 else 'NOT met'})")
    print(f"1,000,000 people  : {projected:8.1f} s {'measured' if args.people == 1_000_000 else 'projected'} "
          f"(target <= 120 s: {'met' if projected <= 120 else 'NOT met'})")
    return projected <= 120 and ratio >= 0.30


if __name__ == "__main__":
    main()
