#!/usr/bin/env python3
"""A real SMTP server for the tests: accepts every message on 127.0.0.1 and writes each
one, as received, to DIR/<n>.eml (n counting from 1). Prints "smtp-sink listening on
PORT" once ready; stops on SIGTERM or SIGINT.

usage: smtp-sink.py DIR [PORT]   (PORT 0 or absent: a free port)
Needs aiosmtpd (PyPI); scripts/test installs it.
"""
import asyncio
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, f"{self.count}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, path)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    os.makedirs(directory, exist_ok=True)
    port = port or free_port()
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp-sink listening on {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
