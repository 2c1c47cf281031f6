"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 at a free port.

    from tests.smtp import smtp_server  # noqa: F401

    @pytest.fixture
    def config_overrides(smtp_server):
        return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}

`smtp_server.messages` holds every received mail as an email.message.EmailMessage;
`smtp_server.wait_for(n)` waits until n have arrived and returns them. `smtp_server.hold()` makes
the server stop answering after RCPT (a sender is then mid-conversation: `smtp_server.held`
is set) until `release()`. `SilentSMTPServer` accepts connections and never answers.
"""
from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

URL_RE = re.compile(r"https?://\S+")


class SMTPServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port(self.host)
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._holding = threading.Event()
        self.held = threading.Event()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._holding.is_set():
            self.held.set()
            while self._holding.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def hold(self) -> None:
        self.held.clear()
        self._holding.set()

    def release(self) -> None:
        self._holding.clear()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Start (or, after stop(), start again on the same port)."""
        if self._controller.loop.is_closed():
            self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
        self._controller.loop.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")
                self._arrived.wait(left)
            return list(self.messages)

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def links(self, message: EmailMessage) -> list[str]:
        return URL_RE.findall(self.body(message))


class SilentSMTPServer:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((self.host, 0))
        self._socket.listen(16)
        self.port = self._socket.getsockname()[1]

    def stop(self) -> None:
        self._socket.close()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
