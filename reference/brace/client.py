"""Reference brace client: PyQt5, the network on worker threads that reach the GUI only by signals.

    python client.py [--host 127.0.0.1] [--port 33002]

The window: host, port and username fields, a Connect/Disconnect button, a status label, the chat
display, a combo box of recipients (ALL and every user of the latest {CLIENTS}), the message input
and a Send button. Received text is shown as plain text (never as HTML).
"""
from __future__ import annotations

import argparse
import os
import queue
import select
import socket
import sys
import threading

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import (QApplication, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                             QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402
from sending import send_queued  # noqa: E402


class Connection(QObject):
    """One connection: a reader thread (splits the stream into messages) and a writer thread (a
    queue, so a server that stops reading never blocks the GUI). Signals carry everything back."""

    received = pyqtSignal(object)    # codec.Message
    closed = pyqtSignal(str)         # why

    def __init__(self, sock: socket.socket, name: str):
        super().__init__()
        self.sock, self.name = sock, name
        self.outgoing: queue.Queue = queue.Queue()
        self.open = True
        self.writer = threading.Thread(target=self._write, daemon=True, name="brace-writer")
        self.writer.start()
        threading.Thread(target=self._read, daemon=True, name="brace-reader").start()

    def send(self, data: bytes) -> None:
        self.outgoing.put(data)

    def close(self) -> None:
        """Say {QUIT}, then close once it is written."""
        self.open = False
        self.outgoing.put(codec.quit_())
        self.outgoing.put(None)

    def _write(self) -> None:
        send_queued(self.sock, self.outgoing)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _read(self) -> None:
        splitter = codec.StreamSplitter(self.name)
        why = "the server closed the connection"
        while True:
            try:   # a select timeout, not a socket one: the writer thread shares the socket
                if not select.select([self.sock], [], [], codec.QUIET_S if splitter.waiting else None)[0]:
                    for message in splitter.flush():
                        self.received.emit(message)
                    continue
                data = self.sock.recv(4096)
            except (OSError, ValueError):
                data, why = b"", "the connection was closed"
            if not data:
                break
            for message in splitter.feed(data):
                self.received.emit(message)
        for message in splitter.flush():
            self.received.emit(message)
        if self.open:
            self.closed.emit(why)


class ChatWindow(QWidget):
    def __init__(self, host: str, port: int):
        super().__init__()
        self.setWindowTitle("brace chat")
        self.connection: Connection | None = None
        self.host = QLineEdit(host)
        self.port = QLineEdit(str(port))
        self.username = QLineEdit()
        self.username.setPlaceholderText("your name")
        self.connect_button = QPushButton("Connect")
        self.status = QLabel("Not connected")
        self.chat = QPlainTextEdit()
        self.chat.setReadOnly(True)
        self.recipient = QComboBox()
        self.recipient.addItem(codec.ALL)
        self.message = QLineEdit()
        self.send_button = QPushButton("Send")

        fields = QGridLayout()
        for row, (label, field) in enumerate((("Host", self.host), ("Port", self.port), ("Username", self.username))):
            fields.addWidget(QLabel(label), row, 0)
            fields.addWidget(field, row, 1)
        top = QHBoxLayout()
        top.addWidget(self.connect_button)
        top.addWidget(self.status)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("To"))
        bottom.addWidget(self.recipient)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addLayout(top)
        layout.addWidget(self.chat, 1)
        layout.addLayout(bottom)

        self.connect_button.clicked.connect(self.toggle)
        self.send_button.clicked.connect(self.send)
        self.message.returnPressed.connect(self.send)
        self.resize(640, 480)

    def show_line(self, text: str) -> None:
        self.chat.appendPlainText(text)

    def set_connected(self, connected: bool, why: str = "") -> None:
        self.status.setText("Connected" if connected else "Not connected")
        self.connect_button.setText("Disconnect" if connected else "Connect")
        for field in (self.host, self.port, self.username):
            field.setEnabled(not connected)
        if not connected:
            self.recipient.clear()
            self.recipient.addItem(codec.ALL)
            if why:
                self.show_line(f"Disconnected: {why}")

    def toggle(self) -> None:
        if self.connection is not None:
            self.disconnect_from_server()
            return
        name = self.username.text().strip()
        if not name:
            self.show_line("Enter a username first.")
            return
        try:
            sock = socket.create_connection((self.host.text().strip(), int(self.port.text())), timeout=5)
        except (OSError, ValueError) as exc:
            self.show_line(f"Cannot connect: {exc}")
            return
        self.connection = Connection(sock, name)
        self.connection.received.connect(self.on_message)
        self.connection.closed.connect(self.on_closed)
        self.connection.send(codec.register(name))
        self.set_connected(True)

    def disconnect_from_server(self) -> threading.Thread | None:
        """Say goodbye; the writer thread, which ends once {QUIT} is out."""
        connection, self.connection = self.connection, None
        if connection is None:
            return None
        connection.close()
        self.set_connected(False)
        return connection.writer

    def on_closed(self, why: str) -> None:
        self.connection = None
        self.set_connected(False, why)

    def on_message(self, message: codec.Message) -> None:
        if message.header == "CLIENTS":
            chosen = self.recipient.currentText()
            names = [n for n in message.payload.split("|") if n]
            self.recipient.clear()
            self.recipient.addItems([codec.ALL] + names)
            if chosen in names:
                self.recipient.setCurrentText(chosen)
        else:   # {MSG}, the welcome under the user's own name, or a bare private line
            self.show_line(message.payload)

    def send(self) -> None:
        text = self.message.text()
        if not text or self.connection is None:
            return
        self.connection.send(codec.to(self.recipient.currentText() or codec.ALL, text))
        self.message.clear()

    def closeEvent(self, event) -> None:   # noqa: N802 (Qt's name)
        writer = self.disconnect_from_server()
        if writer is not None:
            writer.join(2.0)   # {QUIT} must be out before the process ends (the thread is a daemon)
        event.accept()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="client.py", description="The reference brace chat client (PyQt5).")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=codec.DEFAULT_PORT, help="server port (default 33002)")
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    app = QApplication(sys.argv[:1])
    window = ChatWindow(args.host, args.port)
    window.show()
    return app.exec_()


if __name__ == "__main__":
    sys.exit(main())
