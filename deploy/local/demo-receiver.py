#!/usr/bin/env python3
"""Demo webhook receiver: accepts POSTs, appends each request's headers and body as one JSON line to a file,
answers 204. Standard library only. Usage: demo-receiver.py LOGFILE [PORT] (default port 8099, 127.0.0.1)."""
import json
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    log_file = ""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        record = {
            "received_at": datetime.now(timezone.utc).isoformat(),
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body,
        }
        with open(self.log_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(204)
        self.end_headers()

    def do_GET(self):  # lets scripts check that the receiver is up
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"demo receiver: POST webhooks here\n")

    def log_message(self, format, *args):  # quiet: the JSON lines are the log
        pass


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: demo-receiver.py LOGFILE [PORT]")
    Handler.log_file = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8099
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
