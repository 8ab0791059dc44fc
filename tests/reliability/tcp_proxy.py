"""A TCP proxy the reliability tests put between the Rasa instances and PostgreSQL, to make the
database unavailable for a while without touching the machine's PostgreSQL server.

    python tests/reliability/tcp_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT

SIGUSR1 cuts: every open connection is closed and new ones are closed as soon as they arrive
(clients see "server closed the connection unexpectedly", as when PostgreSQL goes away).
SIGUSR2 restores forwarding. Prints "ready" once listening.
"""

from __future__ import annotations

import asyncio
import signal
import sys


class Proxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.enabled = True
        self.writers: set[asyncio.StreamWriter] = set()

    def cut(self) -> None:
        self.enabled = False
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    def restore(self) -> None:
        self.enabled = True

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.enabled:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self.writers.difference_update((writer, up_writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen_port: int, host: str, port: int) -> None:
    proxy = Proxy(host, port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, proxy.cut)
    loop.add_signal_handler(signal.SIGUSR2, proxy.restore)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
