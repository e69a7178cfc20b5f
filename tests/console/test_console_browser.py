"""The staff console in headless Chromium, against the real server (waitress).

Seeded conversations (``seed.py``) are read through the console's pages; the
changes it makes are checked in the databases, the tracker store through
Rasa's own SQLTrackerStore.
"""

from __future__ import annotations

import re
from typing import Dict, List

from playwright.sync_api import BrowserContext, Page

from console import audit
from console.store import Stores
from tests.browser.widget import ARTIFACTS, screenshot
from tests.console.seed import ERASURE_REQUEST, XSS, holds
from tests.console.site import PASSWORDS, ConsoleSite


def chart_values(page: Page, chart: str) -> Dict[str, float]:
    """category -> value of a chart's marks, read from the SVG."""
    marks = page.locator(f"#chart-{chart} rect.mark")
    values: Dict[str, float] = {}
    for i in range(marks.count()):
        mark = marks.nth(i)
        key = (
            f"{mark.get_attribute('data-category')}|{mark.get_attribute('data-series')}"
        )
        values[key] = float(mark.get_attribute("data-value") or 0)
    return values


def senders_listed(page: Page) -> List[str]:
    rows = page.locator("#conversations tbody tr")
    return [rows.nth(i).get_attribute("data-sender") or "" for i in range(rows.count())]


def search(page: Page, **fields: str) -> List[str]:
    """Fill the conversation filters (the others emptied); the senders listed."""
    for name in ("channel", "kind", "treatment"):
        page.select_option(f"#filters select[name={name}]", fields.get(name, ""))
    page.fill("#filters input[name=q]", fields.get("q", ""))
    page.click("#filters button[type=submit]")
    return senders_listed(page)


def csrf_token(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value") or ""


def stores_of(console: ConsoleSite) -> Stores:
    return Stores.open(
        console.env["MEDSPA_CONVERSATIONS_URL"], console.env["MEDSPA_CONSOLE_DB_URL"]
    )


def audited(console: ConsoleSite, sender: str) -> List[str]:
    return [e.action for e in audit.entries(stores_of(console).console, sender)]


def test_every_page_needs_sign_in_and_sign_out_ends_it(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = context.new_page()
    for path in ("", "conversations", "conversation?sender=alice", "export/daily.csv"):
        page.goto(console.url + path)
        assert page.url == console.url + "login"
    page = console.sign_in(context, "staff")
    cookie = next(c for c in context.cookies() if c["name"] == "medspa_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.click("#sign-out")
    assert page.url == console.url + "login"
    page.goto(console.url)
    assert page.url == console.url + "login"


def test_dashboard_plots_the_seeded_conversations(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = console.sign_in(context, "staff")
    errors: List[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reload()

    assert page.inner_text("#total-conversations") == "6"  # 5 seeded + erasure
    channels = chart_values(page, "channels")
    assert channels == {"REST|REST": 3, "web chat|web chat": 2, "Telegram|Telegram": 1}
    daily = chart_values(page, "daily")
    assert sum(v for k, v in daily.items() if k.endswith("|messages")) == 9
    heat = chart_values(page, "heatmap")
    assert heat["Microneedling|pain and numbing"] == 1
    assert heat["Thermage|how long results last"] == 0
    kinds = chart_values(page, "kinds")
    assert sum(v for k, v in kinds.items() if k.endswith("|problem report")) == 2
    outcomes = chart_values(page, "outcomes")
    assert outcomes["not covered|not covered"] == round(100 / 9, 1)
    assert page.locator("#reports tbody tr").count() == 2
    assert page.locator("#not-covered-list li").count() == 1
    assert errors == []  # nothing blocked by the CSP, no script errors
    screenshot(page, "console-dashboard.png")
    page.screenshot(path=str(ARTIFACTS / "console-dashboard-full.png"), full_page=True)


def test_problem_report_transcript_marked_called_back(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = console.sign_in(context, "staff")
    report = page.locator("#reports tbody tr").filter(has_text="blistering")
    assert "not yet" in report.inner_text()
    report.locator("a").click()

    assert page.url.startswith(console.url + "conversation?sender=telegram-4242")
    assert "blistering" in page.inner_text("#transcript")
    assert '"kind": "safety"' in page.inner_text("#transcript pre.answer")
    page.click("button.mark-called-back")
    assert "Called back (marked by staff)" in page.inner_text("#transcript")

    page.goto(console.url)
    row = page.locator("#reports tbody tr").filter(has_text="blistering")
    assert "by staff" in row.inner_text()
    assert audited(console, "telegram-4242")[:2] == [audit.VIEWED, audit.CALLED_BACK]


def test_visitor_html_is_shown_as_text(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = console.sign_in(context, "staff")
    dialogs: List[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    assert XSS in page.inner_text("#not-understood-list")
    page.goto(console.url + "conversation?sender=web-visitor2")

    assert page.locator("#transcript li.visitor .text").first.inner_text() == XSS
    assert page.locator("main img").count() == 0
    page.goto(console.url + "conversations?q=onerror")
    assert page.locator("#conversations td.visitor-text").first.inner_text() == XSS
    assert page.locator("main img").count() == 0
    assert dialogs == []


def test_forged_post_without_csrf_token_is_refused(
    console: ConsoleSite, context: BrowserContext
) -> None:
    console.sign_in(context, "admin")
    forged = context.request.post(
        console.url + "conversation/delete",
        form={"sender": "alice", "confirm": "yes"},
        max_redirects=0,
    )
    assert forged.status == 400
    assert "CSRF" in forged.text()
    assert holds(console.tracker_db, "alice")


def test_wrong_passwords_are_throttled(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = context.new_page()
    statuses = []
    for password in ["wrong-1", "wrong-2", "wrong-3", PASSWORDS["receptionist"]]:
        page.goto(console.url + "login")
        page.fill("input[name=username]", "receptionist")
        page.fill("input[name=password]", password)
        with page.expect_response(console.url + "login") as response:
            page.click("form.login button[type=submit]")
        statuses.append(response.value.status)
    # three failures (the limit in the tests' settings), then even the right
    # password is refused until the window has passed
    assert statuses == [401, 401, 401, 429]
    assert "Too many failed sign-ins" in page.inner_text("#login-error")
    assert page.url == console.url + "login"


def test_staff_cannot_delete(console: ConsoleSite, context: BrowserContext) -> None:
    page = console.sign_in(context, "staff")
    page.goto(console.url + "conversation?sender=alice")
    assert page.locator("#delete-form").count() == 0
    response = context.request.post(
        console.url + "conversation/delete",
        form={"sender": "alice", "confirm": "yes", "csrf_token": csrf_token(page)},
        max_redirects=0,
    )
    assert response.status == 403
    assert holds(console.tracker_db, "alice")
    page.goto(console.url + "privacy")
    assert "Only an admin" in page.inner_text("#error-message")


def test_admin_deletes_a_conversation_for_good(
    console: ConsoleSite, context: BrowserContext
) -> None:
    sender = ERASURE_REQUEST.sender
    assert holds(console.tracker_db, sender)
    page = console.sign_in(context, "admin")
    page.goto(console.url + f"conversation?sender={sender}")
    page.check("#delete-form input[name=confirm]")
    page.click("#delete")

    assert page.url == console.url + "privacy"
    row = page.locator("#deletions tbody tr").filter(has_text=sender)
    assert re.search(r"admin\s+erasure request", row.inner_text())
    assert not holds(console.tracker_db, sender)
    page.goto(console.url + f"conversation?sender={sender}")
    assert "by admin (erasure request)" in page.inner_text("#deleted")
    assert audited(console, sender) == [audit.DELETED, audit.VIEWED]


def test_conversations_are_filtered_and_exported(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = console.sign_in(context, "staff")
    page.click("text=Conversations")
    assert search(page, channel="telegram") == ["telegram-4242"]
    assert set(search(page, kind="safety")) == {"telegram-4242", "carol"}
    assert search(page, treatment="microneedling", q="APPOINTMENT") == ["alice"]

    csv_text = context.request.get(console.url + "export/heatmap.csv").text()
    assert csv_text.splitlines()[0] == "treatment,topic,replies"
    assert "Microneedling,pain and numbing,1" in csv_text.splitlines()


def test_an_admin_adds_and_disables_an_account(
    console: ConsoleSite, context: BrowserContext
) -> None:
    page = console.sign_in(context, "admin")
    page.click("text=Accounts")
    page.fill("form.login input[name=username]", "nurse")
    page.select_option("form.login select[name=role]", "staff")
    page.fill("form.login input[name=password]", "nurse-password-1")
    page.click("form.login button[type=submit]")
    assert "Account nurse: save done." in page.inner_text(".flash")

    nurse = context.browser.new_context()
    signed_in = nurse.new_page()
    signed_in.goto(console.url + "login")
    signed_in.fill("input[name=username]", "nurse")
    signed_in.fill("input[name=password]", "nurse-password-1")
    signed_in.click("form.login button[type=submit]")
    assert signed_in.url == console.url

    row = page.locator("#accounts tbody tr").filter(has_text="nurse")
    row.locator("button").click()
    signed_in.goto(console.url + "conversations")
    assert signed_in.url == console.url + "login"  # a disabled account is out
    nurse.close()
