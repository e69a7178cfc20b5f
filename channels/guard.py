"""One mechanism shared by every project channel: a reply for every visitor message.

Each channel (REST, socket.io, Telegram) reads its own requests, then hands
the visitor's message to :meth:`Guard.answer`, which

- applies the rate limits (per conversation, and per public address) and the
  queue limit of one conversation, answering "please wait" instead of
  queueing without end (Rasa's lock store would drop the message after its
  lock wait);
- lets Rasa answer, and when that produced no bot message (the action server
  down or too slow, a failure inside Rasa) writes a fallback reply with
  ``answer`` metadata into the conversation, under the conversation's lock,
  and sends it on the channel (:mod:`medspa.fallback`);
- logs visitor text only as a bounded excerpt.

The limits are settings (:class:`medspa.settings.Limits`).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections import Counter, deque
from functools import lru_cache
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Tuple
from urllib.parse import unquote_to_bytes

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from medspa import visitor_input
from medspa.answers import Wording
from medspa.contract import Answer
from medspa.fallback import (
    FULL_RESPONSE,
    busy_reply,
    fallback_reply,
    unreadable_reply,
)
from medspa.settings import PROJECT_DIR, Settings, get_settings

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
WINDOW_SECONDS = 60.0
OWN_TEXT_BLUEPRINTS = "medspa_own_text_blueprints"
"""Where the app keeps the channels that answer unreadable text themselves."""
MAX_TRACKED_KEYS = 10_000
"""Keys a rate window remembers before forgetting the idle ones."""


@lru_cache(maxsize=1)
def project_responses() -> Dict[str, Any]:
    """The responses of domain.yml (an older model may lack the newest ones)."""
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text()) or {}
    return dict(domain.get("responses") or {})


async def refuse_invalid_text(request: Request) -> Optional[HTTPResponse]:
    """Answer 400 to a request whose path, query or JSON body is not valid text.

    A lone surrogate (an escaped ``udfff`` in JSON) would make the
    conversation store fail; nothing of such a request is stored.
    """
    route = str(request.name or "").split(".")  # app.blueprint.handler
    if len(route) >= 2 and route[-2] in getattr(
        request.app.ctx, OWN_TEXT_BLUEPRINTS, ()
    ):
        return None
    try:
        unquote_to_bytes(request.path).decode("utf-8")
        unquote_to_bytes(request.query_string).decode("utf-8")
        if request.body and request.body[:1] in (b"{", b"["):
            visitor_input.check_json_text(request.body)
    except (UnicodeDecodeError, visitor_input.InvalidInput):
        return response.json({"error": "the request is not valid Unicode text"}, 400)
    return None


class RateWindow:
    """Counts events per key over the last minute (a sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: Dict[str, Deque[float]] = {}

    def allow(self, key: str, now: Optional[float] = None) -> bool:
        """Count one event for ``key``; False when over the limit (not counted).

        A limit of 0 means no limit.
        """
        if self.per_minute <= 0:
            return True
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        if len(self._hits) > MAX_TRACKED_KEYS:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: float) -> None:
        idle = [
            k for k, h in self._hits.items() if not h or h[-1] <= now - WINDOW_SECONDS
        ]
        for key in idle:
            del self._hits[key]


async def stored_events(store: TrackerStore, sender: str, seen: bool = False) -> int:
    """How many events a conversation keeps (one indexed count in a SQL store).

    Args:
        store: the tracker store.
        sender: the conversation.
        seen: the count the store saw last will do, if it keeps one
            (:meth:`stores.sql.CachedSQLTrackerStore.count_events`).

    """
    count_events = getattr(store, "count_events", None)  # stores.sql's precompiled
    if callable(count_events):
        return int(count_events(sender, seen=seen))
    if isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            query = session.query(store.SQLEvent)
            return int(query.filter(store.SQLEvent.sender_id == sender).count())
    tracker = await store.retrieve_full_tracker(sender)
    return len(tracker.events) if tracker is not None else 0


def is_public(address: Optional[str]) -> bool:
    """Whether ``address`` is a public IP address (per-address limits apply)."""
    try:
        return bool(address) and ipaddress.ip_address(str(address)).is_global
    except ValueError:
        return False


class CountingOutput(OutputChannel):
    """An output channel that counts the bot messages sent through it."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> str:
        """The wrapped channel's name."""
        return str(self.inner.name())

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Send through the wrapped channel, counting."""
        self.sent += 1
        await self.inner.send_response(recipient_id, message)


class Guard:
    """Limits, fallback and safe logging for one channel's visitor messages."""

    def __init__(self, channel: str, settings: Optional[Settings] = None) -> None:
        self.channel = channel
        self.settings = settings or get_settings()
        limits = self.settings.limits
        self.sender_window = RateWindow(limits.sender_rate)
        self.address_window = RateWindow(limits.address_rate)
        self.in_flight: Counter[str] = Counter()
        self.app: Optional[Sanic] = None

    def attach(self, blueprint: Blueprint, replies_to_bad_text: bool = False) -> None:
        """Keep a reference to the server's app (for its agent) once it starts.

        Also checks, once per server, that no request (channels and HTTP API)
        brings text that cannot be stored (:func:`refuse_invalid_text`).

        Args:
            blueprint: the channel's routes.
            replies_to_bad_text: the channel answers unreadable text itself,
                with a polite reply instead of a 400 (Telegram re-sends an
                update it gets a 4xx for).

        """

        @blueprint.listener("before_server_start")
        async def keep_app(app: Sanic, *_: Any) -> None:
            self.app = app
            if not hasattr(app.ctx, OWN_TEXT_BLUEPRINTS):
                setattr(app.ctx, OWN_TEXT_BLUEPRINTS, set())
                app.register_middleware(refuse_invalid_text, "request")
            if replies_to_bad_text:
                getattr(app.ctx, OWN_TEXT_BLUEPRINTS).add(blueprint.name)

    # -- reading ------------------------------------------------------------------

    def read_text(
        self, text: str, metadata: Optional[Dict[str, Any]] = None
    ) -> Tuple[str, Dict[str, Any]]:
        """Check a message's text and cut it to the length limit.

        Returns:
            The text to read and its metadata (recording a cut).

        Raises:
            visitor_input.InvalidInput: the text cannot be stored.

        """
        visitor_input.check_text(text, "the message")
        clipped, original = visitor_input.clip_message(
            text, self.settings.limits.message_chars
        )
        if original:
            logger.info(
                "%s: read the first %d of %d characters of a message",
                self.channel,
                len(clipped),
                original,
            )
        return clipped, visitor_input.clipped_metadata(metadata or {}, original)

    def excerpt(self, text: str) -> str:
        """Visitor text as a log line may show it."""
        return visitor_input.excerpt(text, self.settings.limits.log_excerpt_chars)

    # -- answering ----------------------------------------------------------------

    async def answer(
        self,
        message: UserMessage,
        on_new_message: OnNewMessage,
        address: Optional[str] = None,
    ) -> None:
        """Let the assistant answer ``message``; make sure the visitor gets a reply.

        Args:
            message: the visitor's message, its text already read.
            on_new_message: Rasa's handler.
            address: the visitor's IP address, when the channel knows it.

        """
        sender = str(message.sender_id)
        output = message.output_channel
        if not self._admit(sender, address):
            await self._send(output, sender, busy_reply(self._wording()))
            return
        if await self._full(sender):
            reply = fallback_reply(
                message.text or "",
                None,
                self._wording(),
                self.settings.clinic,
                otherwise=FULL_RESPONSE,
            )
            await self._send(output, sender, reply)
            return
        counting = CountingOutput(output)
        message.output_channel = counting
        self.in_flight[sender] += 1
        try:
            await on_new_message(message)
        except LockError:
            logger.warning(
                "%s: conversation %s was busy too long; asked to try again: %s",
                self.channel,
                sender,
                self.excerpt(message.text or ""),
            )
            await self._send(output, sender, busy_reply(self._wording()))
            return
        except Exception as error:  # the visitor still gets the fallback below
            logger.error(
                "%s: the assistant failed on a message of %s (%s: %s)",
                self.channel,
                sender,
                type(error).__name__,
                self.excerpt(str(error)),
            )
        finally:
            self.in_flight[sender] -= 1
            if self.in_flight[sender] <= 0:
                del self.in_flight[sender]
        if counting.sent == 0:
            await self._fallback(message, output)

    async def reply_unreadable(self, output: OutputChannel, sender: str) -> None:
        """Answer a message that could not be read (it is not stored)."""
        await self._send(output, sender, unreadable_reply(self._wording()))

    def _admit(self, sender: str, address: Optional[str]) -> bool:
        limits = self.settings.limits
        reason = None
        if limits.queued and self.in_flight[sender] >= limits.queued:
            reason = "too many messages waiting"
        elif not self.sender_window.allow(sender):
            reason = "over the per-conversation rate"
        elif is_public(address) and not self.address_window.allow(str(address)):
            reason = f"over the per-address rate ({address})"
        if reason:
            logger.warning("%s: asked %s to wait: %s", self.channel, sender, reason)
        return reason is None

    async def _full(self, sender: str) -> bool:
        """Whether the conversation keeps ``MEDSPA_MAX_EVENTS`` events already."""
        limit = self.settings.limits.events
        agent = self._agent()
        if not limit or agent is None or agent.tracker_store is None:
            return False
        # Rasa wraps the configured store in a FailSafeTrackerStore
        store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
        try:
            # the count last seen, confirmed only at the bound (an erasure may
            # have emptied the conversation since)
            count = await stored_events(store, sender, seen=True)
            if count >= limit:
                count = await stored_events(store, sender)
        except Exception as error:  # the store's own outage: Rasa reports it
            logger.error("%s: could not count events: %s", self.channel, error)
            return False
        if count >= limit:
            logger.warning(
                "%s: conversation %s keeps %d events (limit %d): not stored",
                self.channel,
                sender,
                count,
                limit,
            )
        return count >= limit

    async def _fallback(self, message: UserMessage, output: OutputChannel) -> None:
        """Record and send the fallback reply of a message that got none."""
        sender = str(message.sender_id)
        text = message.text or ""
        reply = fallback_reply(text, None, self._wording(), self.settings.clinic)
        agent = self._agent()
        if agent is not None and agent.processor is not None:
            try:
                async with agent.lock_store.lock(sender):
                    tracker = await agent.processor.get_tracker(sender)
                    intent = (tracker.latest_message.intent or {}).get("name")
                    reply = fallback_reply(
                        text, intent, self._wording(), self.settings.clinic
                    )
                    tracker.update(BotUttered(reply[0], metadata={"answer": reply[1]}))
                    await agent.processor.save_tracker(tracker)
            except Exception as error:  # the reply is still sent below
                logger.error(
                    "%s: could not record the fallback reply for %s: %s",
                    self.channel,
                    sender,
                    type(error).__name__,
                )
        logger.warning(
            "%s: no reply from the assistant for %s; sent the %s fallback",
            self.channel,
            sender,
            reply[1]["kind"],
        )
        await self._send(output, sender, reply)

    def _agent(self) -> Any:
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    def _wording(self) -> Wording:
        """The wording of the running model's domain, completed by domain.yml."""
        domain = getattr(self._agent(), "domain", None)
        responses = getattr(domain, "responses", None) or {}
        return Wording({"responses": {**project_responses(), **responses}})

    async def _send(
        self, output: OutputChannel, sender: str, reply: Tuple[str, Answer]
    ) -> None:
        """Send a reply's text on the channel; a channel failure is logged."""
        try:
            await output.send_text_message(sender, reply[0])
        except Exception as error:  # the channel's own failure, e.g. a closed socket
            logger.error(
                "%s: could not send a reply to %s: %s",
                self.channel,
                sender,
                type(error).__name__,
            )
