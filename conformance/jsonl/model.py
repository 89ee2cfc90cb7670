"""jsonl's model: random sessions of 2–6 raw clients and the history checker that judges them.

Steps: connect; send (short, Czech, 20,000 characters, split across writes, three pipelined in one
write); a burst (every member sends, round-robin, three times over: messages of several clients in
the same instants); set-name; leave (close, reset, mid-line then close, or a half-close: the client
stops sending and still reads); and two fault profiles: a slow writer (a message in four writes
200 ms apart, while another member's message must get through: JS7) and a stalled reader (a member
joins with a 4 kB receive buffer and stops reading while another sends 600 kB: the others must keep
receiving, JS11; once it reads again it gets everything it is owed, or the server has closed it). Membership changes wait for quiescence (every message sent so far delivered), so who
must get a message is exact: the members when it was sent, the sender included (JS3). Sends between
them are not waited for: that is where interleavings happen.

Checked over the whole history: every message delivered exactly once to each member that must get it
and to no one else, with its sender's name at the time, per-sender order kept, nothing corrupted or
merged (JS3); every arrival, rename and departure announced to the members of the time (JS2, JS4,
JS10); a member that stops getting what it is owed while the others go on (the server blocked on
one client) shows as a lost message."""
from __future__ import annotations

import json

from hypothesis import strategies as st

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness import model
from conformance.harness.model import WHO, Broken, Violation, scripts, short
from conformance.jsonl.steps import SERVER, encode

EXAMPLES, BUDGET_S = 40, 25.0     # per run: scripts drawn, and the wall time for drawing and shrinking
MAX_MEMBERS = 6
HOW = ("short", "czech", "long", "split", "pipelined")
LEAVING = ("close", "reset", "midline", "halfclose")
FRAMED = ("split", "pipelined", "long", "slow")


def steps():
    """Scripts of 1–20 steps after two connects (model.scripts), weighted toward renames, departures
    and bursts."""
    return scripts(("connect", "connect", "send", "send", "send", "burst", "burst", "setname", "setname", "leave",
                    "leave", "slow", "stall"),
                   {"send": {"who": WHO, "how": st.sampled_from(HOW)}, "setname": {"who": WHO}, "slow": {"who": WHO},
                    "stall": {"who": WHO},
                    "leave": {"who": WHO, "how": st.sampled_from(("close", "reset", "reset", "midline", "halfclose"))}},
                   MAX_MEMBERS)


class Member:
    def __init__(self, wire, name: str, index: int):
        self.wire, self.name, self.index = wire, name, index
        self.log: list = []            # every object received, in order
        self.sent: list = []           # texts it sent, in order
        self.renamed = False

    def take_line(self, what: str, timeout: float) -> dict:
        line = self.wire.read_line(timeout, what=what)
        try:
            obj = json.loads(line.decode("utf-8"))
            data = obj["data"]
            if obj.get("type") != "message" or not isinstance(data.get("source"), str) \
                    or not isinstance(data.get("message"), str):
                raise ValueError("not a message object")
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise Broken("JS3", f"Client {self.index} received a line that is not one message object ({exc}): "
                                "a message corrupted or two merged.", expected="one JSON message object per line",
                         actual=line[:300]) from None
        self.log.append((data["source"], data["message"]))
        return data


class Session(model.Session):
    """One script on one fresh server (owed: text -> (source name at send time, sender index,
    recipients' indices))."""
    RELAY, FRAMING_ID = "JS3", "JS7"

    def __init__(self, connect, settle, limit: int = MAX_MEMBERS):
        super().__init__(connect, settle, limit, MAX_MEMBERS)
        self.renames = 0
        self.writes: dict = {}   # text -> the texts of the write it went in (pipelined: three)

    def send(self, member: Member, how: str) -> None:
        texts = [self.text(how, member) for _ in range(3 if how == "pipelined" else 1)]
        for text in texts:
            self.owe(member, text, how)
            self.writes[text] = tuple(texts)
        policy = {"split": "utf8-split", "pipelined": "coalesced"}.get(how, "whole")
        member.wire.send(*[encode("message", t) for t in texts], policy=policy)

    def owe(self, member: Member, text: str, how: str) -> None:
        """`member` sends `text` now: every member of the time is owed it, under its name of the time."""
        self.owed[text] = (member.name, member.index, {m.index for m in self.members})
        self.how[text] = how
        member.sent.append(text)

    def wait_notice(self, member: Member, names: tuple, requirement: str, what: str) -> None:
        """Read the member's lines until a [Server] notice naming every one of `names` comes."""
        while True:
            try:
                source, message = (lambda d: (d["source"], d["message"]))(
                    member.take_line(what, settings.wait(settings.EVENT)))
            except CheckFailure as exc:
                raise Broken(requirement, f"Client {member.index} did not get the notice {what}.",
                             expected=f"a [Server] message naming {', '.join(names)}", actual=exc.what) from None
            if source == SERVER and all(n in message for n in names):
                return

    def quiesce(self, skip=None, during: tuple = (), sender=None) -> None:
        """Until every member (but `skip`) has everything it is owed so far (or a message is found
        lost). `during`: (requirement, what was going on) where a loss at another member than `sender`
        means the server blocked; the sender's own copies are judged last, as any loss (a server that
        sends no copy back is no blocked server)."""
        for member in sorted(self.members, key=lambda m: m is sender):
            if member is skip:
                continue
            blocked = during if member is not sender else ()
            while missing := self.missing(member):
                try:
                    member.take_line("the messages it is owed", settings.wait(settings.EVENT))
                except CheckFailure:
                    requirement, what = (blocked[0], f"{blocked[1]}, c") if blocked else \
                        (self.requirement(missing, every=True), "C")
                    raise Broken(requirement, f"{what}lient {member.index} never received {len(missing)} message(s) "
                                              "sent while it was connected" + (": the server blocked on one client."
                                                                               if blocked else "."),
                                 expected=", ".join(short(t) for t in missing[:5]), actual=received(member)) from None

    def missing(self, member: Member) -> list:
        want = {t for t, (_, _, to) in self.owed.items() if member.index in to}
        return sorted(want - {m for s, m in member.log if s != SERVER})

    def join(self, receive_window: int | None = None) -> Member:
        self.quiesce()
        wire = self.connect_wire(receive_window=receive_window) if receive_window else self.connect_wire()
        host, port = wire.sock.getsockname()[:2]
        member = Member(wire, f"{host}:{port}", len(self.everyone))
        self.members.append(member)
        self.everyone.append(member)
        for m in self.members:
            self.wait_notice(m, (member.name,), "JS2", f"announcing client {member.index}'s arrival")
        self.held("JS2")
        return member

    def slow(self, writer: Member) -> None:
        """A message written in four writes 200 ms apart; before its last, another member's message
        must reach everyone (a server that waits for the whole line blocks it)."""
        text = self.text("split", writer)
        model.trickle(writer.wire, pieces := model.cut(encode("message", text)))
        others = [m for m in self.members if m is not writer]
        if others:
            self.send(others[0], "short")
            self.quiesce(sender=others[0], during=("JS7", f"While client {writer.index}'s message came in {len(pieces)} writes "
                                        f"{model.SLOW_GAP * 1000:.0f} ms apart"))
            self.held("JS7")
        self.owe(writer, text, "slow")
        writer.wire.send_raw(pieces[-1])

    def stall(self, sender: Member) -> None:
        """A member joins with a small receive buffer and stops reading while `sender` floods: the
        others must keep receiving (JS11). Reading again, it gets all it is owed, or it was dropped."""
        stalled = self.join(receive_window=model.STALL_WINDOW)
        stalled.wire.pause_reading()
        for _ in range(model.FLOOD):
            self.owe(sender, text := self.text("long", sender), "flood")   # (a loss of these is no framing evidence)
            model.push(sender.wire, encode("message", text), "JS11",
                       f"While client {stalled.index} stopped reading, the server stopped taking client "
                       f"{sender.index}'s messages: it blocked on the stalled client.")
        self.quiesce(skip=stalled, sender=sender, during=("JS11", f"While client {stalled.index} stopped reading"))
        self.held("JS11")
        stalled.wire.resume_reading()
        self.catch_up(stalled, lambda: stalled.take_line("the messages it is owed", settings.wait(settings.BULK)),
                      lambda: self.missing(stalled), "JS11", "message(s)", lambda: received(stalled))

    def requirement(self, texts: list, every: bool = False) -> str:
        """JS7 where a message at fault was sent split across writes, pipelined with others or long
        enough to arrive in several reads (the framing), else JS3. `every`: for lost messages, JS7 only
        where every one lost was so, and a pipelined one only where the rest of its write was lost behind
        a first that came (a server that loses plain messages, or one of a write at random, has a relay
        bug: a race loses any message)."""
        if not every:
            return "JS7" if any(self.how.get(t) in FRAMED for t in texts) else "JS3"
        lost = set(texts)

        def framed(t):
            if self.how.get(t) != "pipelined":
                return self.how.get(t) in FRAMED
            write = self.writes.get(t, ())
            return bool(write) and write[0] not in lost and all(w in lost for w in write[1:])
        return "JS7" if texts and all(framed(t) for t in texts) else "JS3"

    def run(self, script: list) -> None:
        for step in script:
            kind = step["do"]
            if kind == "connect" and len(self.members) < self.limit:
                self.join()
            elif kind == "slow" and self.members:
                self.slow(self.pick(step["who"]))
            elif kind == "stall" and self.members and len(self.members) < self.limit:
                self.stall(self.pick(step["who"]))
            elif kind == "send" and self.members:
                self.last = self.pick(step["who"])
                self.send(self.last, step["how"])
            elif kind == "burst":   # every member sends, round-robin, three rounds: the same instants
                for _ in range(3):
                    for member in list(self.members):
                        self.send(member, "short")
            elif kind == "setname" and self.members:
                member = self.last = self.pick(step["who"])
                self.renames += 1
                old, new = member.name, f"name{self.renames}c{member.index}"
                member.wire.send(encode("set-name", new))
                member.name, member.renamed = new, True
                for m in self.members:
                    self.wait_notice(m, (old, new), "JS4", f"announcing client {member.index}'s new name {new}")
                self.held("JS4")
            elif kind == "leave" and len(self.members) > 1:
                member = self.pick(step["who"])
                self.quiesce()   # what it sent has reached everyone: its leaving loses nothing
                self.members.remove(member)
                if step["how"] == "reset":
                    member.wire.vanish()
                elif step["how"] == "halfclose":   # its sending side only: the server reads the end of it
                    member.wire.half_close()
                else:
                    if step["how"] == "midline":
                        member.wire.send_raw(b'{"type": "message", "data": "never fini')
                    member.wire.close()
                for m in self.members:
                    self.wait_notice(m, (member.name,), "JS10", f"announcing that client {member.index} "
                                                               f"({member.name}) left ({step['how']})")
                self.held("JS10")
        self.quiesce()
        self.settle()   # late copies (a duplicate) are in by now: the server is idle
        for member in self.members:
            while member.wire.has_line():
                member.take_line("a late line", 0.1)
        self.judge()

    def judge(self) -> None:
        self.judged_texts()
        for member in self.everyone:
            chats = [(s, m) for s, m in member.log if s != SERVER]
            seen: dict = {}
            for source, text in chats:
                if text not in self.owed or member.index not in self.owed[text][2]:
                    raise Broken("JS3", f"Client {member.index} received a message it must not get.",
                                 expected="only messages sent while it was connected",
                                 actual=f"{source}: {short(text)}")
                seen[text] = seen.get(text, 0) + 1
                if seen[text] > 1:
                    raise Broken(self.requirement([text]), f"Client {member.index} received a message twice.",
                                 expected="each message once", actual=f"{source}: {short(text)} (twice)")
                name, sender, _ = self.owed[text]
                if source != name:
                    renamed = self.everyone[sender].renamed
                    raise Broken("JS4" if renamed else "JS3",
                                 f"Client {member.index} got client {sender}'s message under the wrong name"
                                 + (" (its sender had set a new name before sending it)." if renamed else "."),
                                 expected=f"{name}: {short(text)}", actual=f"{source}: {short(text)}")
            for sender in self.everyone:
                order = [t for _, t in chats if t in self.owed and self.owed[t][1] == sender.index]
                sent = [t for t in sender.sent if t in order]
                if order != sent:
                    raise Broken(self.requirement(order), f"Client {member.index} received client {sender.index}'s messages out of "
                                        "the order they were sent.", expected=", ".join(short(t) for t in sent),
                                 actual=", ".join(short(t) for t in order))


def received(member: Member) -> str:
    return "\n".join(f"{s}: {short(m)}" for s, m in member.log[-8:]) or "[nothing]"


def run(script: list, fresh, limit: int = MAX_MEMBERS, judged: set | None = None) -> Violation | None:
    return model.run_session(Session, script, fresh, limit, "JS3", judged)
