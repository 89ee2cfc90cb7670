"""The causes a diagnosis can name: stable names, each with what it is, why it breaks the
requirement and the usual fix (docs/diagnoses.md is written from this table: `python -m
conformance.diagnose.causes`).

A *mechanism* names how the code goes wrong (one recv() taken as one message); a *behaviour* names
what the program does wrong where no mechanism could be proved (it sends a message to the wrong
members). A failure with a proved mechanism is not also given a behaviour: the mechanism explains it.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    title: str
    what: str      # what it is, and why it breaks the requirement
    fix: str
    level: str = "mechanism"   # or "behaviour"


CAUSES = {
    # --- how bytes are read ------------------------------------------------------------------
    "one-recv-one-message": Cause(
        "one recv() taken as one message",
        "TCP is a byte stream: one recv() may return half a message, or two messages and a part of a "
        "third. Code that handles each recv() result as one whole message (or splits it into lines and "
        "drops the unfinished tail, or handles one line per readiness) loses or cuts messages as soon as "
        "the network cuts or joins them.",
        "Keep a buffer per connection: append what recv() returns, take out every complete message (up to "
        "a newline, or as many bytes as the length says), keep the rest for the next read."),
    "decode-per-chunk": Cause(
        "each chunk decoded on its own",
        "A UTF-8 character is one to four bytes, and a read can end between them. Decoding every recv() "
        "result on its own turns a character cut across two reads into two replacement characters (or "
        "raises UnicodeDecodeError).",
        "Buffer bytes, and decode a message only once it is complete (or use an incremental decoder)."),
    "frames-by-content": Cause(
        "messages found by their content",
        "The end of a message is found by looking into its content (counting braces, searching for a "
        "header word) instead of by the framing the protocol defines (a newline, a length). A message "
        "whose text holds that content is cut or glued to the next one.",
        "Frame by the protocol's rule alone: read up to the newline, or read exactly the announced length."),
    "substring-header": Cause(
        "a header matched by substring",
        "A message's kind is told by searching for its header anywhere in the line (`\"SEND-OK\" in line`). "
        "A message whose text happens to hold that word is taken for another kind.",
        "Split the header off (`header, _, rest = line.partition(' ')`) and compare it whole."),
    # --- how bytes are sent ------------------------------------------------------------------
    "sendall": Cause(
        "sendall() where the assignment asks for send()",
        "The assignment forbids sendall(): the program must call send() and handle how many bytes went out.",
        "Loop on send() until every byte is out: `while data: data = data[sock.send(data):]`."),
    "ignores-send-count": Cause(
        "send()'s return value ignored",
        "send() may send only a part of the bytes and returns how many it sent. Ignoring it loses the tail "
        "of a long message or of any message sent while the connection is busy.",
        "Loop: `while data: data = data[sock.send(data):]`."),
    "chars-not-bytes": Cause(
        "characters counted where bytes are meant",
        "A length field counts bytes, but len() of a str counts characters: a message with a non-ASCII "
        "character announces fewer bytes than it sends, and the receiver cuts it short.",
        "Encode first, then count: `payload = text.encode('utf-8'); length = len(payload)`."),
    "getsizeof-length": Cause(
        "sys.getsizeof() as the length",
        "sys.getsizeof() is the size of the Python object in memory, not the number of bytes of its "
        "content: the announced length is wrong for every message.",
        "Use len() of the encoded bytes."),
    # --- threads, blocking, the event loop --------------------------------------------------
    "blocking-input": Cause(
        "waiting for the keyboard while messages wait on the socket",
        "The program reads the keyboard and the socket in one thread, one after the other: while it waits "
        "in input(), a message that has arrived stays unread on its socket, so it is shown only after the "
        "user types something.",
        "Read the socket in its own thread (a daemon thread that prints what arrives), or wait on both with "
        "select()."),
    "busy-loop": Cause(
        "a loop that never waits",
        "A loop that polls instead of blocking (recv() on a closed connection returns b'' at once; "
        "get_nowait() in a loop) keeps a core at 100 %, slowing every other program on the machine.",
        "Block until something happens (recv() without a timeout, queue.get()), and leave the loop when "
        "recv() returns b''."),
    "one-client-stalls-all": Cause(
        "one slow client stalls the others",
        "The server sends to each client with a blocking call from a shared thread or under a shared lock "
        "(or reads a slow sender's message while holding it): a client that stops reading, or sends "
        "slowly, stops everyone.",
        "Give each client its own send queue and writer thread (or non-blocking sockets with select), and "
        "never hold a shared lock across a blocking call."),
    "gui-from-thread": Cause(
        "the GUI touched from another thread",
        "Tk and Qt widgets may be used only from the thread that runs the GUI's main loop. A network "
        "thread that inserts text or changes a widget itself may crash the program, freeze it or lose "
        "the update.",
        "Hand what arrives to the GUI thread: a queue polled with root.after() (Tk), a signal (Qt)."),
    "io-in-gui-thread": Cause(
        "network I/O in the GUI thread",
        "A blocking send or receive in a button's callback freezes the whole window until the network "
        "answers: a server that stops reading freezes the GUI.",
        "Send from a worker thread (a queue of outgoing messages), never block in a callback."),
    "uncaught-exception": Cause(
        "an uncaught exception",
        "An exception nobody catches ends the program, or the thread it was raised in (which then stops "
        "doing its job: reading the socket, serving a client).",
        "Handle the input that raised it (an unknown header, an empty message, a closed connection) "
        "where it is read; a thread that serves a client must survive a bad message."),
    "keeps-running": Cause(
        "still running after it should have ended",
        "The program should exit (after !quit, after its window closed, when the server is gone), but a "
        "thread that is not a daemon, or a loop that never checks for the end, keeps the process alive.",
        "Make helper threads daemons (`threading.Thread(..., daemon=True)`) or tell them to stop, and "
        "return from the main loop."),
    "os-exit": Cause(
        "os._exit()",
        "os._exit() ends the process at once, without closing the socket properly or flushing output; "
        "the course forbids it.",
        "Close the socket and return from main (or sys.exit() in the main thread)."),
    "escapes-process-group": Cause(
        "a helper that leaves its process group",
        "A forked helper that calls setsid() leaves the program's process group and session, so it "
        "outlives the program.",
        "Do not fork or setsid(); use threads."),
    "slow-to-answer": Cause(
        "answers only after a delay",
        "The program waits (sleeps, or polls with a long interval) before it handles what has arrived, "
        "so every message is shown late.",
        "Handle data as soon as recv() returns it; never sleep to 'let the rest arrive' (buffer instead)."),
    "drops-input": Cause(
        "input typed quickly is dropped",
        "What the user types soon after the last line is ignored (a debounce, a flag), so a message typed "
        "at once never goes out.",
        "Handle every line the user enters, whenever it comes."),
    "cut-through": Cause(
        "a message relayed before it is complete",
        "The server forwards a message's parts as they arrive: another sender's message sent meanwhile "
        "lands in the middle of it.",
        "Forward a message only once it is complete, as one write per receiver."),
    # --- what the program does (where no mechanism was proved) -------------------------------
    "own-wording": Cause(
        "its own wording for a fixed text",
        "The assignment gives the exact text to print, and the program prints its own version of it. "
        "Checkers (and users' scripts) compare the text literally.",
        "Copy the text from the assignment character for character.", "behaviour"),
    "wrong-wire-format": Cause(
        "a message sent in the wrong format",
        "A message the program puts on the wire differs from the protocol's format (a header, a space, a "
        "field's type, the byte order): the other side does not understand it.",
        "Build the message exactly as the protocol's text shows it; compare your bytes with the example.",
        "behaviour"),
    "message-not-sent": Cause(
        "a required message never sent",
        "The protocol requires a message at this point (a join, a leave, a quit, a notice to the others), "
        "and the program does not send it.",
        "Send it where the protocol says (on start, on close, when a client leaves).", "behaviour"),
    "wrong-recipients": Cause(
        "sent to the wrong members",
        "A message goes to members it should not reach (back to its sender, to everyone) or misses "
        "members it should reach.",
        "Check who each kind of message is for: the requester only, everyone, everyone but the sender.",
        "behaviour"),
    "message-not-shown": Cause(
        "a message not shown to the user",
        "Something the protocol delivers (a message, a join, a list, an error) is dropped or shown "
        "incompletely instead of being shown as the text asks.",
        "Show every kind of message the text lists, with the parts it names (the sender, every name).",
        "behaviour"),
    "shows-protocol-text": Cause(
        "protocol text shown to the user",
        "The program shows raw protocol text (headers, control messages) that the user should not see.",
        "Strip the header before showing a message; keep control messages (lists) out of the chat view.",
        "behaviour"),
    "missing-option": Cause(
        "a command-line option missing",
        "The assignment requires an option (--version, --help) that the program does not handle.",
        "Parse the command line with argparse, with the options the assignment lists."),
    "connection-handling": Cause(
        "a connection closed or kept at the wrong time",
        "The program closes a connection the protocol keeps open (after a logout, after a bad request), "
        "or keeps open one the protocol closes.",
        "Close a connection exactly where the protocol says, and only there.", "behaviour"),
    "stale-state": Cause(
        "state not updated or not reset",
        "The program keeps state the protocol says to change (a name not freed when its user leaves, a "
        "status that never goes back, a list appended to instead of replaced, a second login).",
        "Update the state on every event that changes it: a disconnect as well as a logout.", "behaviour"),
    "login-flow": Cause(
        "the login steps not followed",
        "After the server refuses a name, or at the login prompt, the program does something other than "
        "the text says (uses the closed connection, asks again instead of exiting, exits instead of "
        "asking, sends a command as a name).",
        "Follow the text's login steps: a new connection after a refused name, exit when the server is full.",
        "behaviour"),
    "input-validation": Cause(
        "input checked by the wrong rule",
        "The program accepts or passes on what the protocol says to refuse (an invalid message, a blank "
        "message, an unknown destination, an unknown command), or refuses what it should accept.",
        "Check every input against the text's rules before you act on it.", "behaviour"),
    "no-limit": Cause(
        "no limit where the text sets one",
        "The program keeps or passes on whatever it is sent (an over-long line, every message ever, any "
        "number of clients), so memory or the others' traffic grows without bound.",
        "Apply the limits the text gives: drop over-long input, keep only the last N, refuse clients past "
        "the maximum.", "behaviour"),
    "wrong-order": Cause(
        "things sent in the wrong order",
        "The protocol fixes an order (the history oldest first, the reply before the delivery) that the "
        "program does not keep.",
        "Keep the order the text gives.", "behaviour"),
    "localhost-only": Cause(
        "listens on localhost only",
        "A server bound to 'localhost' (127.0.0.1) cannot be reached from any other machine.",
        "Bind to '' or '0.0.0.0' by default.", "behaviour"),
    "ignores-address-arguments": Cause(
        "a fixed address, not the one it was given",
        "The client connects to an address and port written into its code (the course's old template: "
        "HOST = '127.0.0.1', PORT = 5378) instead of the --address/--port (or --target, SERVER PORT) it was "
        "started with, so it can reach only the one server its author had.",
        "Parse the command line (argparse) and connect to the address and port it gives; keep the old ones "
        "as the defaults.", "behaviour"),
    "html-unescaped": Cause(
        "received text rendered as HTML",
        "Text from the network is put into a rich-text view unescaped, so markup in a message is rendered "
        "(or hides the message).",
        "Escape it (html.escape) or insert it as plain text.", "behaviour"),
}

LEVELS = ("mechanism", "behaviour")


def markdown() -> str:
    """docs/diagnoses.md's table of causes."""
    out = []
    for name, cause in CAUSES.items():
        out += [f"### `{name}`: {cause.title}", "", cause.what, "", f"*Fix:* {cause.fix}", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(markdown())
