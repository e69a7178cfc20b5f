"""The clinic's page and its chat widget, end to end in headless Chromium.

Real servers on loopback (see conftest.py): what the widget shows is compared
with what the Rasa server recorded for the widget's conversation (its session
id is the sender id), read through the HTTP API with the token.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import socketio
import yaml
from playwright.sync_api import Browser, BrowserContext

from medspa.knowledge_base import KnowledgeBase
from medspa.visitor_input import channel_sender
from tests.browser.widget import (
    ANSWER_TIMES_MS,
    DISCONNECTED,
    INPUT,
    QUICK_REPLIES,
    VISITOR_BUBBLES,
    Chat,
    Site,
    chat_on,
    http_status,
    screenshot,
    start_rasa,
    stop_rasa,
    watch,
)
from tests.support.servers import PROJECT_DIR

DISCLAIMER = "practitioner"


def plain(text: str) -> str:
    """Text as the widget shows it: markdown links and marks dropped, spaces joined."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(re.sub(r"[*_`#>]", "", text).split())


def bubbles(texts: List[str]) -> List[str]:
    """The bubbles the socket.io channel makes of bot messages, as shown."""
    return [plain(part) for text in texts for part in text.strip().split("\n\n")]


def topic_of_turn(site: Site, sender: str) -> List[Dict[str, Any]]:
    """kind, treatment and topic of the last turn's answers."""
    keys = ("kind", "treatment", "topic")
    return [{k: a.get(k) for k in keys} for a in site.assistant.turn_answers(sender)]


def assert_shows_turn(site: Site, chat: Chat, shown: List[str]) -> None:
    """The widget shows exactly the bot messages Rasa recorded for the turn."""
    recorded = site.assistant.turn_texts(chat.sender)
    assert [plain(b) for b in shown] == bubbles(recorded)


def test_answer_with_disclaimer(site: Site, desktop: BrowserContext) -> None:
    chat = chat_on(desktop, site)
    seen = watch(chat.page)
    chat.open()
    shown = chat.ask("does microneedling hurt?", expect=DISCLAIMER)
    print(f"answer shown {ANSWER_TIMES_MS[-1]:.0f} ms after the question was sent")

    assert topic_of_turn(site, chat.sender) == [
        {"kind": "kb", "treatment": "microneedling", "topic": "pain"}
    ]
    assert_shows_turn(site, chat, shown)
    assert any(DISCLAIMER in bubble for bubble in shown)
    assert chat.visitor_texts()[-1] == "does microneedling hurt?"
    assert seen.errors == [] and seen.dialogs == []


def test_clarify_buttons_answer_the_pending_question(
    site: Site, desktop: BrowserContext, kb: KnowledgeBase
) -> None:
    chat = chat_on(desktop, site)
    chat.open()
    chat.ask("is there any downtime?")
    (clarify,) = site.assistant.turn_answers(chat.sender)
    assert clarify == {"kind": "clarify", "topic": "downtime"}
    titles = chat.page.locator(QUICK_REPLIES).all_inner_texts()
    assert {t.name for t in kb.treatments.values()} <= set(titles)
    screenshot(chat.page, "widget-desktop.png")

    name = kb.treatments["microneedling"].name
    shown = chat.choose(name, expect=DISCLAIMER)

    assert chat.visitor_texts()[-1] == name
    assert topic_of_turn(site, chat.sender) == [
        {"kind": "kb", "treatment": "microneedling", "topic": "downtime"}
    ]
    assert_shows_turn(site, chat, shown)
    assert name in shown[0] and any(DISCLAIMER in bubble for bubble in shown)


def test_phone_layout_and_keyboard_only(
    site: Site, phone: BrowserContext, kb: KnowledgeBase
) -> None:
    chat = chat_on(phone, site)
    page = chat.page
    page.goto(site.page_url)
    # Keyboard only: Tab to "Ask our assistant", Enter opens the chat with the
    # cursor in the question field.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "open-chat":
            break
    assert page.evaluate("document.activeElement.id") == "open-chat"
    page.keyboard.press("Enter")
    # a function, not an expression: Playwright evaluates a polled expression
    # with eval(), which the page's Content-Security-Policy rightly refuses
    page.wait_for_function("sel => document.activeElement.matches(sel)", arg=INPUT)
    chat.wait_connected()
    page.keyboard.type("how long is the recovery?")
    before = page.locator(QUICK_REPLIES).count()
    page.keyboard.press("Enter")
    page.locator(QUICK_REPLIES).nth(before).wait_for()

    # The chat fills the phone's width, nothing sticks out sideways, and the
    # question field and the buttons are on screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    container = page.locator("#chat .rw-conversation-container").bounding_box()
    assert container is not None and container["width"] >= 360
    assert container["x"] >= 0 and container["x"] + container["width"] <= 375
    field = page.locator(INPUT).bounding_box()
    assert field is not None and field["y"] + field["height"] <= 740
    screenshot(page, "widget-phone.png")

    # Shift+Tab back from the question field to the treatment's button, Enter.
    name = kb.treatments["thermage"].name
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.innerText") == name:
            break
    assert page.evaluate("document.activeElement.getAttribute('role')") == "button"
    shown = chat.send_and_wait(lambda: page.keyboard.press("Enter"), DISCLAIMER)
    assert topic_of_turn(site, chat.sender) == [
        {"kind": "kb", "treatment": "thermage", "topic": "downtime"}
    ]
    assert_shows_turn(site, chat, shown)


def test_the_conversation_survives_a_reload(
    site: Site, desktop: BrowserContext
) -> None:
    chat = chat_on(desktop, site)
    chat.open()
    chat.ask("does microneedling hurt?", expect=DISCLAIMER)
    session, history = chat.sender, chat.bot_texts()

    chat.page.reload()
    chat.page.wait_for_selector(INPUT)
    chat.wait_connected()
    assert chat.sender == session
    assert chat.bot_texts() == history
    assert chat.visitor_texts() == ["does microneedling hurt?"]

    # A new question after the reload is answered, in the same conversation
    # (its context, microneedling, carries over).
    shown = chat.ask("how many sessions will I need?", expect=DISCLAIMER)
    assert topic_of_turn(site, session) == [
        {"kind": "kb", "treatment": "microneedling", "topic": "sessions"}
    ]
    assert_shows_turn(site, chat, shown)


def test_html_from_the_visitor_or_the_bot_is_only_text(
    site: Site, desktop: BrowserContext
) -> None:
    chat = chat_on(desktop, site)
    seen = watch(chat.page)
    chat.open()
    attacks = [
        "<img src=x onerror=alert(1)>",
        "<script>window.xssRan = true</script><img src=y onerror='window.xssRan=1'>",
    ]
    for attack in attacks:
        chat.ask(attack)
    chat.page.wait_for_timeout(500)

    assert seen.dialogs == []
    assert chat.page.evaluate("window.xssRan") is None
    assert chat.page.locator("#chat img[src='x'], #chat img[src='y']").count() == 0
    assert chat.page.locator("#chat script").count() == 0
    assert chat.page.locator(VISITOR_BUBBLES).all_text_contents() == attacks
    # what Rasa recorded for the bot is what is shown, as text
    events = site.assistant.tracker(chat.sender)["events"]
    said = bubbles([e["text"] for e in events if e["event"] == "bot"])
    assert [plain(b) for b in chat.bot_texts()] == said


def test_only_the_clinic_site_may_connect(site: Site, browser: Browser) -> None:
    handshake = f"{site.assistant.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert http_status(handshake, {"Origin": site.origin}) == 200
    assert http_status(handshake, {"Origin": "https://evil.example"}) == 400

    # The same page under another origin (localhost instead of 127.0.0.1) is
    # refused: the widget never gets a session.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(site.page_url.replace("127.0.0.1", "localhost"))
        page.click("#chat .rw-launcher")
        page.wait_for_timeout(3000)
        assert page.locator(DISCONNECTED).count() == 1
        stored = page.evaluate("sessionStorage.getItem('chat_session')")
        assert stored is None or not json.loads(stored).get("session_id")
    finally:
        context.close()


async def _exchange(site: Site, requested: str, named: str) -> Tuple[str, Any]:
    """Over socket.io: ask for session ``requested``, send a message naming ``named``.

    Returns:
        The session id the server confirmed, and the bot's first reply.

    """
    client = socketio.AsyncClient()
    confirmed: asyncio.Queue = asyncio.Queue()
    replies: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    # long-polling: the pinned aiohttp is too old for engineio's websocket client
    await client.connect(
        site.assistant.rasa_url,
        headers={"Origin": site.origin},
        transports=["polling"],
        wait_timeout=10,
    )
    try:
        await client.emit("session_request", {"session_id": requested})
        session = await asyncio.wait_for(confirmed.get(), 10)
        await client.emit("user_uttered", {"message": "hello", "session_id": named})
        return session, await asyncio.wait_for(replies.get(), 30)
    finally:
        await client.disconnect()


def test_a_socket_speaks_only_in_its_own_session(site: Site) -> None:
    """The channel issues session ids and ties a socket's messages to its own.

    Over the socket.io protocol, as any client could: a made-up session id (say
    another channel's sender id) is replaced, and a message naming another
    session still lands in, and is answered in, the socket's own session.
    """
    other = uuid.uuid4().hex
    # its own thread and event loop: Playwright's sync API holds this thread's
    with ThreadPoolExecutor(1) as pool:
        exchange = _exchange(site, requested="12345", named=other)
        session, reply = pool.submit(asyncio.run, exchange).result()

    assert re.fullmatch(r"[0-9a-f]{64}", session) and reply["text"]
    said = site.assistant.tracker(channel_sender("socketio", session))["events"]
    assert [e["text"] for e in said if e["event"] == "user"] == ["hello"]
    for sender in (other, "12345"):
        events = site.assistant.tracker(sender)["events"]
        assert not [e for e in events if e["event"] == "user"]


def test_the_stock_channel_would_lose_every_reply() -> None:
    """Why credentials.yml names channels.socketio.SocketIOInput, not socketio.

    Rasa 3.6's channel calls ``sio.enter_room`` without await; with the pinned
    python-socketio that is a coroutine, so the socket never joins its room.
    """
    assert asyncio.iscoroutinefunction(socketio.AsyncServer.enter_room)
    credentials = yaml.safe_load((PROJECT_DIR / "credentials.yml").read_text())
    assert "socketio" not in credentials
    assert credentials["channels.socketio.SocketIOInput"]["session_persistence"]


def test_the_widget_reconnects_after_a_rasa_restart(
    site: Site, desktop: BrowserContext
) -> None:
    chat = chat_on(desktop, site)
    chat.open()
    chat.ask("does microneedling hurt?", expect=DISCLAIMER)
    session = chat.sender

    stop_rasa(site)
    # the widget tells the visitor it is reconnecting
    chat.page.locator(DISCONNECTED).wait_for()
    start_rasa(site)

    # no reload: the widget reconnects by itself and keeps its conversation
    chat.wait_connected()
    assert chat.sender == session
    shown = chat.ask("is there any downtime?", expect=DISCLAIMER)
    assert topic_of_turn(site, session) == [
        {"kind": "kb", "treatment": "microneedling", "topic": "downtime"}
    ]
    assert_shows_turn(site, chat, shown)
