"""A small HTTP + WebSocket load balancer for the local production profile (scripts/run_prod.sh).

    python scripts/lb.py --port 5005 --backend http://127.0.0.1:5011 --backend http://127.0.0.1:5012

- REST and API requests go round-robin: Rasa's Redis lock store serialises each conversation
  across instances and every instance reads the tracker from PostgreSQL, so any instance can
  answer any turn.
- Socket.io (`/socket.io/`) is sticky by client address (a hash over the backends): its
  polling requests and its WebSocket must reach the instance that holds the socket's session.
- A backend that refuses connections is skipped for a few seconds; the request goes to the
  next one (only connection failures are retried: the request never reached Rasa).
- Only the public paths are forwarded (--allow-prefix; default the chat channels
  `/webhooks/` and `/socket.io/`, and `/`): Rasa's HTTP API (trackers, model) stays on the
  instances' loopback ports, behind their auth token. Other paths get 404.
- Adds X-Forwarded-For / X-Forwarded-Proto (components/rate_limit.py trusts them from loopback);
  bodies over --max-body bytes get 413.

In a real deployment this is nginx or the Kubernetes ingress (deploy/).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import logging
import time
from typing import Dict, List, Optional

import aiohttp
from aiohttp import web

logger = logging.getLogger("lb")

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "content-length",
}


class Balancer:
    def __init__(self, backends: List[str], max_body: int, allow: List[str],
                 down_seconds: float = 5.0) -> None:
        self.backends = [b.rstrip("/") for b in backends]
        self.allow = allow
        self.max_body = max_body
        self.down_seconds = down_seconds
        self.down_until: Dict[str, float] = {}
        self.counter = itertools.count()
        self.session: Optional[aiohttp.ClientSession] = None

    def order(self, request: web.Request) -> List[str]:
        """Backends to try, first choice first; ones marked down go last."""
        if request.path.startswith("/socket.io"):
            key = client_address(request).encode()
            start = int(hashlib.sha256(key).hexdigest(), 16) % len(self.backends)
        else:
            start = next(self.counter) % len(self.backends)
        ring = self.backends[start:] + self.backends[:start]
        now = time.monotonic()
        return [b for b in ring if self.down_until.get(b, 0) <= now] + [
            b for b in ring if self.down_until.get(b, 0) > now
        ]

    def forward_headers(self, request: web.Request) -> Dict[str, str]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        peer = request.remote or ""
        prior = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
        headers["X-Forwarded-Proto"] = request.headers.get("X-Forwarded-Proto", request.scheme)
        headers["X-Forwarded-Host"] = request.headers.get("Host", "")
        return headers

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        if request.path != "/" and not any(request.path.startswith(p) for p in self.allow):
            return web.json_response({"error": "not found"}, status=404)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.websocket(request)
        if request.content_length and request.content_length > self.max_body:
            return web.json_response({"error": "body too large"}, status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "body too large"}, status=413)
        headers = self.forward_headers(request)
        for backend in self.order(request):
            try:
                upstream = await self.session.request(
                    request.method, backend + request.path_qs, headers=headers, data=body or None,
                    allow_redirects=False,
                )
            except aiohttp.ClientConnectorError:
                self.down_until[backend] = time.monotonic() + self.down_seconds
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return web.json_response({"error": "upstream failed"}, status=502)
            async with upstream:
                response = web.StreamResponse(status=upstream.status, headers={
                    k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP
                })
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        return web.json_response({"error": "no backend available"}, status=503)

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        assert self.session is not None
        headers = {k: v for k, v in self.forward_headers(request).items()
                   if not k.lower().startswith("sec-websocket")}
        for backend in self.order(request):
            try:
                upstream = await self.session.ws_connect(
                    backend + request.path_qs, headers=headers, autoping=False
                )
            except aiohttp.ClientConnectorError:
                self.down_until[backend] = time.monotonic() + self.down_seconds
                continue
            except aiohttp.ClientError:
                return web.json_response({"error": "upstream failed"}, status=502)
            client = web.WebSocketResponse(autoping=False)
            await client.prepare(request)
            await asyncio.gather(_pump(client, upstream), _pump(upstream, client))
            return client
        return web.json_response({"error": "no backend available"}, status=503)


async def _pump(source, target) -> None:
    """Copies WebSocket messages one way; closing either side closes both."""
    try:
        async for message in source:
            if message.type == aiohttp.WSMsgType.TEXT:
                await target.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await target.send_bytes(message.data)
            elif message.type == aiohttp.WSMsgType.PING:
                await target.ping(message.data)
            elif message.type == aiohttp.WSMsgType.PONG:
                await target.pong(message.data)
            else:
                break
    except Exception:
        pass
    finally:
        await target.close()


def client_address(request: web.Request) -> str:
    return request.remote or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--backend", action="append", required=True)
    parser.add_argument("--max-body", type=int, default=1 << 20)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--allow-prefix", action="append", default=None,
                        help="path prefix to forward (repeatable; default /webhooks/ and /socket.io/)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s lb: %(message)s")
    balancer = Balancer(args.backend, args.max_body, args.allow_prefix or ["/webhooks/", "/socket.io/"])

    async def start(app: web.Application) -> None:
        balancer.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=args.timeout, connect=3),
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
            auto_decompress=False,
        )

    async def stop(app: web.Application) -> None:
        if balancer.session:
            await balancer.session.close()

    app = web.Application(client_max_size=args.max_body)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/{tail:.*}", balancer.handle)
    print(f"load balancer on http://{args.bind}:{args.port} -> {', '.join(args.backend)}", flush=True)
    web.run_app(app, host=args.bind, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
