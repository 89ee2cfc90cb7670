"""Finding the program a student meant: the course's layouts at any depth, packages run with -m, files
of any name found by what they do, helpers and checkers passed over; what was looked at when none fits."""
from __future__ import annotations

from pathlib import Path

from conformance import protocols
from conformance.grade import collect
from conformance.run import discover

CLIENT = """import argparse, socket
def main():
    p = argparse.ArgumentParser()
    p.add_argument({options})
    p.add_argument("-p", "--port", type=int)
    a = p.parse_args()
    socket.create_connection((a.address, a.port))
if __name__ == "__main__":
    main()
"""
SERVER = """import socket
s = socket.socket(); s.bind(("", 1)); s.listen()
"""
TK = """import tkinter as tk
from net import Connection
if __name__ == "__main__":
    root = tk.Tk(); root.mainloop()
"""


def write(folder: Path, files: dict) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def find(folder: Path, protocol: str, role: str = "client") -> discover.Choice:
    described = protocols.get(protocol)
    return discover.find(folder, role, list(described.layouts(role)), gui=role == "client" and described.gui_client,
                         by_behaviour=role in described.student_roles, words=described.header_words)


def test_the_course_package_at_any_depth_runs_with_dash_m(tmp_path):
    write(tmp_path, {"alice/hw/a1_chat_client/__init__.py": "",
                     "alice/hw/a1_chat_client/__main__.py": CLIENT.format(options='"-a", "--address"')})
    choice = find(tmp_path, "cnlab")
    assert choice.program.template == "{python} -m a1_chat_client -a {host} -p {port}"
    assert choice.program.cwd == tmp_path / "alice" / "hw"
    assert "a1_chat_client/" in choice.why and "course's name" in choice.why


def test_a_package_of_any_name_gets_its_own_option_names(tmp_path):
    write(tmp_path, {"chat/__main__.py": CLIENT.format(options='"--host"')})
    choice = find(tmp_path, "cnlab")
    assert choice.program.template == "{python} -m chat --host {host} -p {port}"   # the package layout: -a/-p


def test_a_client_of_any_name_and_the_checker_beside_it(tmp_path):
    write(tmp_path, {"ChatroomClient.py": CLIENT.format(options='"--address"'),
                     "chat_client_check/check.py": "import pexpect\npexpect.spawn('python3 client.py --address x')\n"
                                                   "if __name__ == '__main__':\n    pass\n",
                     "helpers.py": "def parse(line):\n    return line.split()\n"})
    choice = find(tmp_path, "cnlab")
    assert choice.program.template == "{python} ChatroomClient.py --address {host} --port {port}"
    assert find(tmp_path, "cnlab", "server").program is None   # cnlab: only the course's server.py


def test_options_of_other_names_are_used_and_unknown_address_options_left_out(tmp_path):
    """Seen in real chat10 submissions: `--server_ip`/`--server_port` for the address, a server's
    `--server_port`; a client without any address option is started without one (it is served at
    the text's default, and CC1's target-port test judges the missing option)."""
    write(tmp_path, {"server.py": "import argparse, socket\np = argparse.ArgumentParser()\n"
                                  "p.add_argument('--server_port', type=int)\n" + SERVER,
                     "client.py": "import argparse, socket\nimport tkinter as tk\np = argparse.ArgumentParser()\n"
                                  "p.add_argument('--server_ip', '-ip')\np.add_argument('--server_port', '-p')\n"
                                  "p.add_argument('--username')\n" + TK})
    assert find(tmp_path, "chat10", "server").program.template == "{python} server.py --server_port {port}"
    assert find(tmp_path, "chat10").program.template == \
        "{python} client.py --server_ip {host} --server_port {port} --username {username}"
    write(tmp_path, {"client.py": "import argparse, socket\nimport tkinter as tk\np = argparse.ArgumentParser()\n"
                                  "p.add_argument('--port', type=int)\np.add_argument('--username')\n" + TK})
    choice = find(tmp_path, "chat10")
    assert choice.program.template == "{python} client.py --port {port} --username {username}"
    assert "started without --target" in choice.why


def test_a_server_py_of_another_assignment_is_not_the_course_server(tmp_path):
    """cnlab students write only the client: a `server.py` is the course's chat server only where its
    strings speak the protocol (seen in real repositories: the next assignment's HTTP server stub, and
    a chat server of another course, were checked as the cnlab server and failed 35 tests)."""
    write(tmp_path, {"client.py": CLIENT.format(options='"--address"'),
                     "http_server_check/server.py": SERVER + "print('HTTP/1.1 200 OK')\n"})
    assert find(tmp_path, "cnlab", "server").program is None
    write(tmp_path, {"course/server.py": SERVER + "REPLY = 'SEND-OK'\n"})
    assert find(tmp_path, "cnlab", "server").program.cwd == tmp_path / "course"


def test_a_server_of_any_name_is_found_by_binding_and_listening(tmp_path):
    write(tmp_path, {"ChatroomServer.py": SERVER + "import argparse\nargparse.ArgumentParser().add_argument('--port')\n",
                     "ChatroomClient.py": TK + "import socket\nsocket.create_connection(('h', 1))\n"})
    server = find(tmp_path, "chat10", "server")
    client = find(tmp_path, "chat10", "client")
    assert server.program.template == "{python} ChatroomServer.py --port {port}" and "binds and listens" in server.why
    assert client.program.template.startswith("{python} ChatroomClient.py --target {host} --port {port}")


def test_a_gui_entry_point_wins_over_a_helper_named_client(tmp_path):
    write(tmp_path, {"client.py": "from PyQt5.QtCore import QObject\nclass Client(QObject):\n    pass\n",
                     "main.py": "import sys\nfrom PyQt5.QtWidgets import QApplication\nif __name__ == '__main__':\n"
                                "    app = QApplication(sys.argv)\n    sys.exit(app.exec_())\n"})
    choice = find(tmp_path, "brace")
    assert choice.program.template == "{python} main.py"
    assert "opens a window" in choice.why


def test_nothing_fits_says_what_was_looked_at_relative_to_the_submission(tmp_path):
    write(tmp_path, {"notes/utils.py": "def hello(n):\n    return 'HELLO-FROM ' + n\n"})
    choice = find(tmp_path, "cnlab")
    assert choice.program is None
    assert "notes/utils.py" in choice.why and str(tmp_path) not in choice.why


def test_a_layout_file_without_evidence_is_still_started(tmp_path):
    """A client.py whose code shows nothing (it only hangs, say) is run as the course says: its verdict
    comes from what it does."""
    write(tmp_path, {"client.py": "import time\nwhile True:\n    time.sleep(1)\n"})
    assert find(tmp_path, "cnlab").program.template == "{python} client.py --address {host} --port {port}"


def test_a_package_folder_is_not_unwrapped_by_the_collector(tmp_path):
    source = tmp_path / "class"
    write(source, {"alice/a1_chat_client/__main__.py": "", "alice/a1_chat_client/__init__.py": "",
                   "bob/hw1/client.py": ""})
    subs = {s.student: s for s in collect.collect(source, tmp_path / "work")}
    assert subs["alice"].folder == source / "alice"            # the package stays visible
    assert subs["bob"].folder == source / "bob" / "hw1"        # a plain folder is unwrapped
    assert subs["bob"].origin == "bob/hw1"
