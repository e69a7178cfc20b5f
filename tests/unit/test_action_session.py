"""The action endpoint keeps its connection alive (scripts/action_session.py)."""

from __future__ import annotations

import asyncio
from typing import Any, List

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from scripts.action_session import KeepAliveEndpoint


async def serve(handler: Any) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def url(runner: web.AppRunner) -> str:
    port = runner.addresses[0][1]
    return f"http://127.0.0.1:{port}/webhook"


def test_calls_share_one_connection_with_rasas_headers() -> None:
    peers: List[Any] = []
    secrets: List[str] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        secrets.append(request.headers.get("X-Secret", ""))
        return web.json_response({"echo": await request.json()})

    async def scenario() -> List[Any]:
        runner = await serve(handler)
        endpoint = KeepAliveEndpoint.of(
            EndpointConfig(url(runner), headers={"X-Secret": "s3"})
        )
        try:
            return [
                await endpoint.request(json={"n": n}, method="post", timeout=5)
                for n in range(3)
            ]
        finally:
            await endpoint.close()
            await runner.cleanup()

    replies = asyncio.run(scenario())

    assert replies == [{"echo": {"n": n}} for n in range(3)]
    assert secrets == ["s3"] * 3
    assert len(set(peers)) == 1


def test_a_connection_the_server_closed_is_replaced() -> None:
    calls: List[int] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(1)
        # the server closes the connection after each reply (like a keep-alive
        # timeout passing): the next call must still get through
        return web.json_response({"ok": len(calls)}, headers={"Connection": "close"})

    async def scenario() -> List[Any]:
        runner = await serve(handler)
        endpoint = KeepAliveEndpoint.of(EndpointConfig(url(runner)))
        try:
            return [await endpoint.request(json={}, method="post") for _ in range(3)]
        finally:
            await endpoint.close()
            await runner.cleanup()

    assert asyncio.run(scenario()) == [{"ok": 1}, {"ok": 2}, {"ok": 3}]
