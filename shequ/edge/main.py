"""``shequ edge``: run one door.

Readers, cameras and the door contact reach the program as text lines, one
command each, on a local UNIX socket (``--input unix:PATH``, default next to the
database) or on standard input (``--input stdin``); a reader's driver (Wiegand,
RS-485, a camera SDK) writes them. Each line is answered with one JSON line::

    card 04A1B2C3        pin 123456        qr <token>        plate 陕A12345
    face /path/frame.jpg door open        door closed       status
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from shequ.edge.client import ClientConfig, EdgeClient
from shequ.edge.decide import FACE_MARGIN, FACE_THRESHOLD, FacePolicy
from shequ.edge.door import Door
from shequ.edge.options import add_arguments
from shequ.edge.relay import relay_from_spec
from shequ.edge.store import EdgeStore

logger = logging.getLogger("shequ.edge")

TICK_SECONDS = 0.5


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        secret = args.secret_file.read_text(encoding="utf-8").strip()
    except OSError as error:
        print(f"无法读取密钥文件：{error}", file=sys.stderr)
        return 2
    if not secret:
        print("密钥文件为空。", file=sys.stderr)
        return 2
    db = args.db or Path("var") / f"edge-{args.device_id}.sqlite3"
    try:
        relay = relay_from_spec(args.relay)
    except (ValueError, OSError) as error:
        print(f"继电器不可用：{error}", file=sys.stderr)
        return 2
    store = EdgeStore(db)
    faces = None
    if args.faces:
        from shequ.edge.face.pool import EmbeddingPool

        faces = EmbeddingPool(args.face_workers, liveness=args.liveness)
        faces.warm_up()
    try:
        asyncio.run(serve(args, store=store, relay=relay, secret=secret, faces=faces,
                          input_spec=args.input or f"unix:{db}.sock"))
    finally:
        relay.close()
        if faces is not None:
            faces.close()
        store.close()
    return 0


async def serve(args: argparse.Namespace, *, store: EdgeStore, relay, secret: str, faces, input_spec: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    door = Door(store, relay, secret=secret, direction=args.direction, unlock_seconds=args.unlock_seconds,
                held_open_after=args.held_open_after, faces=faces,
                face_policy=FacePolicy(FACE_THRESHOLD if args.face_threshold is None else args.face_threshold,
                                       FACE_MARGIN if args.face_margin is None else args.face_margin))
    client = EdgeClient(device_id=args.device_id, secret=secret, store=store, door=door, config=ClientConfig(
        host=args.broker_host, port=args.broker_port, heartbeat_every=args.heartbeat))
    door.on_event = client.notify
    logger.info("door %s: %s", args.device_id, store.counts())
    tasks = [asyncio.create_task(client.run(stop)), asyncio.create_task(_ticks(door, stop)),
             asyncio.create_task(_inputs(door, input_spec, stop))]
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _ticks(door: Door, stop: asyncio.Event) -> None:
    while not stop.is_set():
        door.tick()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), TICK_SECONDS)


async def _inputs(door: Door, spec: str, stop: asyncio.Event) -> None:
    async def serve_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
        while not reader.at_eof():
            line = await reader.readline()
            if not line.strip():
                continue
            answer = await handle_line(door, line.decode("utf-8", "replace"))
            if writer is not None:
                writer.write((json.dumps(answer, ensure_ascii=False) + "\n").encode())
                await writer.drain()
            else:
                print(json.dumps(answer, ensure_ascii=False), flush=True)
        if writer is not None:
            writer.close()

    if spec == "stdin":
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await serve_stream(reader, None)
        return
    if not spec.startswith("unix:"):
        raise ValueError(f"unknown input {spec!r}")
    path = Path(spec[len("unix:"):])
    path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(serve_stream, path=str(path))
    logger.info("reader input on %s", path)
    async with server:
        await stop.wait()


async def handle_line(door: Door, line: str) -> dict:
    """One input command to its JSON answer; a bad line is answered, never fatal."""
    command, _, value = line.strip().partition(" ")
    value = value.strip()
    try:
        if command in ("card", "pin", "qr", "plate"):
            return _answer(door.present(command, value))
        if command == "face":
            outcome = await door.present_face(Path(value).read_bytes())
            answer = _answer(outcome.decision)
            if outcome.match is not None:
                answer.update(distance=round(outcome.match.distance, 4), margin=round(outcome.match.margin, 4))
            return answer
        if command == "door" and value in ("open", "closed"):
            door.door_contact(value == "open")
            return {"ok": True}
        if command == "status":
            return {"ok": True, "synced_version": door.store.synced_version, **door.store.counts()}
    except (OSError, RuntimeError) as error:
        return {"ok": False, "error": str(error)}
    return {"ok": False, "error": f"unknown command {command!r}"}


def _answer(decision) -> dict:
    answer = {"ok": True, "allow": decision.allow, "credential_kind": decision.credential_kind,
              "person_id": decision.person_id, "reason": decision.reason}
    if getattr(decision, "pass_id", ""):
        answer["pass_id"] = decision.pass_id
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shequ edge", description="门禁边缘程序")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
