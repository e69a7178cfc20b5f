"""The dashboard, its CSV exports, the conversations and the privacy page."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, Optional

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from console import audit, marks, privacy, queries
from console.app import labels_of, settings_of, stores_of
from console.figures import CHARTS, FIGURES, WITH_VISITOR_TEXT
from console.labels import spreadsheet_safe
from console.views_auth import admin_required
from medspa.contract import KINDS, TREATMENT_IDS

blueprint = Blueprint("pages", __name__)
DEFAULT_DAYS = 30
PAGE_SIZE = 100


def _day(name: str) -> Optional[date]:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def filters_of_request() -> queries.Filters:
    """The filters of the request's query string (the last 30 days by default)."""
    default = queries.last_days(DEFAULT_DAYS)
    start, end = _day("from"), _day("to")
    return queries.Filters(
        start=start if start or end else default.start,
        end=end if start or end else default.end,
        channel=request.args.get("channel", "")[:40],
        kind=request.args.get("kind", "")[:40],
        treatment=request.args.get("treatment", "")[:40],
        search=request.args.get("q", "")[:200],
    )


def _board(filters: queries.Filters) -> queries.Dashboard:
    found = queries.turns(stores_of(current_app).tracker, filters)
    return queries.dashboard(found, filters)


@blueprint.route("/")
def dashboard() -> Any:
    """The plots, then the problem reports, not covered and not understood."""
    filters = filters_of_request()
    board = _board(filters)
    labels = labels_of(current_app)
    engine = stores_of(current_app).console
    return render_template(
        "dashboard.html",
        filters=filters,
        board=board,
        charts=[
            (figure, figure.chart(board, labels)) for figure in CHARTS if figure.chart
        ],
        called_back=marks.called_back(
            engine, (t.event_id for t in board.problem_reports)
        ),
    )


@blueprint.route("/export/<name>.csv")
def export(name: str) -> Any:
    """One of the dashboard's tables as CSV, for the dashboard's date range."""
    figure = FIGURES.get(name)
    if figure is None:
        abort(404)
    filters = filters_of_request()
    rows = figure.rows(_board(filters), labels_of(current_app))
    if name in WITH_VISITOR_TEXT:
        audit.record(
            stores_of(current_app).console,
            current_user.username,
            audit.EXPORTED,
            detail=f"{name} {filters.start}..{filters.end}: {len(rows)} rows",
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(figure.header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@blueprint.route("/conversations")
def conversation_list() -> Any:
    """The conversations, filtered by date, channel, reply kind, treatment, text."""
    filters = filters_of_request()
    found = queries.turns(stores_of(current_app).tracker, filters)
    listed = queries.conversations(found)
    page = max(0, request.args.get("page", 0, type=int) or 0)
    return render_template(
        "conversations.html",
        filters=filters,
        conversations=listed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE],
        total=len(listed),
        page=page,
        pages=(len(listed) + PAGE_SIZE - 1) // PAGE_SIZE,
        kinds=KINDS,
        treatments=TREATMENT_IDS,
        channels=sorted(
            set(queries.CHANNEL_PREFIXES.values()) | {queries.DEFAULT_CHANNEL}
        ),
    )


@blueprint.route("/conversation")
def transcript() -> Any:
    """One conversation, each reply with its ``answer`` metadata; audited."""
    sender = request.args.get("sender", "")
    stores = stores_of(current_app)
    lines = queries.transcript(stores.tracker, sender)
    if not lines:
        deleted = privacy.deletion_of(stores, sender)
        return render_template(
            "transcript.html", sender=sender, lines=[], deleted=deleted
        ), 404
    audit.record(stores.console, current_user.username, audit.VIEWED, sender)
    reports = [
        turn.event_id
        for turn in queries.turns(stores.tracker, senders=[sender])
        if turn.is_problem_report
    ]
    return render_template(
        "transcript.html",
        sender=sender,
        lines=lines,
        reports=reports,
        called_back=marks.called_back(stores.console, reports),
        deleted=None,
    )


@blueprint.route("/conversation/called-back", methods=["POST"])
def called_back() -> Any:
    """Mark or unmark a problem report as called back."""
    sender = request.form.get("sender", "")
    event_id = request.form.get("event_id", type=int)
    if event_id is None:
        abort(400)
    done = request.form.get("done") == "1"
    marks.set_called_back(
        stores_of(current_app).console, event_id, sender, current_user.username, done
    )
    flash("Marked as called back." if done else "Call-back mark removed.")
    return redirect(url_for("pages.transcript", sender=sender, _anchor=f"m{event_id}"))


@blueprint.route("/conversation/delete", methods=["POST"])
@admin_required
def delete() -> Any:
    """Delete a conversation for good (a visitor's erasure request)."""
    sender = request.form.get("sender", "")
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the deletion.")
        return redirect(url_for("pages.transcript", sender=sender))
    removed = privacy.delete_conversation(
        stores_of(current_app),
        sender,
        current_user.username,
        training_data_dir=settings_of(current_app).training_data_dir,
    )
    flash(f"Conversation deleted ({removed} events).")
    return redirect(url_for("pages.privacy_page"))


@blueprint.route("/privacy")
@admin_required
def privacy_page() -> Any:
    """Deletions (when, by whom, why), retention runs and the audit log."""
    stores = stores_of(current_app)
    return render_template(
        "privacy.html",
        deletions=privacy.deletions(stores),
        runs=privacy.retention_runs(stores),
        entries=audit.entries(stores.console),
    )
