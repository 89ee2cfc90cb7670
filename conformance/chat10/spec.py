"""chat10: chatconform's requirement IDs for the CHAT/1.0 chat room (the assignment text has none)."""
from conformance.protocol import MUST, SHOULD

REQUIREMENTS = {
    "CS1": (MUST, "server.py has an argparse command line: --help, --version (e.g. server.py 1.0), --port."),
    "CS2": (MUST, "A JOIN from a client is forwarded to every other client, never back to the sender."),
    "CS3": (MUST, "A TEXT is forwarded to every other client with Username, Msg-len and exactly Msg-len payload "
                  "bytes; the payload may contain \\r\\n\\r\\n and non-ASCII text (Msg-len counts bytes)."),
    "CS4": (MUST, "A LEAVE is forwarded to the other clients."),
    "CS5": (MUST, "A TEXT without Username, without Msg-len, or with a zero-length payload is not forwarded."),
    "CS6": (MUST, "Pipelining: several messages in one write, one message one byte at a time, and two "
                  "senders' messages arriving in interleaved parts are each forwarded once and whole, only once "
                  "complete (also when the sender's connection is then reset)."),
    "CS7": (MUST, "A slow sender (a 1 MiB TEXT trickling in) and a silent client never delay the others."),
    "CS8": (SHOULD, "A client that vanishes without LEAVE: the others get a LEAVE for it."),
    "CS9": (MUST, "Bad input (garbage, no CHAT/1.0, an absurd Msg-len, an endless header) never stops the server "
                  "serving the others, and its memory stays bounded."),
    "CS10": (MUST, "An idle server stays idle: with its clients connected and silent, and once they have left (with LEAVE or by vanishing), it uses at most 20% of one core."),
    "CS11": (SHOULD, "A client that stops reading never delays the others (the server drops it or queues for it)."),
    "CS12": (SHOULD, "The server listens on every interface (not on localhost only), so that other machines can join."),
    "CC1": (MUST, "client.py has an argparse command line: --help, --version (e.g. client.py 1.0), --target "
                  "(default localhost), --port (default 8765), --username required (missing: a usage error, "
                  "exit status 2)."),
    "CC2": (MUST, "On start the client sends JOIN with its username."),
    "CC3": (MUST, "A message typed and sent from the GUI goes out as TEXT with Username, Msg-len in bytes "
                  "(UTF-8) and the payload after the blank line."),
    "CC4": (MUST, "The user's own message appears in the chat display at once (the server does not echo it)."),
    "CC5": (MUST, "An incoming TEXT is displayed with the sender's name and the text."),
    "CC6": (MUST, "JOIN and LEAVE of other users are displayed."),
    "CC7": (MUST, "The GUI never waits on the network: while the server stops reading or sends nothing, the "
                  "window still answers, typing works and received messages appear."),
    "CC8": (MUST, "Incoming framing: messages one byte at a time, several in one write, payloads containing "
                  "\\r\\n\\r\\n are each displayed once and whole; an invalid TEXT is ignored without a crash."),
    "CC9": (MUST, "After sending, the user can type and send the next message at once."),
    "CC10": (MUST, "Closing the window sends LEAVE and the process exits."),
}

# Demands beyond the assignment's text: SHOULD, shown as warnings, each naming the sentence it goes beyond.
BEYOND_TEXT = {
    "CS8": "'The client sends a LEAVE message to the server when leaving the chat room. The server forwards this "
           "LEAVE message to all other connected clients' (a client that vanishes is not mentioned)",
    "CS11": "'receiving a large message from slow client X should not also prevent the server from receiving a "
            "message from fast client Y' (a client that stops reading is not mentioned, and 'One thread per "
            "socket, where blocking on send() and recv() is allowed' is permitted)",
    "CS12": "'The server should listen on the specified TCP port (8765 by default)' (no address is named)",
}
