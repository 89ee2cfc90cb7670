"""brace: chatconform's requirement IDs for the PyQt5 chat client (the assignment text has none), in the
order of the text: the window's elements, then the protocol, then what every GUI client owes."""
from __future__ import annotations

from conformance.protocol import MUST

# The wire has no delimiter, so a message without a header (a private `NAME: text`) cannot be told
# from the end of the message before it unless time tells them apart: the suite leaves the wire quiet
# this long before sending one (as the handed-out server's messages come apart in time), and never
# pauses more than a few milliseconds inside one message. A client may take this much quiet (or any
# shorter quiet of its own) as the end of a message.
MESSAGE_GAP = 0.5

REQUIREMENTS = {
    "BC1": (MUST, "A username field and a connect button: connecting sends exactly {REGISTER}<username>, "
                  "with nothing before it."),
    "BC2": (MUST, "A status label shows whether the client is connected: not connected before connecting, "
                  "connected while connected, not connected after disconnecting."),
    "BC3": (MUST, "The combo box offers ALL and exactly the users of the latest {CLIENTS} (the user's own "
                  "name may be left out), and follows every change."),
    "BC4": (MUST, "The welcome is shown without its header, as the server sends it ({MSG}Welcome NAME!) and "
                  "as the text writes it ({NAME}Welcome, NAME!)."),
    "BC5": (MUST, "{CLIENTS} messages are processed internally: the chat window never shows them."),
    "BC6": (MUST, "With ALL chosen, a message is sent as {ALL}<message>."),
    "BC7": (MUST, "With a user chosen in the combo box, a message is sent as {<user>}<message>."),
    "BC8": (MUST, "Incoming broadcasts and notices ({MSG}...) and private messages (a bare NAME: text) are "
                  "shown, without any command header."),
    "BC9": (MUST, "The server does not frame messages: two or three messages in one read, a message cut "
                  "across reads and a UTF-8 character cut in two are each shown once and whole."),
    "BC10": (MUST, "The disconnect button sends {QUIT} and closes the connection; the status follows, and "
                   "connecting again works."),
    "BC11": (MUST, "Closing the window disconnects (sends {QUIT}) and the process exits."),
    "BC12": (MUST, "The GUI never waits on the network (while the server is silent or stops reading, the "
                   "window answers and typing works) and widgets are used only from the GUI thread."),
    "BC13": (MUST, "Received text is shown literally: markup such as <b>, <i> and &amp; is never rendered "
                   "as HTML."),
}
