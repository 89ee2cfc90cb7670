"""chat10's model: random sessions of 2–6 raw clients and the history checker that judges them.

Steps: connect (and JOIN); send a TEXT (short, Czech, 20,000 characters, split across writes, three
pipelined in one write); a burst (every member sends, round-robin, three rounds: TEXTs of several
clients in the same instants); leave (a LEAVE then a close, or gone without one: a close, a reset, or
half a TEXT then a close); and the two fault profiles: a slow writer (a TEXT in four writes 200 ms
apart, while another member's TEXT must get through: CS7, and the slow one must not be forwarded
before it is whole: CS6) and a stalled reader (a member joins with a 4 kB receive buffer and stops
reading while another sends 600 kB: the others must keep receiving, CS11; reading again, it gets
everything or the server has dropped it). The protocol acknowledges nothing, so a JOIN is followed by
the server's settle window, and membership changes wait for quiescence: who must get what is exact.

Checked over the whole history: every TEXT forwarded exactly once, whole (its Msg-len counting its
bytes), under its sender's Username, to every other member of the time and never back to its sender,
in per-sender order (CS3; CS6 where the TEXT at fault was split, pipelined, long or slow: the framing);
every JOIN and LEAVE forwarded to the others (CS2, CS4), never back. A client gone without a LEAVE may
be announced by a LEAVE or not (CS8 is the scenario test's); nothing of its may come after."""
from __future__ import annotations

from hypothesis import strategies as st

from conformance.chat10.steps import MAX_HEADER, join, leave, parse_head, text
from conformance.harness import model, settings
from conformance.harness.failure import CheckFailure
from conformance.harness.model import WHO, Broken, Violation, scripts, short

EXAMPLES, BUDGET_S = 30, 25.0
MAX_MEMBERS = 6
HOW = ("short", "czech", "long", "split", "pipelined")
FRAMING = ("split", "pipelined", "long", "slow")
ECHO = {"JOIN": "CS2", "TEXT": "CS3", "LEAVE": "CS4"}


def steps():
    """As jsonl's (model.scripts), weighted toward sends, bursts and departures."""
    return scripts(("connect", "connect", "send", "send", "send", "burst", "burst", "leave", "leave", "slow",
                    "stall"),
                   {"send": {"who": WHO, "how": st.sampled_from(HOW)}, "slow": {"who": WHO}, "stall": {"who": WHO},
                    "leave": {"who": WHO, "how": st.sampled_from(("leave", "close", "reset", "reset", "midtext"))}},
                   MAX_MEMBERS)


class Member:
    def __init__(self, wire, name: str, index: int):
        self.wire, self.name, self.index = wire, name, index
        self.texts: list = []     # (username, text) of every TEXT received, in order
        self.notices: list = []   # (method, username) of every JOIN and LEAVE received
        self.sent: list = []


class Session(model.Session):
    """One script on one fresh server (owed: text -> (sender name, sender index, recipients' indices))."""
    RELAY, FRAMING_ID = "CS3", "CS6"

    def __init__(self, connect, settle, limit: int = MAX_MEMBERS):
        super().__init__(connect, settle, limit, MAX_MEMBERS)
        self.unfinished: dict = {}   # username -> the slow TEXT it is still writing
        self.vanished: set = set()   # indices of members gone without a LEAVE (a server may replay their last)
        self.cut_off: set = set()    # names of members that left in the middle of a TEXT

    def take(self, member: Member, what: str, timeout: float | None = None) -> None:
        """The next message a member receives, judged as it comes (framing, echo, early forwarding)."""
        wire = member.wire
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        head = wire.read_until(b"\r\n\r\n", timeout, what=what, limit=MAX_HEADER)
        try:
            method, headers = parse_head(head, wire.label, what)
            name = headers.get("username")
            if name in self.unfinished:
                raise Broken("CS6", f"The server forwarded the start of {name}'s TEXT to client {member.index} "
                                    "before the whole of it had come: a TEXT sent meanwhile can only land inside it.",
                             expected="a TEXT forwarded once it is whole", actual=head[:300])
            size = int(headers.get("msg-len", "0"))
            payload = wire.read_exact(size, settings.wait(settings.EVENT), what=f"the {size}-byte payload") if size else b""
        except CheckFailure as exc:
            raise Broken(self.framing(None), f"Client {member.index} received bytes that are no whole CHAT/1.0 "
                                             f"message ({exc.what}): messages corrupted or merged.",
                         expected="CHAT/1.0 messages, each whole", actual=exc.actual or head[:300]) from None
        if name == member.name:
            raise Broken(ECHO.get(method, "CS3"), f"The server sent client {member.index}'s own {method} back to it.",
                         expected=f"a {method} forwarded to every other client, never back to the sender",
                         actual=head[:300])
        if method == "TEXT":
            body = payload.decode("utf-8", "replace")
            if name in self.cut_off and body not in self.owed:
                raise Broken("CS6", f"The server forwarded to client {member.index} a TEXT that never came whole: "
                                    f"{name} left in its middle.", expected="a TEXT forwarded only once complete",
                             actual=(head + payload)[:300])
            if body not in self.owed or headers.get("msg-len") != str(len(body.encode("utf-8"))):
                raise Broken(self.framing(None), f"Client {member.index} received a TEXT that no member sent "
                                                 "(corrupted, merged or cut, or its Msg-len does not count its bytes).",
                             expected="only TEXTs the members sent, whole", actual=(head + payload)[:300])
            member.texts.append((name, body))
        else:
            member.notices.append((method, name))

    def framing(self, texts) -> str:
        """CS6 where a TEXT at fault (any in flight, when none is named) was split, pipelined, long or
        slow, else CS3."""
        texts = self.owed if texts is None else texts
        return "CS6" if any(self.how.get(t) in FRAMING for t in texts) else "CS3"

    def missing(self, member: Member) -> list:
        want = {t for t, (_, _, to) in self.owed.items() if member.index in to}
        return sorted(want - {t for _, t in member.texts})

    def quiesce(self, skip=None, during: tuple = ()) -> None:
        for member in self.members:
            if member is skip:
                continue
            while missing := self.missing(member):
                try:
                    self.take(member, f"{len(missing)} TEXT(s) owed to it")
                except CheckFailure:
                    requirement, what = (during[0], f"{during[1]}, c") if during else (self.framing(missing), "C")
                    raise Broken(requirement, f"{what}lient {member.index} never received {len(missing)} TEXT(s) "
                                              "sent while it was connected" + (": the server blocked on one client."
                                                                               if during else "."),
                                 expected=", ".join(short(t) for t in missing[:5]), actual=received(member)) from None

    def wait_notice(self, member: Member, method: str, name: str) -> None:
        while (method, name) not in member.notices:
            try:
                self.take(member, f"the {method} of {name}")
            except CheckFailure as exc:
                raise Broken(ECHO[method], f"Client {member.index} never received the {method} of {name}.",
                             expected=f"CHAT/1.0 {method}, Username: {name}", actual=exc.what) from None

    def owe(self, member: Member, body: str, how: str) -> None:
        self.owed[body] = (member.name, member.index, {m.index for m in self.members if m is not member})
        self.how[body] = how
        member.sent.append(body)

    def send(self, member: Member, how: str) -> None:
        bodies = [self.text(how, member) for _ in range(3 if how == "pipelined" else 1)]
        for body in bodies:
            self.owe(member, body, how)
        policy = {"split": "utf8-split", "pipelined": "coalesced"}.get(how, "whole")
        member.wire.send(*[text(member.name, b) for b in bodies], policy=policy)

    def join(self, receive_window: int | None = None) -> Member:
        self.quiesce()
        self.settle()   # a TEXT no one was owed (its sender alone) has no evidence of being handled but this
        wire = self.connect_wire(receive_window=receive_window) if receive_window else self.connect_wire()
        member = Member(wire, f"u{len(self.everyone)}", len(self.everyone))
        wire.send(join(member.name))
        for other in self.members:
            self.wait_notice(other, "JOIN", member.name)
        if self.members:
            self.held("CS2")
        self.settle()   # nothing acknowledges a JOIN: the server has taken it in once it is idle
        self.members.append(member)
        self.everyone.append(member)
        return member

    def slow(self, writer: Member) -> None:
        """A TEXT in four writes 200 ms apart; before its last, another member's TEXT must reach
        everyone (CS7), and no one may get the slow one's start (CS6)."""
        self.quiesce()   # every earlier TEXT of the writer's is read: whatever of its comes now is this one
        body = self.text("split", writer)
        self.unfinished[writer.name] = body
        model.trickle(writer.wire, pieces := model.cut(text(writer.name, body)))
        others = [m for m in self.members if m is not writer]
        if others:
            self.send(others[0], "short")
            self.quiesce(during=("CS7", f"While client {writer.index}'s TEXT came in {len(pieces)} writes "
                                        f"{model.SLOW_GAP * 1000:.0f} ms apart"))
            self.held("CS7", *(("CS6",) if len(others) > 1 else ()))   # a third member read during the trickle
        del self.unfinished[writer.name]
        self.owe(writer, body, "slow")
        writer.wire.send_raw(pieces[-1])

    def stall(self, sender: Member) -> None:
        """A member joins with a small receive buffer and stops reading while `sender` floods: the
        others must keep receiving (CS11). Reading again, it gets all it is owed, or was dropped."""
        stalled = self.join(receive_window=model.STALL_WINDOW)
        stalled.wire.pause_reading()
        for _ in range(model.FLOOD):
            self.owe(sender, body := self.text("long", sender), "long")
            model.push(sender.wire, text(sender.name, body), "CS11",
                       f"While client {stalled.index} stopped reading, the server stopped taking client "
                       f"{sender.index}'s TEXTs: it blocked on the stalled client.")
        self.quiesce(skip=stalled, during=("CS11", f"While client {stalled.index} stopped reading"))
        self.held("CS11")
        stalled.wire.resume_reading()
        self.catch_up(stalled, lambda: self.take(stalled, "the TEXTs owed to it", settings.wait(settings.BULK)),
                      lambda: self.missing(stalled), "CS11", "TEXT(s)", lambda: received(stalled))

    def leave(self, member: Member, how: str) -> None:
        self.quiesce()   # what it sent has reached everyone: its leaving loses nothing
        self.members.remove(member)
        if how == "leave":
            member.wire.send(leave(member.name))
            for other in self.members:
                self.wait_notice(other, "LEAVE", member.name)
            self.held("CS4")
        if how != "leave":
            self.vanished.add(member.index)
        if how == "reset":
            member.wire.vanish()
        else:
            if how == "midtext":
                self.cut_off.add(member.name)
                member.wire.send_raw(f"CHAT/1.0 TEXT\r\nUsername: {member.name}\r\nMsg-len: 40\r\n\r\nnever fini"
                                     .encode())
            member.wire.close()
        self.settle()   # gone without a LEAVE: the server has taken it in once it is idle

    def run(self, script: list) -> None:
        for step in script:
            kind, member = step["do"], self.pick(step.get("who", 0))
            if kind == "connect" and len(self.members) < self.limit:
                self.join()
            elif kind == "send" and member:
                self.last = member
                self.send(member, step["how"])
            elif kind == "burst":
                for _ in range(3):
                    for m in list(self.members):
                        self.send(m, "short")
            elif kind == "slow" and member:
                self.last = member
                self.slow(member)
            elif kind == "stall" and member and len(self.members) < self.limit:
                self.stall(member)
            elif kind == "leave" and member and len(self.members) > 1:
                self.leave(member, step["how"])
        self.quiesce()
        self.settle()   # late copies (a duplicate) are in by now: the server is idle
        for member in self.members:
            while member.wire.unread():
                self.take(member, "a late message", settings.wait(settings.EVENT))
        self.judge()

    def judge(self) -> None:
        self.judged_texts()
        for member in self.everyone:
            seen: set = set()
            for name, body in member.texts:
                owed_name, sender, to = self.owed[body]
                if member.index not in to:
                    raise Broken("CS3", f"Client {member.index} received a TEXT it must not get (it was not "
                                        "connected when it was sent).", actual=f"{name}: {short(body)}")
                if body in seen:   # CS6 also where its sender's connection then went without a LEAVE
                    raise Broken("CS6" if sender in self.vanished else self.framing([body]),
                                 f"Client {member.index} received a TEXT twice"
                                 + (" (its sender then left without a LEAVE)." if sender in self.vanished else "."),
                                 expected="each TEXT once", actual=f"{name}: {short(body)} (twice)")
                seen.add(body)
                if name != owed_name:
                    raise Broken("CS3", f"Client {member.index} got client {sender}'s TEXT under another Username.",
                                 expected=owed_name, actual=name)
            for sender in self.everyone:
                order = [b for _, b in member.texts if self.owed[b][1] == sender.index]
                sent = [b for b in sender.sent if b in order]
                if order != sent:
                    raise Broken(self.framing(order), f"Client {member.index} received client {sender.index}'s "
                                                      "TEXTs out of the order they were sent.",
                                 expected=", ".join(short(t) for t in sent), actual=", ".join(short(t) for t in order))


def received(member: Member) -> str:
    return "\n".join(f"{n}: {short(b)}" for n, b in member.texts[-8:]) or "[nothing]"


def run(script: list, fresh, limit: int = MAX_MEMBERS, judged: set | None = None) -> Violation | None:
    return model.run_session(Session, script, fresh, limit, "CS3", judged)
