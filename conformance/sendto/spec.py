"""sendto: chatconform's requirement IDs for the CS3560 chatroom (the assignment text names the
messages but no byte format; the format is chatconform's, in reference/sendto/PROTOCOL.md)."""
from conformance.protocol import MUST, SHOULD

REQUIREMENTS = {
    "SC1": (MUST, "client.py HOST PORT connects to HOST PORT immediately."),
    "SC2": (MUST, "login NAME sends a login packet; no name, extra parameters or a name over 20 characters "
                  "print Bad username and nothing is sent (whenever the client prints an error it performs no "
                  "other action)."),
    "SC3": (MUST, "list sends a list packet; extra parameters print Invalid command."),
    "SC4": (MUST, "sendto NAME TEXT sends a sendto packet, TEXT being the rest of the line with its spaces; "
                  "missing parameters or a name over 20 characters print Bad username; more than 65535 "
                  "characters of text print Bad message."),
    "SC5": (MUST, "logout sends a logout packet and keeps the connection: list and login work afterwards; extra "
                  "parameters print Invalid command."),
    "SC6": (MUST, "exit closes the socket and the process exits; extra parameters print Invalid command."),
    "SC7": (MUST, "RESPONSE ok prints Success, failure prints Failure; malformed packet prints a message and the "
                  "client keeps running."),
    "SC8": (MUST, "A LIST packet prints every name in it."),
    "SC9": (MUST, "A SENDTO packet prints NAME: TEXT, also while the client waits for input."),
    "SC10": (MUST, "Packets delivered one byte at a time, several in one write, with 64 KiB of text, or with a "
                   "UTF-8 character split across writes are each handled once and whole."),
    "SC11": (SHOULD, "An unknown command prints Invalid command and sends nothing."),
    "SC12": (SHOULD, "When the server closes the connection the client prints a message and exits, without a "
                     "traceback."),
    "SS1": (MUST, "server.py --port P listens on P and serves many clients at once."),
    "SS2": (MUST, "login: RESPONSE ok, or failure if the name is taken or the connection is already logged in; "
                  "a bad username is a malformed packet."),
    "SS3": (MUST, "list (allowed before login) gets a LIST of every logged-in name, in login order."),
    "SS4": (MUST, "sendto: failure if the sender or the destination is not logged in; on success RESPONSE ok "
                  "to the sender first, then SENDTO (sender, text) to the destination."),
    "SS5": (MUST, "logout: RESPONSE ok (failure if not logged in); the connection stays, the name is free, and "
                  "list and login work afterwards."),
    "SS6": (MUST, "A closed connection (clean, reset or mid-packet) logs its user out: the name is free again."),
    "SS7": (MUST, "Malformed packets (unknown type, a body that does not fit its type, a bad username, text over "
                  "65535 characters, invalid UTF-8) get RESPONSE 2 and the connection stays; a length above "
                  "262221 gets RESPONSE 2 and a close."),
    "SS8": (MUST, "Requests sent one byte at a time, several in one write, or split anywhere are each handled "
                  "once."),
    "SS9": (MUST, "Exactly one reply per request, in request order: LIST for list, RESPONSE for the rest."),
    "SS11": (MUST, "An idle server stays idle: with its clients logged in and silent, and once they have left (after logout or by vanishing), it uses at most 20% of one core."),
    "SS12": (SHOULD, "The server listens on every interface (not on localhost only), so that other machines can connect."),
    "SS10": (MUST, "A client that never reads cannot stall the others, and the server drops it once its backlog "
                   "passes a bound; the number of connections is bounded (--max-clients)."),
}

# Demands beyond the assignment's text: SHOULD, shown as warnings, each naming the sentence it goes beyond.
BEYOND_TEXT = {
    "SS12": "'The server has to accept and maintain connections to all the clients' (no address is named)",
}
