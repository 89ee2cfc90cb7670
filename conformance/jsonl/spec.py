"""jsonl: chatconform's requirement IDs for the JSON-lines chat (the assignment text has none)."""
from conformance.protocol import MUST, SHOULD

REQUIREMENTS = {
    "JC1": (MUST, "client.py SERVER PORT (positional) connects to the server; (SHOULD) --help prints usage."),
    "JC2": (MUST, 'A typed line not starting with / is sent as {"type": "message", "data": LINE} and a newline.'),
    "JC3": (MUST, '/setname NAME is sent as {"type": "set-name", "data": NAME}.'),
    "JC4": (MUST, '/history is sent as {"type": "history", "data": ""}.'),
    "JC5": (MUST, '/users is sent as {"type": "users", "data": ""}.'),
    "JC6": (MUST, "Every message from the server is printed as SOURCE: MESSAGE."),
    "JC7": (MUST, "Messages delivered one byte at a time, several in one write, with a UTF-8 character split "
                  "across writes, or 64 KiB long are each printed once and whole (it MUST work with recv(1))."),
    "JC8": (MUST, "When the server closes the connection the client prints Server disconnected and exits by "
                  "itself within 2 s."),
    "JC9": (MUST, "The keyboard is read in its own thread: incoming messages appear while the client waits for "
                  "input."),
    "JC10": (SHOULD, "Invalid JSON, an unknown type or missing keys from the server do not crash the client; "
                     "later messages are still printed."),
    "JC11": (SHOULD, "A line starting with / that is no known command is not sent as a chat message."),
    "JC12": (MUST, "Every line the client sends is one JSON object in UTF-8 ending with a newline, also when "
                   "send() transmits only part of the data."),
    "JS1": (MUST, "server.py --port P listens on P; (SHOULD) --help prints usage."),
    "JS2": (MUST, "A new client is named ip:port; a notice from source [Server] naming it goes to everyone."),
    "JS3": (MUST, 'A chat message goes to every client, sender included, as {"type": "message", "data": '
                  '{"source": NAME, "message": TEXT}}, in the order received.'),
    "JS4": (MUST, "set-name sends a [Server] notice naming the old and the new name to everyone, and later "
                  "messages carry the new name; (SHOULD) a name in use is refused with a notice to the "
                  "requester only."),
    "JS5": (MUST, "history sends the recent chat messages as message objects, oldest first, to the requester "
                  "only."),
    "JS6": (MUST, "users sends a [Server] message naming every connected user, to the requester only."),
    "JS7": (MUST, "Requests sent one byte at a time, several in one write, or with a UTF-8 character split "
                  "across writes are each handled once."),
    "JS8": (MUST, "Bad input (invalid JSON, not an object, unknown type, wrong data type) gets an error notice "
                  "to that client only and the connection is kept; history and users without data are "
                  "accepted."),
    "JS9": (MUST, "Limits: a line longer than any sane bound (16 MiB) gets an error or a close before the server "
                  "has buffered it all, and the server stays up; after 5,000 chat messages a history reply holds "
                  "fewer than 5,000; one connection past the user limit gets a notice and a close."),
    "JS10": (MUST, "A client that disconnects (cleanly, by reset, or mid-line) is announced to the others by "
                   "name, and its name is free again."),
    "JS11": (MUST, "A client that never reads cannot stall the others: they keep receiving, and the server drops "
                   "the stalled client once its backlog passes a bound."),
    "JS13": (MUST, "An idle server stays idle: with its clients connected and silent, and once they have left (closing or resetting their connections), it uses at most 20% of one core."),
    "JS14": (SHOULD, "The server listens on every interface (not on localhost only), so that other machines can connect."),
    "JS12": (MUST, "(bonus in the spec, required here) --web-port P runs a Flask app in the server process: an "
                   "HTML page of connected users and recent messages that stays current, and /api/state as JSON."),
}

# Demands beyond the assignment's text: SHOULD, shown as warnings, each naming the sentence it goes beyond.
BEYOND_TEXT = {
    "JS14": "'The server will wait for connections from clients and facilitace communication between them' (no address is named)",
}
