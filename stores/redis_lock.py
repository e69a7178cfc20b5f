"""Rasa's Redis lock store, with each change of a lock made in one atomic step.

Rasa's :class:`~rasa.core.lock_store.RedisLockStore` changes a conversation's
ticket lock by reading it, changing it in Python and writing it back: two
Rasa servers (or Sanic workers) taking a message of one conversation at the
same moment can both read the lock before either writes it, and both get the
same ticket, so both answer at once; a ticket issued while another server
finishes can be written over and lost. A message waiting behind one whose
server died waits forever: its own ticket expires with the dead one (both
were issued a lifetime before), and an empty lock is never anyone's turn. It
also takes seven Redis round trips a message.

:class:`AtomicRedisLockStore` keeps the same keys, the same stored lock (the
JSON of Rasa's :class:`~rasa.core.lock.TicketLock`, which Rasa's store reads
and writes alike) and the same polling, and makes each change in one Lua
script that Redis runs atomically: issuing a ticket; looking at the line,
which drops expired tickets and renews the waiting one's (its holder is
alive); finishing one (the lock is deleted when no ticket is left). A message
costs two round trips: issue (which says whether it is the ticket's turn
already), finish; a message that waits looks at the line every
``wait_time_in_seconds`` until its turn.

Configured in the endpoints file as Rasa's (``url``, ``port``, ``db``,
``password``…) with ``type: stores.redis_lock.AtomicRedisLockStore``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# A ticket is kept while it has not expired (Rasa's Ticket.has_expired: now >
# expires); times are the servers' clocks, passed in, as in Rasa's store.
_KEEP = """
local function kept(raw, now, without)
  local found = {}
  local last = -1
  if raw then
    for _, text in ipairs(cjson.decode(raw)["tickets"] or {}) do
      local ticket = cjson.decode(text)
      if ticket["expires"] >= now and ticket["number"] ~= without then
        table.insert(found, text)
        last = ticket["number"]
      end
    end
  end
  return found, last
end

local function save(key, conversation_id, tickets)
  local lock = {conversation_id = conversation_id, tickets = tickets}
  redis.call("SET", key, cjson.encode(lock))
end
"""

ISSUE_SCRIPT = (
    _KEEP
    + """
-- KEYS[1]: the lock; ARGV: conversation id, now, lifetime. Drops the expired
-- tickets. Returns the ticket and its place in line (0: its turn).
local now = tonumber(ARGV[2])
local tickets, last = kept(redis.call("GET", KEYS[1]), now, nil)
local number = last + 1
local ticket = cjson.encode({number = number, expires = now + tonumber(ARGV[3])})
table.insert(tickets, ticket)
save(KEYS[1], ARGV[1], tickets)
return {number, #tickets - 1}
"""
)

FINISH_SCRIPT = (
    _KEEP
    + """
-- KEYS[1]: the lock; ARGV: conversation id, now, ticket number.
-- Drops that ticket and the expired ones; deletes the lock when none is left.
-- Returns the tickets left.
local raw = redis.call("GET", KEYS[1])
if not raw then
  return 0
end
local tickets = kept(raw, tonumber(ARGV[2]), tonumber(ARGV[3]))
if #tickets == 0 then
  redis.call("DEL", KEYS[1])
else
  save(KEYS[1], ARGV[1], tickets)
end
return #tickets
"""
)

WAIT_SCRIPT = (
    _KEEP
    + """
-- KEYS[1]: the lock; ARGV: conversation id, now, ticket number, lifetime.
-- Drops the expired tickets and renews this one (its holder is alive and
-- waiting). Returns its place in line (0: its turn), -1 if it is gone.
local now = tonumber(ARGV[2])
local number = tonumber(ARGV[3])
local tickets = kept(redis.call("GET", KEYS[1]), now, nil)
local place = -1
for index, text in ipairs(tickets) do
  local ticket = cjson.decode(text)
  if ticket["number"] == number then
    place = index - 1
    ticket["expires"] = math.max(ticket["expires"], now + tonumber(ARGV[4]))
    tickets[index] = cjson.encode(ticket)
  end
end
if #tickets == 0 then
  redis.call("DEL", KEYS[1])
else
  save(KEYS[1], ARGV[1], tickets)
end
return place
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket locks, issued and finished atomically by Lua scripts."""

    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any
    ) -> None:
        """Connect as Rasa's store does.

        Args:
            endpoint_config: the ``lock_store`` endpoint (``url`` is the host;
                its other keys are :class:`RedisLockStore`'s arguments).
            **kwargs: :class:`RedisLockStore`'s arguments, without an endpoint.

        """
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        super().__init__(**kwargs)
        self._issue = self.red.register_script(ISSUE_SCRIPT)
        self._finish = self.red.register_script(FINISH_SCRIPT)
        self._wait = self.red.register_script(WAIT_SCRIPT)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock: a ticket, its turn, then its end.

        As Rasa's, but a waiting message keeps its ticket alive: in Rasa's
        loop the waiting ticket expires with the one ahead of it when that
        one's holder died (both were issued a lifetime before), and the
        message then waits forever.

        Args:
            conversation_id: the conversation.
            lock_lifetime: seconds a ticket lives without its holder waiting.
            wait_time_in_seconds: seconds between two looks at the line.

        Raises:
            LockError: Redis failed, or the ticket was dropped (expired while
                its holder was stalled).

        """
        ticket, place = self._take_ticket(conversation_id, lock_lifetime)
        try:
            while place != 0:
                if place < 0:
                    raise LockError(
                        "Could not acquire lock for conversation_id "
                        f"'{conversation_id}'."
                    )
                await asyncio.sleep(wait_time_in_seconds)
                place = self._place(conversation_id, ticket, lock_lifetime)
            logger.debug(f"Acquired lock for conversation '{conversation_id}'.")
            yield TicketLock(conversation_id)
        finally:
            self.cleanup(conversation_id, ticket)

    def _take_ticket(self, conversation_id: str, lifetime: float) -> Tuple[int, int]:
        """A new ticket of the conversation's lock, and its place in line.

        Raises:
            LockError: Redis could not be reached or failed.

        """
        try:
            key = self.key_prefix + conversation_id
            args = [conversation_id, time.time(), lifetime]
            number, place = self._issue(keys=[key], args=args)
            return int(number), int(place)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def _place(self, conversation_id: str, ticket: int, lifetime: float) -> int:
        """The ticket's place in line, renewed (0: its turn; -1: it is gone)."""
        key = self.key_prefix + conversation_id
        args = [conversation_id, time.time(), ticket, lifetime]
        return int(self._wait(keys=[key], args=args))

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
    ) -> int:
        """Add a ticket to the conversation's lock (made if missing); its number.

        Args:
            conversation_id: the conversation.
            lock_lifetime: seconds until the ticket expires.

        Raises:
            LockError: Redis could not be reached or failed.

        """
        return self._take_ticket(conversation_id, lock_lifetime)[0]

    def _finish_ticket(self, conversation_id: str, ticket_number: int) -> int:
        key = self.key_prefix + conversation_id
        args = [conversation_id, time.time(), ticket_number]
        return int(self._finish(keys=[key], args=args))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Drop a ticket (and the expired ones), deleting the lock if none is left.

        Args:
            conversation_id: the conversation.
            ticket_number: the ticket served.

        """
        self._finish_ticket(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """As :meth:`finish_serving`: the lock goes once no one is waiting."""
        self._finish_ticket(conversation_id, ticket_number)
