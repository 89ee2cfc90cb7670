"""sendto's model: random sessions of 2–6 raw clients and the history checker that judges them.

Steps: connect (and log in); send to another member (short, Czech, 20,000 characters, split across
writes, three pipelined in one write); a burst (every member sends to the next, round-robin, three
rounds); a send to a name nobody has; list; logout and log in again under a new name; leave (close,
reset, half a packet then close, or a half-close). Membership changes wait for quiescence (every
reply and every delivery owed so far has arrived), and a departure, which the server acknowledges to
no one, for the server's settle window; so what each client must get is exact.

Checked over the whole history, per client: exactly one reply per request, in request order (SS9),
each the right one (ok, failure: SS2, SS4, SS5); every LIST the logged-in names of the time in login
order (SS3; a name that logged out or left still listed: SS5, SS6); every SENDTO delivered exactly
once to its destination and to no one else, from its sender, in its sender's order (SS4; SS8 where
the request at fault was split, pipelined or long)."""
from __future__ import annotations

import socket

from hypothesis import strategies as st

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness import model
from conformance.harness.model import WHO, Broken, Violation, scripts, short
from conformance.sendto.steps import FAILURE, LIST_REQUEST, LOGOUT, OK, login, read_packet, sendto, show, user_list

EXAMPLES, BUDGET_S = 15, 15.0     # its reference server starts in 0.5 s: fewer sessions than jsonl
MAX_MEMBERS = 6
HOW = ("short", "czech", "long", "split", "pipelined")
FRAMING = ("split", "pipelined", "long")


def steps():
    """As jsonl's (model.scripts), weighted toward sends, bursts and departures."""
    return scripts(("connect", "connect", "send", "send", "send", "burst", "burst", "unknown", "list", "logout",
                    "leave", "leave"),
                   {"send": {"who": WHO, "how": st.sampled_from(HOW)}, "unknown": {"who": WHO}, "list": {"who": WHO},
                    "logout": {"who": WHO},
                    "leave": {"who": WHO, "how": st.sampled_from(("close", "reset", "reset", "midpacket", "halfclose"))}},
                   MAX_MEMBERS)


class Member:
    def __init__(self, wire, name: str, index: int):
        self.wire, self.name, self.index = wire, name, index
        self.replies: list = []     # what each request of its must get, in order: (packet, why, requirement)
        self.got: list = []         # every packet received, in order
        self.delivered: list = []   # the texts of SENDTOs received

    def take(self, what: str) -> bytes:
        packet = read_packet(self.wire, what, settings.wait(settings.EVENT))
        self.got.append(packet)
        return packet


class Session(model.Session):
    """One script on one fresh server (owed: text -> (sender name, sender index, destination index))."""

    def __init__(self, connect, settle, limit: int = MAX_MEMBERS):
        super().__init__(connect, settle, limit, MAX_MEMBERS)
        self.order: list[str] = []     # logged-in names, in login order
        self.sent: dict = {}           # sender index -> its texts, in order
        self.logins = 0

    def request(self, member: Member, data: list, replies: list, policy: str = "whole") -> None:
        member.replies.extend(replies)
        member.wire.send(*data, policy=policy)

    def log_in(self, member: Member) -> None:
        self.logins += 1
        member.name = f"u{self.logins}c{member.index}"
        self.request(member, [login(member.name)], [(OK, f"RESPONSE ok to login {member.name}", "SS2")])
        self.quiesce()
        self.order.append(member.name)

    def send(self, member: Member, to: Member, how: str) -> None:
        texts = [self.text(how, member) for _ in range(3 if how == "pipelined" else 1)]
        for text in texts:
            self.owed[text] = (member.name, member.index, to.index)
            self.how[text] = how
            self.sent.setdefault(member.index, []).append(text)
        self.request(member, [sendto(to.name, t) for t in texts],
                     [(OK, f"RESPONSE ok to sendto {to.name}", "SS4")] * len(texts),
                     {"split": "utf8-split", "pipelined": "coalesced"}.get(how, "whole"))

    def framing(self, texts: list, otherwise: str) -> str:
        return "SS8" if any(self.how.get(t) in FRAMING for t in texts) else otherwise

    def absorb(self, member: Member, packet: bytes) -> None:
        """One packet a member received, judged as it comes: a reply must be the next one it is owed, a
        SENDTO a delivery owed to it and not yet seen."""
        if packet[:1] == b"\x83":
            size = packet[5]
            sender, text = packet[6:6 + size].decode("utf-8", "replace"), packet[6 + size:].decode("utf-8", "replace")
            owed = self.owed.get(text)
            if owed is None or owed[2] != member.index:
                raise Broken("SS4", f"Client {member.index} received a SENDTO that was not for it.",
                             expected="only the texts sent to it", actual=f"from {sender}: {short(text)}")
            if text in member.delivered:
                raise Broken(self.framing([text], "SS4"), f"Client {member.index} received a text twice.",
                             expected="each text once", actual=f"from {sender}: {short(text)} (twice)")
            if sender != owed[0]:
                raise Broken("SS4", f"Client {member.index} got client {owed[1]}'s text under the wrong sender.",
                             expected=owed[0], actual=sender)
            member.delivered.append(text)
            return
        if not member.replies:
            raise Broken("SS9", f"Client {member.index} received a reply to no request of its.",
                         expected="one reply per request", actual=show(packet))
        want, why, requirement = member.replies.pop(0)
        if packet != want:
            if packet[:1] != want[:1] or packet in (OK, FAILURE):
                requirement = "SS9" if packet[:1] != want[:1] else requirement
            raise Broken(requirement, f"Client {member.index} got the wrong reply ({why}).",
                         expected=show(want), actual=show(packet))

    def quiesce(self) -> None:
        """Until every member has every reply and every delivery it is owed so far."""
        for member in self.members:
            def owed_now():
                return [t for t, (_, _, to) in self.owed.items() if to == member.index and t not in member.delivered]
            while member.replies or owed_now():
                what = member.replies[0][1] if member.replies else f"{len(owed_now())} text(s) sent to it"
                try:
                    packet = member.take(what)
                except CheckFailure as exc:
                    missing = owed_now()
                    requirement = self.framing(missing, "SS4") if missing and not member.replies else \
                        member.replies[0][2]
                    raise Broken(requirement, f"Client {member.index} never got {what}.",
                                 expected=", ".join(short(t) for t in missing[:4]) or member.replies[0][1],
                                 actual=exc.what) from None
                self.absorb(member, packet)

    def check_list(self, member: Member, why: str, requirement: str = "SS3") -> None:
        self.request(member, [LIST_REQUEST], [(user_list(*self.order), f"the LIST {why}", requirement)])
        self.quiesce()

    def run(self, script: list) -> None:
        for step in script:
            kind, member = step["do"], self.pick(step.get("who", 0))
            if kind == "connect" and len(self.members) < self.limit:
                self.quiesce()
                new = Member(self.connect_wire(), "", len(self.everyone))
                self.members.append(new)
                self.everyone.append(new)
                self.log_in(new)
            elif kind == "send" and len(self.members) > 1:
                self.last = member
                self.send(member, self.members[(self.members.index(member) + 1) % len(self.members)], step["how"])
            elif kind == "burst" and len(self.members) > 1:
                for _ in range(3):
                    for i, m in enumerate(list(self.members)):
                        self.send(m, self.members[(i + 1) % len(self.members)], "short")
            elif kind == "unknown" and member:
                self.last = member
                self.request(member, [sendto("nobody", "hello?")], [(FAILURE, "RESPONSE failure to sendto nobody",
                                                                      "SS4")])
            elif kind == "list" and member:
                self.quiesce()
                self.check_list(member, "of every logged-in name in login order")
            elif kind == "logout" and member:
                self.quiesce()
                self.last = member
                self.request(member, [LOGOUT], [(OK, "RESPONSE ok to logout", "SS5")])
                self.quiesce()
                self.order.remove(member.name)
                self.check_list(member, f"after {member.name} logged out", "SS5")
                self.log_in(member)   # the connection stays: a new name logs in on it
            elif kind == "leave" and member and len(self.members) > 1:
                self.quiesce()   # what it sent has reached its destination: its leaving loses nothing
                self.members.remove(member)
                self.order.remove(member.name)
                how = step["how"]
                if how == "reset":
                    member.wire.vanish()
                elif how == "halfclose":
                    member.wire.transcript.add(f"{member.wire.label}>", "[half-close]")
                    member.wire.sock.shutdown(socket.SHUT_WR)
                else:
                    if how == "midpacket":
                        member.wire.send_raw(b"\x03\x00\x00\x00\x09\x04Jo")
                    member.wire.close()
                self.settle()   # no one is told of a departure: the server has taken it in once it is idle
                self.check_list(self.members[0], f"after {member.name} left ({how})", "SS6")
        self.quiesce()
        self.settle()
        for member in self.members:   # late extras: a duplicate, a reply to nothing
            while len(member.wire.unread()) >= 5:
                self.absorb(member, member.take("a late packet"))
        for sender, texts in self.sent.items():   # per-sender order, at each destination
            for member in self.everyone:
                got = [t for t in member.delivered if self.owed[t][1] == sender]
                if got != [t for t in texts if t in got]:
                    raise Broken(self.framing(got, "SS4"), f"Client {member.index} got client {sender}'s texts "
                                 "out of the order they were sent.", expected=", ".join(short(t) for t in texts),
                                 actual=", ".join(short(t) for t in got))


def run(script: list, fresh, limit: int = MAX_MEMBERS) -> Violation | None:
    connect, settle, stop = fresh()
    try:
        Session(connect, settle, limit).run(script)
    except Broken as exc:
        return exc.violation
    except CheckFailure as exc:   # the wire failed under the session (a send refused, a reset)
        return Violation("SS1", f"The session broke: {exc.what}", actual=str(exc.actual or "")[:300])
    finally:
        stop()
    return None
