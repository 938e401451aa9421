"""Open311 POST requests/s: one uvicorn process serving the app, a client firing POSTs.

Starts ``uvicorn shequ.asgi:application`` (one worker, the way ``shequ web``
runs it) on a free loopback port against DATABASE_URL, with HTTP served by
Django's WSGI handler on a pool of threads (SHEQU_HTTP_THREADS, shequ/asgi.py;
``--http-threads 0`` measures Django's own ASGI handler instead, with a
PostgreSQL connection pool, SHEQU_DB_POOL), seeds a small area tree, a service account granted
on its community and an API key, then fires POST ``/open311/v2/requests.json``
from this process over keep-alive connections (--concurrency threads, loopback
only) and prints requests/s, p50/p95 latency, the server's CPU time per request
and its share of a core, and how many requests each group commit wrote.

Baseline, measured in the same run against the same server: GET
``discovery.json``, which goes through the same server, middleware and view
wrapper but touches no database. The ratio says what filing a case costs on top
of the bare request cycle. The server's CPU per request is the steadier figure
on a shared machine: requests/s also depends on how much of a core the server
gets while other processes run.

    createdb -h 127.0.0.1 -U postgres open311_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/open311_bench python bench/open311_post.py

Target (issue 6): at least 200 POST requests/s on one process on 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchkit  # noqa: E402

TARGET_RPS = 200
HOST = "127.0.0.1"
#: the seeded tree: one community with a few complexes, each with buildings
COMPLEXES, BUILDINGS = 4, 3
DESCRIPTIONS = ("楼道堆满杂物，影响通行", "垃圾桶满了两天没人清运", "小区北门路灯不亮", "单元门禁坏了，陌生人随意进出")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed POSTs (default %(default)s)")
    parser.add_argument("--baseline", type=int, default=3000, help="timed baseline GETs (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests of each kind first")
    parser.add_argument("--http-threads", type=int, default=int(os.environ.get("SHEQU_HTTP_THREADS", "16")),
                        help="the server's SHEQU_HTTP_THREADS: HTTP through Django's WSGI handler on this many "
                             "threads; 0 = Django's ASGI handler (default %(default)s)")
    # run_all.py passes these to every script; they mean nothing here
    args, _unknown = parser.parse_known_args(argv)
    if args.requests < 1 or args.baseline < 1 or not 1 <= args.concurrency <= 64:
        parser.error("--requests and --baseline must be positive, --concurrency 1..64")
    return args


def setup_django() -> None:
    root = str(benchkit.REPO)
    if root not in sys.path:
        sys.path.insert(0, root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    os.environ.setdefault("SHEQU_DATA_DIR", str(benchkit.REPO / "var" / "bench"))
    import django

    django.setup()


def seed() -> tuple[str, list[str]]:
    """The API key (new each run) and the address codes requests are filed at."""
    from django.core.management import call_command

    from shequ.accounts.audit import Actor
    from shequ.accounts.models import RoleGrant, User
    from shequ.exchange.services import apikey_create
    from shequ.registry.models import Area
    from shequ.registry.services import area_create

    call_command("migrate", interactive=False, verbosity=0)
    system = Actor.system(via="bench")

    def node(parent, level, code, name):
        return Area.objects.filter(code=code).first() or area_create(
            actor=system, parent=parent, level=level, code=code, name=name)

    city = node(None, Area.Level.CITY, "610100", "西安市")
    district = node(city, Area.Level.DISTRICT, "610113", "雁塔区")
    street = node(district, Area.Level.STREET, "610113001", "小寨路街道")
    community = node(street, Area.Level.COMMUNITY, "610113001001", "长庆坊社区")
    codes = []
    for c in range(1, COMPLEXES + 1):
        complex_area = node(community, Area.Level.COMPLEX, f"B311-{c}", f"压测小区{c}")
        codes.append(complex_area.code)
        for b in range(1, BUILDINGS + 1):
            codes.append(node(complex_area, Area.Level.BUILDING, f"B311-{c}-{b:02d}", f"{b}号楼").code)
    user, _created = User.objects.get_or_create(username="api:open311-bench", defaults={"display_name": "压测平台"})
    RoleGrant.objects.get_or_create(user=user, role="community_staff", area=community)
    _key, raw = apikey_create(actor=system, name="open311-bench", user=user)
    return raw, codes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, concurrency: int, http_threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "shequ.asgi:application", "--host", HOST, "--port", str(port),
               "--workers", "1", "--lifespan", "off", "--no-access-log", "--log-level", "warning"]
    env = dict(os.environ, SHEQU_HTTP_THREADS=str(http_threads))
    if http_threads <= 0:
        # Django's ASGI handler runs each request on a new thread, and Django's
        # connections are per thread: without a pool every request would open a
        # PostgreSQL connection and strand it ("too many clients"). See settings.py.
        env.setdefault("SHEQU_DB_POOL", str(concurrency + 4))
    server = subprocess.Popen(command, cwd=benchkit.REPO, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"uvicorn exited with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/open311/v2/discovery.json")
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("uvicorn did not answer within 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    label: str
    latencies_ms: list[float]
    seconds: float
    failures: list[tuple[int, bytes]]
    server_cpu: float = float("nan")
    client_cpu: float = float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else float("nan")

    def line(self) -> str:
        p50, p95 = benchkit.percentile(self.latencies_ms, 0.50), benchkit.percentile(self.latencies_ms, 0.95)
        return (f"{self.label:<28} n={len(self.latencies_ms):<6} {self.rate:8.1f} req/s  p50 {p50:7.2f} ms  "
                f"p95 {p95:7.2f} ms  mean {statistics.fmean(self.latencies_ms):7.2f} ms  "
                f"server CPU {self.server_cpu / len(self.latencies_ms) * 1000:5.2f} ms/req "
                f"({self.server_cpu / self.seconds:4.0%} of a core), client {self.client_cpu / self.seconds:4.0%} "
                f"of a core  failures {len(self.failures)}")


def fire(port: int, label: str, count: int, concurrency: int, make_request, server_pid: int | None = None) -> Run:
    """``count`` requests over ``concurrency`` keep-alive connections, as fast as they are answered."""
    lock = threading.Lock()
    remaining = [count]
    latencies: list[float] = []
    failures: list[tuple[int, bytes]] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        try:
            while True:
                with lock:
                    if remaining[0] == 0:
                        break
                    remaining[0] -= 1
                method, path, body, headers = make_request(rng)
                started = time.perf_counter()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    with lock:
                        failures.append((response.status, payload[:300]))
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    cpu_before = cpu_seconds(server_pid) if server_pid else float("nan")
    client_before = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else float("nan")
    return Run(label, latencies, elapsed, failures, cpu, time.process_time() - client_before)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database (the target is stated for PostgreSQL)")
    try:
        if args.http_threads > 0:
            import a2wsgi  # noqa: F401 - the server's HTTP thread pool (shequ/asgi.py)
        else:
            import psycopg_pool  # noqa: F401 - the server's connection pool (settings: SHEQU_DB_POOL)
    except ImportError as exc:
        sys.exit(f"{exc.name} is not installed: pip install {exc.name.replace('_', '-')}")
    from shequ.accounts.models import AuditRecord
    from shequ.cases.models import Case

    raw_key, codes = seed()
    port = free_port()
    http = (f"HTTP on {args.http_threads} threads (SHEQU_HTTP_THREADS)" if args.http_threads > 0
            else "HTTP through Django's ASGI handler")
    print(f"open311 POST on {benchkit.describe_database()}, uvicorn 1 worker on {HOST}:{port}, {http}, "
          f"{args.concurrency} client connections, {os.cpu_count()} cores", flush=True)

    def discovery(_rng):
        return "GET", "/open311/v2/discovery.json", None, {}

    def filing(rng):
        body = urlencode({
            "api_key": raw_key, "service_code": rng.choice(("garbage", "corridor_clutter", "water", "elevator")),
            "address_id": rng.choice(codes), "description": rng.choice(DESCRIPTIONS),
            "lat": f"34.{rng.randrange(200000, 240000)}", "long": f"108.{rng.randrange(930000, 960000)}",
            "attribute[urgency]": "urgent" if rng.random() < 0.1 else "normal",
        })
        return "POST", "/open311/v2/requests.json", body, {"Content-Type": "application/x-www-form-urlencoded"}

    server = start_server(port, args.concurrency, args.http_threads)
    try:
        before = Case.objects.filter(channel=Case.Channel.OPEN311).count()
        fire(port, "warm-up", args.warmup, args.concurrency, discovery)
        warm = fire(port, "warm-up", args.warmup, args.concurrency, filing)
        if warm.failures:
            status, body = warm.failures[0]
            sys.exit(f"POST failed during warm-up: {status} {body.decode(errors='replace')}")
        baseline = fire(port, "GET discovery.json", args.baseline, args.concurrency, discovery, server.pid)
        print(baseline.line(), flush=True)
        first_record = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        posts = fire(port, "POST requests.json", args.requests, args.concurrency, filing, server.pid)
        print(posts.line(), flush=True)
        # the group commit writes one audit record per batch (one key user here)
        batches = AuditRecord.objects.filter(seq__gt=first_record, action="case.created").count()
        print(f"{'':<28} {args.requests / batches if batches else float('nan'):.1f} requests per batch "
              f"({batches} batches)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = Case.objects.filter(channel=Case.Channel.OPEN311).count() - before
    expected = args.warmup + args.requests
    ok = posts.rate >= TARGET_RPS and not posts.failures and created == expected
    print(json.dumps({"cases_created": created, "expected": expected}))
    print(f"POST {posts.rate:.1f} req/s (target >= {TARGET_RPS}: {'PASS' if ok else 'FAIL'}); "
          f"baseline GET discovery.json {baseline.rate:.1f} req/s; POST/baseline rate ratio "
          f"{posts.rate / baseline.rate:.2f}, p50 latency ratio "
          f"{benchkit.percentile(posts.latencies_ms, .5) / benchkit.percentile(baseline.latencies_ms, .5):.2f}x")
    if posts.failures:
        status, body = posts.failures[0]
        print(f"first failure: {status} {body.decode(errors='replace')}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
