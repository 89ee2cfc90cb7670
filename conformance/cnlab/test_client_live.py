"""cnlab client suite, live: the client against a real server (the reference, or --server), with the
bots the course's server has (echobot, delaybot) and other real clients beside it."""
from __future__ import annotations

import re

import pytest

from conformance.harness import settings
from conformance.run.servers import reference_server
from conformance.harness.failure import CheckFailure, Findings, about
from conformance.cnlab import steps
from conformance.cnlab.spec import SEND_OK_TEXTS
from conformance.cnlab.steps import ends_with, expect_delivery, message_lines

requirement = pytest.mark.requirement


@pytest.fixture
def live_client(launch, live_server):
    return steps.start(launch, live_server)


@requirement("RI3", name="live-login")
def test_live_login(live_client, rng):
    user = steps.name(rng)
    live_client.type(user)
    live_client.expect_line(f"Successfully logged in as {user}!", timeout=settings.wait(settings.STARTUP))


@requirement("RA7", name="live-echobot")
def test_live_echobot(live_client, rng):
    user, message = steps.name(rng), steps.text(rng, 6)
    steps.live_log_in(live_client, user)
    live_client.type(f"@echobot {message}")
    expect_delivery(live_client, "echobot", message, timeout=settings.wait(settings.STARTUP))


@requirement("RA7", name="live-echobot-long")
def test_live_echobot_long(live_client, rng):
    user, message = steps.name(rng), steps.long_text(rng, 20_000)
    steps.live_log_in(live_client, user)
    live_client.type(f"@echobot {message}")
    expect_delivery(live_client, "echobot", message, timeout=settings.wait(settings.STARTUP))


@requirement("RT3", "RT5", name="live-delaybot")
def test_live_delaybot(live_client, rng):
    """delaybot sends two DELIVERY lines in three writes, each cut mid-line, 0.5 s apart."""
    user, message = steps.name(rng), steps.text(rng, 5)
    steps.live_log_in(live_client, user)
    live_client.type(f"@delaybot {message}")
    expected = f"From delaybot: {message}"
    try:
        with about("RT5"):
            expect_delivery(live_client, "delaybot", message, timeout=settings.wait(settings.STARTUP))
            expect_delivery(live_client, "delaybot", message, timeout=settings.wait(settings.EVENT))
    except CheckFailure:
        halves = [p for p in message_lines(live_client, "delaybot", message) if ends_with(p, message) < 0]
        if halves:   # by evidence: half a line printed is RT3, not a late line (RT5)
            raise CheckFailure("Part of delaybot's message, cut mid-line, was printed as if it were whole.",
                               expected=[expected, expected], actual=halves, requirement="RT3") from None
        raise
    printed = message_lines(live_client, "delaybot", message)
    if len(printed) != 2 or any(ends_with(p, message) < 0 for p in printed):
        raise CheckFailure("delaybot's two messages, cut mid-line, were not printed exactly twice and whole.",
                           expected=[expected, expected], actual=printed, requirement="RT3")


def live_rejected_then_retry(client, watcher, first: str, message: str, second: str, message_id: str,
                             retry_id: str) -> None:
    """The server refuses the first name: the client says so, and the second name logs in."""
    findings = Findings()   # the wording never stops the retry: each is judged
    client.type(first)
    with findings.check(message_id):
        client.expect_line(message, timeout=settings.wait(settings.STARTUP))
    with findings.check(retry_id):
        client.type(second)
        steps.wait_logged_in(watcher, second)
    findings.raise_any()


@requirement("RI4", "RA2", name="live-in-use")
def test_live_in_use(live_client, live_server, raw, rng):
    taken, second = steps.name(rng), steps.name(rng)
    clients = raw(live_server)
    watcher = steps.raw_log_in(clients, steps.name(rng, "obs"))
    steps.raw_log_in(clients, taken)
    live_rejected_then_retry(live_client, watcher, taken, f"Cannot log in as {taken}. That username is already "
                             "in use.", second, "RI4", "RA2")


@requirement("RI5", "RA4", name="live-bad-name")
def test_live_bad_name(live_client, live_server, raw, rng):
    bad, good = steps.name(rng) + "_x", steps.name(rng)
    watcher = steps.raw_log_in(raw(live_server), steps.name(rng, "obs"))
    live_rejected_then_retry(live_client, watcher, bad, f"Cannot log in as {bad}. That username contains "
                             "disallowed characters.", good, "RI5", "RA4")


@requirement("RI11", "RC2", name="live-who")
def test_live_who(live_client, rng):
    user = steps.name(rng)
    steps.live_log_in(live_client, user)
    live_client.type("!who")
    with about("RC2"):  # the list, in any form, names echobot, who is always logged in
        live_client.expect_match(r"(^|[\s,:-])echobot(,|\s|$)", "a list of users naming echobot",
                                 timeout=settings.wait(settings.STARTUP))

    def listed():
        """(count line, the '- name' lines after it) once as many have arrived as it announces."""
        lines = live_client.plain_lines()
        starts = [i for i, line in enumerate(lines) if re.fullmatch(r"There are \d+ online users:", line)]
        if not starts:
            return None
        count = int(lines[starts[-1]].split()[2])
        # "- name" (the assignment page) or a bare "name" (the course's template README): both read
        names = [line.removeprefix("- ") for line in lines[starts[-1] + 1:]
                 if re.fullmatch(r"(- )?[A-Za-z0-9]+", line)][:count]
        return (lines[starts[-1]], names) if len(names) == count else None

    live_client.wait_for(lambda: listed() is not None, settings.wait(settings.EVENT))
    result = listed()
    if result is None or "echobot" not in result[1] or user not in result[1]:
        raise CheckFailure("The user list is not printed as RI11 says.", requirement="RI11",
                           expected=["There are <n> online users:", "- echobot (or echobot)", "…", f"- {user}"],
                           actual=live_client.all_lines()[-12:])


@requirement("RI8", "RI10", name="live-send-to-self")
def test_live_send_to_self(live_client, rng):
    user, message = steps.name(rng), steps.text(rng)
    steps.live_log_in(live_client, user)
    live_client.type(f"@{user} {message}")
    with about("RI8"):
        live_client.expect_line(SEND_OK_TEXTS, timeout=settings.wait(settings.STARTUP))
    with about("RI10"):
        live_client.expect_line(f"From {user}: {message}")


@requirement("RI9", name="live-bad-dest")
def test_live_bad_dest(live_client, rng):
    steps.live_log_in(live_client, steps.name(rng))
    live_client.type(f"@{steps.name(rng, 'nobody')} {steps.text(rng)}")
    live_client.expect_line("The destination user does not exist", timeout=settings.wait(settings.STARTUP))


@pytest.fixture
def full_server(ctx, transcript):
    """A server with a known user limit: --server with --server-max-clients, or a reference
    server of our own with room for one user."""
    if ctx.server:
        if ctx.server_max_clients is None:
            pytest.skip("the --server's user limit is unknown: pass --server-max-clients N to test BUSY")
        yield ctx.server, ctx.server_max_clients
        return
    # where the course serves (the client is served there throughout): started once the last test's
    # server there is gone, or this test would find that one, with room for everybody
    server = reference_server(ctx, fixed_port=ctx.descriptor.client_address[1], extra=("--max-clients", "1"))
    try:
        yield server.ensure(transcript), 1
    finally:
        server.stop()


@requirement("RI6", "RA3", name="live-busy")
def test_live_busy(launch, full_server, raw, rng):
    address, limit = full_server
    others = raw(address)
    for _ in range(limit):
        steps.raw_log_in(others, steps.name(rng))
    client = steps.start(launch, address)
    client.type(steps.name(rng))
    with about("RI6"):
        client.expect_line("Cannot log in. The server is full!", timeout=settings.wait(settings.STARTUP))
    with about("RA3"):
        client.expect_exit(why=" after the server said it was full")
