"""A real SMTP server for the notification tests (aiosmtpd on a free port) that records what
it acknowledged. `hold_next()` makes it stall the next DATA until `release()`, then answer 451
(the message was not accepted), to drill a worker killed mid-delivery."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, List, Optional

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.accepted: List[EmailMessage] = []
        self.sessions: set = set()  # connections that delivered something
        self.delay = delay
        self._lock = threading.Lock()
        self._hold = False
        self.holding = threading.Event()  # set while a held DATA waits
        self._released = threading.Event()

    def hold_next(self) -> None:
        self._hold = True

    def release(self) -> None:
        self._released.set()

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,  # noqa: N802
        rcpt_options: Any,
    ) -> str:
        if address.endswith("@refused.test"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self._hold:
            self._hold = False
            self.holding.set()
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "451 Requested action aborted: try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        mail = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self._lock:
            self.accepted.append(mail)  # type: ignore[arg-type]
            self.sessions.add(id(session))
        return "250 OK"

    def to(self, address: str) -> List[EmailMessage]:
        return [m for m in self.accepted if address in str(m["To"])]


class SmtpServer:
    def __init__(self, port: Optional[int] = None, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.recorder = Recorder(delay)
        self.controller: Optional[Controller] = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def accepted(self) -> List[EmailMessage]:
        return self.recorder.accepted
