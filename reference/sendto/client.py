"""Reference sendto chat client: the keyboard in the main thread, the socket in a reader thread.

    python client.py HOST PORT

Commands: login NAME, list, sendto NAME TEXT, logout, exit. The packet format is in PROTOCOL.md.
"""
from __future__ import annotations

import os
import socket
import sys
import threading

import click
from colorama import Fore, Style, just_fix_windows_console

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402

BAD_USERNAME, BAD_MESSAGE, INVALID = "Bad username", "Bad message", "Invalid command"
RESULTS = {codec.OK: "Success", codec.FAILURE: "Failure",
           codec.MALFORMED: "The server says our packet was malformed"}


def request_for(line: str) -> bytes | str | None:
    """The packet a typed line stands for, an error message to print instead (nothing is sent then),
    or None for an empty line. "exit" is handled by the caller."""
    command, _, rest = line.partition(" ")
    if not line.strip():
        return None
    if command == "login":
        words = rest.split()
        if len(words) != 1 or not codec.valid_name(words[0]):
            return BAD_USERNAME
        return codec.login(words[0])
    if command == "sendto":
        destination, _, text = rest.partition(" ")
        if not destination or not text or not codec.valid_name(destination):
            return BAD_USERNAME
        if len(text) > codec.MAX_TEXT:
            return BAD_MESSAGE
        return codec.sendto_request(destination, text)
    if command in ("list", "logout") and not rest.strip():
        return codec.list_request() if command == "list" else codec.logout()
    return INVALID


def show(packet: codec.Packet) -> None:
    try:
        reply = codec.parse_reply(packet)
    except codec.Malformed as exc:
        print(f"{Fore.RED}(ignored a malformed packet from the server: {exc}){Style.RESET_ALL}", flush=True)
        return
    if reply[0] == "RESPONSE":
        print(RESULTS[reply[1]], flush=True)
    elif reply[0] == "LIST":
        print(f"{len(reply[1])} logged in:" if reply[1] else "Nobody is logged in", flush=True)
        for name in reply[1]:
            print(name, flush=True)
    else:
        print(f"{Fore.CYAN}{reply[1]}{Style.RESET_ALL}: {reply[2]}", flush=True)


def receive(sock: socket.socket) -> None:
    decoder = codec.Decoder(max_body=1 << 31)   # the client trusts nothing, but bounds nothing either
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            print("The server closed the connection", flush=True)
            os._exit(0)    # the keyboard thread may sit in a read; end the whole process
        for packet in decoder.feed(data):
            show(packet)


def type_commands(sock: socket.socket) -> None:
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        command, _, rest = line.partition(" ")
        if command == "exit":
            if rest.strip():
                print(INVALID, flush=True)
                continue
            return
        request = request_for(line)
        if isinstance(request, str):
            print(request, flush=True)
        elif request is not None:
            sock.sendall(request)


@click.command(help="The reference sendto chat client.")
@click.argument("host")
@click.argument("port", type=click.IntRange(1, 65535))
def cli(host: str, port: int) -> None:
    just_fix_windows_console()
    try:
        sock = socket.create_connection((host, port))
    except OSError as exc:
        print(f"Cannot connect to {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)
    threading.Thread(target=receive, args=(sock,), daemon=True).start()
    try:
        type_commands(sock)
    except (OSError, KeyboardInterrupt):
        pass
    sock.close()


if __name__ == "__main__":
    cli()
