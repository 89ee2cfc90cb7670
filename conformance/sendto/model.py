"""sendto's model: random sessions of 2–6 raw clients and the history checker that judges them.

Steps: connect (and log in); send to another member (short, Czech, 20,000 characters, split across
writes, three pipelined in one write); a burst (every member sends to the next, round-robin, three
rounds); a send to a name nobody has; list; logout and log in again under a new name; leave (close,
reset, half a packet then close, or a half-close); and two fault profiles: a slow writer (a SENDTO
in four writes 200 ms apart, while another member's request must be served: SS1) and a stalled
reader (a member logs in with a 4 kB receive buffer and stops reading while another sends it 600 kB:
the others must keep being served, SS10; once it reads again it gets everything, or the server has
closed it, and the flood's replies are ok, or failure once it was dropped). Membership changes wait for quiescence (every
reply and every delivery owed so far has arrived), and a departure, which the server acknowledges to
no one, for the server's settle window; so what each client must get is exact.

Checked over the whole history, per client: exactly one reply per request, in request order (SS9),
each the right one (ok, failure: SS2, SS4, SS5); every LIST the logged-in names of the time in login
order (SS3; a name that logged out or left still listed: SS5, SS6); every SENDTO delivered exactly
once to its destination and to no one else, from its sender, in its sender's order (SS4; SS8 where
the request at fault was split, pipelined or long)."""
from __future__ import annotations

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
                    "leave", "leave", "slow", "stall"),
                   {"send": {"who": WHO, "how": st.sampled_from(HOW)}, "unknown": {"who": WHO}, "list": {"who": WHO},
                    "slow": {"who": WHO}, "stall": {"who": WHO},
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
    RELAY, FRAMING_ID = "SS4", "SS8"

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
        self.held("SS2", "SS9")
        self.order.append(member.name)

    def owe(self, member: Member, to: Member, text: str, how: str) -> None:
        self.owed[text] = (member.name, member.index, to.index)
        self.how[text] = how
        self.sent.setdefault(member.index, []).append(text)

    def send(self, member: Member, to: Member, how: str) -> None:
        texts = [self.text(how, member) for _ in range(3 if how == "pipelined" else 1)]
        for text in texts:
            self.owe(member, to, text, how)
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
        if isinstance(want, tuple):   # either is right (a flood's reply: ok, or failure once its
            want = packet if packet in want else want[0]   # destination was dropped)
        if packet != want:
            if packet[:1] != want[:1] or packet in (OK, FAILURE):
                requirement = "SS9" if packet[:1] != want[:1] else requirement
            raise Broken(requirement, f"Client {member.index} got the wrong reply ({why}).",
                         expected=show(want), actual=show(packet))

    def quiesce(self, skip=None, during: tuple = ()) -> None:
        """Until every member (but `skip`) has every reply and every delivery it is owed so far.
        `during`: (requirement, what was going on) where a miss means the server blocked."""
        for member in self.members:
            if member is skip:
                continue

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
                    if during:
                        requirement, what = during[0], f"{what}; {during[1]}: the server blocked on one client"
                    raise Broken(requirement, f"Client {member.index} never got {what}.",
                                 expected=", ".join(short(t) for t in missing[:4]) or member.replies[0][1],
                                 actual=exc.what) from None
                self.absorb(member, packet)

    def join(self, receive_window: int | None = None) -> Member:
        self.quiesce()
        wire = self.connect_wire(receive_window=receive_window) if receive_window else self.connect_wire()
        new = Member(wire, "", len(self.everyone))
        self.members.append(new)
        self.everyone.append(new)
        self.log_in(new)
        return new

    def slow(self, writer: Member) -> None:
        """A SENDTO (to itself when alone) written in four writes 200 ms apart; before its last,
        another member's SENDTO must be answered and delivered (a server that waits for the whole packet
        blocks it)."""
        to = self.members[(self.members.index(writer) + 1) % len(self.members)]
        text = self.text("split", writer)
        model.trickle(writer.wire, pieces := model.cut(sendto(to.name, text)))
        if len(self.members) > 1:
            self.send(to, writer, "short")
            self.quiesce(during=("SS1", f"meanwhile client {writer.index}'s SENDTO came in {len(pieces)} writes "
                                        f"{model.SLOW_GAP * 1000:.0f} ms apart"))
            self.held("SS1")
        self.owe(writer, to, text, "slow")
        member_reply = (OK, f"RESPONSE ok to sendto {to.name} (written slowly)", "SS4")
        writer.replies.append(member_reply)
        writer.wire.send_raw(pieces[-1])

    def stall(self, sender: Member) -> None:
        """A member logs in with a small receive buffer and stops reading while `sender` sends it 600 kB:
        the others must still be served (SS10). Reading again, it gets all it is owed, or was dropped."""
        stalled = self.join(receive_window=model.STALL_WINDOW)
        stalled.wire.pause_reading()
        for _ in range(model.FLOOD):
            self.owe(sender, stalled, text := self.text("long", sender), "long")
            sender.replies.append(((OK, FAILURE), f"RESPONSE ok to sendto {stalled.name} (or failure, dropped)", "SS4"))
            model.push(sender.wire, sendto(stalled.name, text), "SS10",
                       f"While client {stalled.index} stopped reading, the server stopped taking client "
                       f"{sender.index}'s requests: it blocked on the stalled client.")
        self.quiesce(skip=stalled, during=("SS10", f"while client {stalled.index} stopped reading"))
        self.held("SS10")
        stalled.wire.resume_reading()
        if not self.catch_up(stalled, lambda: self.absorb(stalled, read_packet(stalled.wire, "the texts sent to it",
                                                                               settings.wait(settings.BULK))),
                             lambda: [t for t, (_, _, to) in self.owed.items()
                                      if to == stalled.index and t not in stalled.delivered], "SS10", "text(s)"):
            self.order.remove(stalled.name)   # dropped: logged out

    def check_list(self, member: Member, why: str, requirement: str = "SS3") -> None:
        self.request(member, [LIST_REQUEST], [(user_list(*self.order), f"the LIST {why}", requirement)])
        self.quiesce()
        self.held(requirement)

    def run(self, script: list) -> None:
        for step in script:
            kind, member = step["do"], self.pick(step.get("who", 0))
            if kind == "connect" and len(self.members) < self.limit:
                self.join()
            elif kind == "slow" and member:
                self.last = member
                self.slow(member)
            elif kind == "stall" and member and len(self.members) < self.limit:
                self.stall(member)
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
                    member.wire.half_close()
                else:
                    if how == "midpacket":
                        member.wire.send_raw(b"\x03\x00\x00\x00\x09\x04Jo")
                    member.wire.close()
                self.settle()   # no one is told of a departure: the server has taken it in once it is idle
                self.check_list(self.members[0], f"after {member.name} left ({how})", "SS6")
        self.quiesce()
        self.settle()
        self.judged_texts()
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


def run(script: list, fresh, limit: int = MAX_MEMBERS, judged: set | None = None) -> Violation | None:
    return model.run_session(Session, script, fresh, limit, "SS1", judged)
