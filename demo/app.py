#!/usr/bin/env python3
"""Vigil's demo app: the scenario from the blog post that started the project.

Run without arguments it behaves: it prints, and uses a socket the ordinary way.
With --attack it also shells out to backdoor.py, which connects a socket to a "remote"
listener (on loopback: this demo never leaves the machine) and hands it a shell, with
stdin/stdout/stderr redirected onto the socket: a reverse shell.
"""
import os
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def attacker_listener():
    """The attacker's side, played on 127.0.0.1: send one command to the shell, read the answer."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"echo pwned-by-$(id -un); exit\n")
            conn.settimeout(10)
            data = b""
            try:
                while chunk := conn.recv(4096):
                    data += chunk
            except socket.timeout:
                pass
        print("attacker received:", data.decode(errors="replace").strip().splitlines()[-1:])
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def benign_socket_use():
    """An ordinary client/server exchange over loopback, as tests and package managers do."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    client.sendall(b"ping")
    assert conn.recv(4) == b"ping"
    for s in (client, conn, server):
        s.close()


def main():
    print("Hello from the demo app: building, testing, all good.")
    benign_socket_use()
    if "--attack" in sys.argv:
        port, thread = attacker_listener()
        subprocess.run([sys.executable, os.path.join(HERE, "backdoor.py"), "127.0.0.1", str(port)])
        thread.join(timeout=15)
    print("Demo app done.")


if __name__ == "__main__":
    main()
