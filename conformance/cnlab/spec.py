"""cnlab: the requirement table (the assignment's own IDs and sentences); what else
the protocol is, in its descriptor (conformance/cnlab/__init__.py)."""
from conformance.protocol import MUST, SHOULD

REQUIREMENTS = {
    # the client (the assignment's own IDs and sentences)
    "RA1": (MUST, "The client must ask the user for a username and attempt to log them in."),
    "RA2": (MUST, "The client must ask the user for a new username if the provided one is already in use, "
                  "with an informative message."),
    "RA3": (MUST, "The client must inform the user if the server is full and exit gracefully."),
    "RA4": (MUST, "The client must inform the user if their username was rejected for any other reason and ask "
                  "for a new username. Examples include forbidden symbols (!@#$%^&*)"),
    "RA5": (MUST, "The client must inform the user if their username was rejected for any other reason and ask "
                  "for a new username. Examples include commands (@username, !who)"),
    "RA6": (SHOULD, "The client should not have to be restarted after a failed log-in attempt."),
    "RA7": (SHOULD, "The client should be able to send a message to echobot and receive the full message"),
    "RA8": (SHOULD, "The client should be able to stop the program with !quit at any point (including when "
                    "asking for the name)"),
    "RC1": (MUST, "Typing the command !quit at any point must exit the client. No additional steps should be "
                  "required to exit (e.g., Ctrl+C)."),
    "RC2": (MUST, "Typing the command !who must print a list of users."),
    "RT1": (MUST, "The client must use the TCP transport layer protocol for all network communication."),
    "RT2": (MUST, "The client must not use the sendall() function in Python."),
    "RT3": (MUST, "The client must not print incomplete messages."),
    "RT4": (MUST, "The client must support the sending and receiving of messages of any nonzero length."),
    "RT5": (MUST, "The client must print messages as soon as they are fully received."),
    "RT6": (SHOULD, "Awaiting user keyboard input should not prevent newly incoming messages from being "
                    "displayed."),
    "RT7": (MUST, "Receiving any protocol header from the server at any point in the client's lifetime must be "
                  "handled appropriately. See Appendix A for all headers."),
    "RI1": (MUST, "The client must not print any of the protocol headers (see Appendix A in the Lab Guide). "
                  "This applies to ALL the user workflows"),
    "RI2": (MUST, "On a startup, the application must print: Welcome to Chat Client. Enter your login:"),
    "RI3": (MUST, "If the login was successful, the application must print: Successfully logged in as "
                  "<username>!"),
    "RI4": (MUST, "If login failed because the username is already in use, the application must print: Cannot "
                  "log in as <username>. That username is already in use."),
    "RI5": (MUST, "If login failed because of a malformed username, the application must print: Cannot log in "
                  "as <username>. That username contains disallowed characters."),
    "RI6": (MUST, "If login failed because the server is full, the application must print: Cannot log in. The "
                  "server is full!"),
    "RI7": (MUST, "The messages must be sent by typing: @<username> <message>"),
    "RI8": (MUST, "If the message was sent successfully, the client must print: The message was sent "
                  "succesfully"),
    "RI9": (MUST, "If the message was sent to a user that does not exist, the client must print: The "
                  "destination user does not exist"),
    "RI10": (MUST, "When the user receives a message, the chat client must print From <username>: <message>"),
    "RI11": (MUST, "The client must receive the list of users received after !who a command as: There are "
                   "<user count> online users: / - <username_1> / ... / - <username_n>"),
    "RI12": (MUST, "The message displayed when the header is malformed must be: Error: Unknown issue in "
                   "previous message header."),
    "RI13": (MUST, "The message displayed when the body is malformed must be: Error: Unknown issue in previous "
                   "message body."),
    # chatconform's: what the text implies but never demands
    "CL1": (SHOULD, "The client connects to the address and port given with --address and --port."),
    # the server (chatconform's IDs for the course server's observed behaviour, docs/protocols.md)
    "SV1": (MUST, "HELLO-FROM <name> is answered with HELLO <name>."),
    "SV2": (MUST, "Valid names are letters and digits only, case-sensitive; any other name is answered with "
                  "BAD-RQST-BODY and the server closes the connection."),
    "SV3": (MUST, "A first line not starting with HELLO-FROM is answered with BAD-RQST-HDR and the server closes "
                  "the connection."),
    "SV4": (MUST, "A name that is logged in already is answered with IN-USE and the server closes the "
                  "connection."),
    "SV5": (MUST, "When the server is full, HELLO-FROM is answered with BUSY."),
    "SV6": (MUST, "LIST is answered with LIST-OK n1,n2,... comma-separated, no spaces, in login order."),
    "SV7": (MUST, "SEND <user> <msg> is answered with SEND-OK to the sender, then DELIVERY <sender> <msg> to the "
                  "destination; the message is trimmed at both ends, inner spaces kept; sending to yourself is "
                  "allowed; messages have no length limit."),
    "SV8": (MUST, "SEND to an unknown destination is answered with BAD-DEST-USER."),
    "SV9": (MUST, "SEND with a missing destination or an empty message is answered with BAD-RQST-BODY (the body "
                  "is checked before the destination)."),
    "SV10": (MUST, "After login, any other line (WHO, LIST x, HELLO-FROM x) is answered with BAD-RQST-HDR and "
                   "the connection is kept."),
    "SV11": (MUST, "Every message is one line ending in \\n (\\r\\n from clients is accepted too), whatever "
                   "pieces the bytes arrive in."),
    "SV12": (MUST, "A user who disconnects is logged out, and the name can be used again."),
    "SV13": (MUST, "An idle server stays idle: with its clients logged in and silent, and once they have left (closing or resetting their connections), it uses at most 20% of one core."),
}

# Demands beyond the assignment's text: SHOULD, shown as warnings (they cost nothing), each naming the
# sentence it goes beyond.
BEYOND_TEXT = {
    "CL1": "the text says only how its tests start the client (python3 client.py --address \"127.0.0.1\" --port "
           "5378) and that they serve at that address",
}

# Every header the server sends (the lab guide lists them; RI1 quotes it) and those a client sends:
# none may be printed (RI1).
HEADERS = ("HELLO-FROM", "HELLO", "IN-USE", "BUSY", "BAD-RQST-HDR", "BAD-RQST-BODY", "SEND-OK",
           "BAD-DEST-USER", "DELIVERY", "LIST-OK", "SEND", "LIST")

SEND_OK_TEXTS = ("The message was sent succesfully", "The message was sent successfully")  # spec (sic), course client
