"""Call the action server over kept-alive connections.

Rasa 3.6's ``EndpointConfig.request`` opens a new aiohttp ``ClientSession``
(and so a new TCP connection) for every action call and closes it after the
reply. Here the action endpoint is a :class:`KeepAliveEndpoint`: the same
request, headers and timeouts, through one session per event loop whose idle
connections are kept for :data:`KEEPALIVE_SECONDS`. A connection the action
server closed while idle (its own keep-alive is 5 s) is retried once on a
new connection; every other failure is Rasa's, unchanged.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Optional

import aiohttp
import ujson
from rasa.utils import endpoints
from rasa.utils.endpoints import EndpointConfig

KEEPALIVE_SECONDS = 2.0
"""Below the action server's (Sanic's) 5 s, so it rarely closes one in use."""


class _Borrowed:
    """``async with`` over the shared session, without closing it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


class KeepAliveEndpoint(EndpointConfig):
    """An endpoint whose requests share one session (per event loop)."""

    _session: Optional[aiohttp.ClientSession] = None
    _loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def of(cls, endpoint: EndpointConfig) -> KeepAliveEndpoint:
        """The same endpoint, keeping its connections alive."""
        copy = cls.__new__(cls)
        copy.__dict__.update(endpoint.__dict__)
        return copy

    def session(self) -> Any:
        """The shared session, for Rasa's ``async with self.session()``."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(  # as Rasa's session()
                headers=self.headers,
                auth=(
                    aiohttp.BasicAuth(
                        self.basic_auth["username"], self.basic_auth["password"]
                    )
                    if self.basic_auth
                    else None
                ),
                timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                # the call's body (the conversation) in half json.dumps's time
                json_serialize=functools.partial(
                    ujson.dumps, escape_forward_slashes=False
                ),
            )
            self._loop = loop
        return _Borrowed(self._session)

    async def request(self, *args: Any, **kwargs: Any) -> Optional[Any]:
        """Rasa's request; once more if the kept connection had been closed."""
        try:
            return await super().request(*args, **dict(kwargs))
        except aiohttp.ServerDisconnectedError:
            return await super().request(*args, **dict(kwargs))

    async def close(self) -> None:
        """Close the shared session (at the server's stop)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()


def install() -> None:
    """Make the action endpoint of every endpoints file a :class:`KeepAliveEndpoint`.

    Also closes its session when the Rasa server stops.
    """
    import rasa.core.run
    from rasa.core.utils import AvailableEndpoints

    read = AvailableEndpoints.read_endpoints.__func__  # type: ignore[attr-defined]
    close_resources = rasa.core.run.close_resources

    def read_endpoints(cls: Any, endpoint_file: Any) -> Any:
        found = read(cls, endpoint_file)
        if isinstance(found.action, EndpointConfig) and found.action.url:
            found.action = KeepAliveEndpoint.of(found.action)
        return found

    async def close_all(app: Any, loop: Any) -> None:
        await close_resources(app, loop)
        agent = getattr(app.ctx, "agent", None)
        endpoint = getattr(agent, "action_endpoint", None)
        if isinstance(endpoint, KeepAliveEndpoint):
            await endpoint.close()

    AvailableEndpoints.read_endpoints = classmethod(read_endpoints)
    rasa.core.run.close_resources = close_all
