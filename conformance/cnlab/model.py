"""cnlab's server model: random sessions of 2–6 raw clients and the history checker that judges them.

Steps: connect (and HELLO-FROM); SEND to another member (short, Czech, 20,000 characters, split across
writes, three pipelined in one write); a burst (every member sends to the next, round-robin, three
rounds); a SEND to a name nobody has; LIST; leave (close, reset, half a line then close); and a
slow writer (a SEND in four writes 200 ms apart, while another member's SEND must be answered and
delivered). No stalled reader: the assignment's server text says nothing of clients that stop
reading (the course's server is given). Membership changes wait for quiescence, and a departure,
which the server acknowledges to no one, for the server's settle window.

Checked over the whole history, per client: exactly one reply per request, in request order, each
the right one (HELLO: SV1; SEND-OK: SV7; BAD-DEST-USER: SV8); every LIST naming this session's
members of the time in login order (SV6; a member that left still listed: SV12), whatever other
users the server has (its bots); every SEND delivered exactly once, as DELIVERY <sender> <text>, to
its destination only, in its sender's order (SV7; SV11 where the request at fault was split,
pipelined, long or slow)."""
from __future__ import annotations

from hypothesis import strategies as st

from conformance.harness import model, settings
from conformance.harness.failure import CheckFailure
from conformance.harness.model import WHO, Broken, Violation, scripts, short

EXAMPLES, BUDGET_S = 30, 20.0
MAX_MEMBERS = 6
HOW = ("short", "czech", "long", "split", "pipelined")
FRAMING = ("split", "pipelined", "long", "slow")


def steps():
    return scripts(("connect", "connect", "send", "send", "send", "burst", "burst", "unknown", "list", "leave",
                    "leave", "slow"),
                   {"send": {"who": WHO, "how": st.sampled_from(HOW)}, "unknown": {"who": WHO}, "list": {"who": WHO},
                    "slow": {"who": WHO},
                    "leave": {"who": WHO, "how": st.sampled_from(("close", "reset", "reset", "midline"))}},
                   MAX_MEMBERS)


class Member:
    def __init__(self, wire, name: str, index: int):
        self.wire, self.name, self.index = wire, name, index
        self.replies: list = []     # what each request of its must get, in order: (line or LIST, why, requirement)
        self.delivered: list = []   # the texts of DELIVERY lines received


class Session(model.Session):
    """One script on one fresh server (owed: text -> (sender name, sender index, destination index))."""
    RELAY, FRAMING_ID = "SV7", "SV11"

    def __init__(self, connect, settle, limit: int = MAX_MEMBERS):
        super().__init__(connect, settle, limit, MAX_MEMBERS)
        self.order: list[str] = []     # this session's logged-in names, in login order
        self.sent: dict = {}           # sender index -> its texts, in order

    def request(self, member: Member, lines: list, replies: list, policy: str = "whole") -> None:
        member.replies.extend(replies)
        member.wire.send(*lines, policy=policy)

    def owe(self, member: Member, to: Member, text: str, how: str) -> None:
        self.owed[text] = (member.name, member.index, to.index)
        self.how[text] = how
        self.sent.setdefault(member.index, []).append(text)

    def send(self, member: Member, to: Member, how: str) -> None:
        texts = [self.text(how, member) for _ in range(3 if how == "pipelined" else 1)]
        for text in texts:
            self.owe(member, to, text, how)
        self.request(member, [f"SEND {to.name} {t}\n".encode() for t in texts],
                     [(b"SEND-OK\n", f"SEND-OK to SEND {to.name}", "SV7")] * len(texts),
                     {"split": "utf8-split", "pipelined": "coalesced"}.get(how, "whole"))

    def framing(self, texts: list, otherwise: str) -> str:
        return "SV11" if any(self.how.get(t) in FRAMING for t in texts) else otherwise

    def absorb(self, member: Member, line: bytes) -> None:
        """One line a member received, judged as it comes: a DELIVERY must be owed to it and not seen
        yet; anything else must be the next reply it is owed."""
        if line.startswith(b"DELIVERY "):
            sender, _, text = line[len(b"DELIVERY "):].rstrip(b"\r\n").decode("utf-8", "replace").partition(" ")
            owed = self.owed.get(text)
            if owed is None or owed[2] != member.index:
                raise Broken(self.framing(list(self.owed), "SV7"), f"Client {member.index} received a DELIVERY "
                             "that was not for it (or a text corrupted or merged).",
                             expected="only the texts sent to it", actual=line[:300])
            if text in member.delivered:
                raise Broken(self.framing([text], "SV7"), f"Client {member.index} received a text twice.",
                             expected="each text once", actual=line[:300])
            if sender != owed[0]:
                raise Broken("SV7", f"Client {member.index} got client {owed[1]}'s text under another sender.",
                             expected=owed[0], actual=sender)
            member.delivered.append(text)
            return
        if not member.replies:
            raise Broken("SV7", f"Client {member.index} received a line that answers no request of its.",
                         expected="one reply per request", actual=line[:300])
        want, why, requirement = member.replies.pop(0)
        if want is LIST:
            names = line[len(b"LIST-OK "):].rstrip(b"\r\n").decode("utf-8", "replace").split(",") \
                if line.startswith(b"LIST-OK ") else None
            ours = [n for n in names if n in self.ever] if names is not None else None
            if ours != self.order:
                raise Broken(requirement, f"Client {member.index} got a wrong LIST ({why}).",
                             expected=f"LIST-OK naming {','.join(self.order)} in this order (and any others)",
                             actual=line[:300])
        elif line != want:
            raise Broken(requirement, f"Client {member.index} got the wrong reply ({why}).",
                         expected=want, actual=line[:300])

    @property
    def ever(self) -> set:
        return {m.name for m in self.everyone}

    def quiesce(self, during: tuple = ()) -> None:
        """Until every member has every reply and every delivery it is owed so far."""
        for member in self.members:
            def owed_now():
                return [t for t, (_, _, to) in self.owed.items() if to == member.index and t not in member.delivered]
            while member.replies or owed_now():
                what = member.replies[0][1] if member.replies else f"{len(owed_now())} text(s) sent to it"
                try:
                    line = member.wire.read_line(settings.wait(settings.EVENT), what=what)
                except CheckFailure as exc:
                    missing = owed_now()
                    requirement = self.framing(missing, "SV7") if missing and not member.replies else \
                        member.replies[0][2]
                    if during:
                        requirement, what = during[0], f"{what}; {during[1]}: the server blocked on one client"
                    raise Broken(requirement, f"Client {member.index} never got {what}.",
                                 expected=", ".join(short(t) for t in missing[:4]) or member.replies[0][1],
                                 actual=exc.what) from None
                self.absorb(member, line)

    def check_list(self, member: Member, why: str, requirement: str = "SV6") -> None:
        self.request(member, [b"LIST\n"], [(LIST, f"the LIST {why}", requirement)])
        self.quiesce()
        self.held(requirement)

    def join(self) -> Member:
        self.quiesce()
        new = Member(self.connect_wire(), f"u{len(self.everyone)}c", len(self.everyone))
        self.members.append(new)
        self.everyone.append(new)
        self.request(new, [f"HELLO-FROM {new.name}\n".encode()], [(f"HELLO {new.name}\n".encode(),
                                                                     f"HELLO {new.name}", "SV1")])
        self.quiesce()
        self.held("SV1")
        self.order.append(new.name)
        return new

    def slow(self, writer: Member) -> None:
        """A SEND (to itself when alone) in four writes 200 ms apart; before its last, another member's
        SEND must be answered and delivered."""
        to = self.members[(self.members.index(writer) + 1) % len(self.members)]
        text = self.text("split", writer)
        model.trickle(writer.wire, pieces := model.cut(f"SEND {to.name} {text}\n".encode()))
        if len(self.members) > 1:
            self.send(to, writer, "short")
            self.quiesce(during=("SV7", f"meanwhile client {writer.index}'s SEND came in {len(pieces)} writes "
                                        f"{model.SLOW_GAP * 1000:.0f} ms apart"))
            self.held("SV7")
        self.owe(writer, to, text, "slow")
        writer.replies.append((b"SEND-OK\n", f"SEND-OK to SEND {to.name} (written slowly)", "SV7"))
        writer.wire.send_raw(pieces[-1])

    def run(self, script: list) -> None:
        for step in script:
            kind, member = step["do"], self.pick(step.get("who", 0))
            if kind == "connect" and len(self.members) < self.limit:
                self.join()
            elif kind == "send" and len(self.members) > 1:
                self.last = member
                self.send(member, self.members[(self.members.index(member) + 1) % len(self.members)], step["how"])
            elif kind == "burst" and len(self.members) > 1:
                for _ in range(3):
                    for i, m in enumerate(list(self.members)):
                        self.send(m, self.members[(i + 1) % len(self.members)], "short")
            elif kind == "unknown" and member:
                self.last = member
                self.request(member, [b"SEND nobodyhere hello\n"], [(b"BAD-DEST-USER\n", "BAD-DEST-USER to a "
                                                                                         "SEND to nobody", "SV8")])
            elif kind == "list" and member:
                self.quiesce()
                self.check_list(member, "of this session's logged-in names in login order")
            elif kind == "slow" and member:
                self.last = member
                self.slow(member)
            elif kind == "leave" and member and len(self.members) > 1:
                self.quiesce()   # what it sent has reached its destination: its leaving loses nothing
                self.members.remove(member)
                self.order.remove(member.name)
                if step["how"] == "reset":
                    member.wire.vanish()
                else:
                    if step["how"] == "midline":
                        member.wire.send_raw(b"SEND nobodyhere never fini")
                    member.wire.close()
                self.settle()   # no one is told of a departure: the server has taken it in once it is idle
                self.check_list(self.members[0], f"after {member.name} left ({step['how']})", "SV12")
        self.quiesce()
        self.settle()
        self.judged_texts()
        if any(step["do"] == "unknown" for step in script):
            self.held("SV8")
        for member in self.members:   # late extras: a duplicate, a reply to nothing
            while member.wire.has_line():
                self.absorb(member, member.wire.read_line(0.1, what="a late line"))
        for sender, texts in self.sent.items():   # per-sender order, at each destination
            for member in self.everyone:
                got = [t for t in member.delivered if self.owed[t][1] == sender]
                if got != [t for t in texts if t in got]:
                    raise Broken(self.framing(got, "SV7"), f"Client {member.index} got client {sender}'s texts "
                                 "out of the order they were sent.", expected=", ".join(short(t) for t in texts),
                                 actual=", ".join(short(t) for t in got))


LIST = object()   # a reply slot for a LIST-OK, judged by the session's names


def run(script: list, fresh, limit: int = MAX_MEMBERS, judged: set | None = None) -> Violation | None:
    return model.run_session(Session, script, fresh, limit, "SV7", judged)
