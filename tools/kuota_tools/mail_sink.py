"""The local stack's SMTP server (scripts/stack.sh): the operators' inbox when nothing real
receives mail. Every message accepted is written whole, as received, to ``<folder>/<time>-<id>.eml``
(written aside, then renamed: a reader never sees half a message), so tests and people read
what the alerts really sent. Loopback only; it accepts anything and relays nothing.

    python -m kuota_tools.mail_sink --port 54331 --folder .stack/mail
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class EmlFolder:
    """aiosmtpd handler: one .eml per message, the envelope's recipients in X-Kuota-Rcpt-To
    (a Bcc never shows in the headers)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        head = f"X-Kuota-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(head + data)
        os.replace(tmp, self.folder / name)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args(argv)
    controller = Controller(EmlFolder(args.folder), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink: SMTP on {args.host}:{args.port}, messages in {args.folder}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
