"""Load on the reference jsonl server: N clients on loopback, each sending M chat messages that the
server broadcasts to all N. Prints delivered messages per second and the server's peak memory.

    python bench/jsonl_load.py [--clients 200] [--messages 5]

Bounded: every client stops after its own messages and the whole run after --timeout seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.harness.programs import free_port, wait_listening  # noqa: E402


def peak_memory_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def client(port: int, total: int, ready: asyncio.Event, connected: list, counts: list, index: int,
                 messages: int):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    connected.append(index)
    await ready.wait()
    writer.write(b"".join(json.dumps({"type": "message", "data": f"c{index} m{i}"}).encode() + b"\n"
                          for i in range(messages)))
    await writer.drain()
    while counts[index] < total:
        line = await reader.readline()
        if not line:
            break
        if b'"[Server]"' not in line:
            counts[index] += 1
    writer.close()


async def run(port: int, n: int, messages: int, timeout: float) -> tuple:
    ready = asyncio.Event()
    counts = [0] * n
    total = n * messages
    connected: list = []
    tasks = [asyncio.ensure_future(client(port, total, ready, connected, counts, i, messages)) for i in range(n)]
    while len(connected) < n and not any(t.done() for t in tasks):
        await asyncio.sleep(0.01)   # every client connects before the first message goes out
    start = time.monotonic()
    ready.set()
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    elapsed = time.monotonic() - start
    for task in pending:
        task.cancel()
    return sum(counts), total * n, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5, help="chat messages each client sends")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "server.py", "--port", str(port), "--max-users",
                               str(args.clients + 10)], cwd=ROOT / "reference" / "jsonl",
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_listening("127.0.0.1", port, 10, server):
            print("the reference server did not start")
            return 1
        delivered, expected, elapsed = asyncio.run(run(port, args.clients, args.messages, args.timeout))
        memory = peak_memory_kib(server.pid)
    finally:
        server.kill()
        server.wait()
    print(f"clients: {args.clients}, messages sent: {args.clients * args.messages}, "
          f"deliveries: {delivered} of {expected}")
    print(f"wall time: {elapsed:.2f} s, delivered messages per second: {delivered / elapsed:,.0f}")
    print(f"server peak memory (VmHWM): {memory / 1024:.1f} MiB")
    return 0 if delivered == expected else 1


if __name__ == "__main__":
    sys.exit(main())
