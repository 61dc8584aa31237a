#!/usr/bin/env python3
"""Test server for plugin downloads, on 127.0.0.1 only.

Serves files from DIR, plus three misbehaving routes: /slow never answers in time, /big is
larger than any sane plugin limit, /flaky fails with 503 the first time it is asked for each
path. With --tls CERT KEY it speaks HTTPS. Prints the port it listens on, then serves forever.
"""
import argparse
import http.server
import os
import ssl
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
args = parser.parse_args()
seen_flaky = set()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        sys.stderr.write("plugin-server: " + (fmt % a) + "\n")

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(30)
            return
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(8 << 20))
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                for _ in range(128):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        path = self.path
        if path.startswith("/flaky/"):
            if path not in seen_flaky:
                seen_flaky.add(path)
                self.send_error(503)
                return
            path = path[len("/flaky"):]
        file = os.path.join(args.dir, os.path.basename(path))
        if not os.path.isfile(file):
            self.send_error(404)
            return
        with open(file, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if args.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
