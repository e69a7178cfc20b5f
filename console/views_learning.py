"""Learning from real traffic: the review inbox and knowledge-base editing."""

from __future__ import annotations

from typing import Any, Optional

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from console import export, kb_editor, queries, review
from console.app import kb_of, kb_path_of, settings_of, stores_of
from console.views_auth import admin_required
from console.views_pages import filters_of_request
from medspa.contract import TOPIC_IDS, TREATMENT_IDS
from medspa.knowledge_base import CLINIC_SOURCE

blueprint = Blueprint("learning", __name__)
INBOX_PAGE = 100  # messages shown at once, newest first


def _turn_of_form() -> queries.Turn:
    event_id = request.form.get("event_id", type=int)
    found = queries.turn(
        stores_of(current_app).tracker, request.form.get("sender", ""), event_id or -1
    )
    if found is None:
        abort(404)
    return found


@blueprint.route("/inbox")
def inbox() -> Any:
    """The messages the assistant was unsure about, each with a reading form."""
    stores = stores_of(current_app)
    settings = settings_of(current_app)
    filters = filters_of_request()
    items = review.inbox(stores, filters, settings.review_confidence)
    return render_template(
        "inbox.html",
        filters=filters,
        items=items[:INBOX_PAGE],
        waiting=len(items),
        readings=review.READINGS,
        treatments=TREATMENT_IDS,
        done=review.reviewed(stores.console)[:50],
        threshold=settings.review_confidence,
    )


@blueprint.route("/inbox/review", methods=["POST"])
def save_review() -> Any:
    """Save the reading staff chose for one message."""
    turn = _turn_of_form()
    try:
        review.save(
            stores_of(current_app).console,
            turn,
            request.form.get("text", ""),
            request.form.get("reading", ""),
            request.form.get("treatment", ""),
            current_user.username,
        )
    except review.ReviewError as error:
        flash(f"Not saved: {error}.")
    else:
        flash("Reviewed: it goes into the training data at the next export.")
    return redirect(url_for("learning.inbox", **filters_of_request().as_args()))


@blueprint.route("/inbox/export", methods=["POST"])
def export_reviewed() -> Any:
    """Write the reviewed messages into data/nlu/reviewed.yml."""
    settings = settings_of(current_app)
    try:
        done = export.export_reviewed(
            stores_of(current_app).console, settings.training_data_dir
        )
    except export.ExportError as error:
        flash(f"Not exported: {error}.")
    else:
        flash(
            f"Exported: {done.written} examples in {done.path.name} ({done.new} new, "
            f"{done.already_in_training_data} already in the training data). "
            "The next `make train` learns them."
        )
    return redirect(url_for("learning.inbox"))


@blueprint.route("/conversation/flag", methods=["POST"])
def flag() -> Any:
    """Send a message from its transcript to the review inbox."""
    turn = _turn_of_form()
    review.flag(stores_of(current_app).console, turn, current_user.username)
    flash("Flagged: the message is in the review inbox.")
    return redirect(
        url_for("pages.transcript", sender=turn.sender_id, _anchor=f"m{turn.event_id}")
    )


# --- the knowledge base -------------------------------------------------------


@blueprint.route("/knowledge")
@admin_required
def knowledge() -> Any:
    """Every treatment x topic entry: from an article, by the clinic, or none."""
    return render_template(
        "knowledge.html",
        kb=kb_of(current_app),
        topics=TOPIC_IDS,
        changes=kb_editor.history(stores_of(current_app).console),
        clinic=CLINIC_SOURCE,
    )


def _entry_ids() -> tuple[str, str]:
    treatment = request.values.get("treatment", "")
    topic = request.values.get("topic", "")
    if treatment not in TREATMENT_IDS or topic not in TOPIC_IDS:
        abort(404)
    return treatment, topic


def _form_of_request() -> kb_editor.EntryForm:
    source = request.form.get("source", "")
    return kb_editor.EntryForm(
        covered=request.form.get("covered") == "yes",
        answer=request.form.get("answer", ""),
        source=source,
        evidence=request.form.get("evidence", "").splitlines(),
        synonyms=request.form.get("synonyms", "").split(","),
    )


def _edit_page(
    treatment: str,
    topic: str,
    form: kb_editor.EntryForm,
    fingerprint: str,
    error: Optional[str] = None,
) -> Any:
    kb = kb_of(current_app)
    page = render_template(
        "kb_edit.html",
        treatment=treatment,
        topic=topic,
        form=form,
        fingerprint=fingerprint,
        error=error,
        sources=kb.source_titles,
        clinic=CLINIC_SOURCE,
        changes=kb_editor.history(stores_of(current_app).console, treatment, topic),
    )
    return page, 400 if error else 200


@blueprint.route("/knowledge/edit", methods=["GET", "POST"])
@admin_required
def edit_entry() -> Any:
    """Edit one entry; a broken edit is refused with the validator's message."""
    treatment, topic = _entry_ids()
    path = kb_path_of(current_app)
    if request.method == "GET":
        current = kb_editor.read_entry(path, treatment, topic)
        return _edit_page(treatment, topic, current, current.fingerprint())
    form = _form_of_request()
    try:
        kb_editor.save_entry(
            path,
            treatment,
            topic,
            form,
            current_user.username,
            stores_of(current_app).console,
            expected=request.form.get("fingerprint", ""),
            articles_dir=settings_of(current_app).articles_dir,
        )
    except kb_editor.EditConflict as error:
        current = kb_editor.read_entry(path, treatment, topic)
        return _edit_page(treatment, topic, current, current.fingerprint(), str(error))
    except kb_editor.EditError as error:
        fingerprint = request.form.get("fingerprint", "")
        return _edit_page(treatment, topic, form, fingerprint, str(error))
    flash("Saved: visitors get the new answer from their next question.")
    return redirect(url_for("learning.edit_entry", treatment=treatment, topic=topic))


@blueprint.route("/knowledge/revert", methods=["POST"])
@admin_required
def revert() -> Any:
    """Put an entry back as it was before one of its changes."""
    change_id = request.form.get("change_id", type=int) or -1
    try:
        change = kb_editor.revert(
            kb_path_of(current_app),
            stores_of(current_app).console,
            change_id,
            current_user.username,
            settings_of(current_app).articles_dir,
        )
    except kb_editor.EditError as error:
        flash(f"Not reverted: {error}")
        return redirect(url_for("learning.knowledge"))
    flash(f"Change #{change_id} reverted.")
    return redirect(
        url_for("learning.edit_entry", treatment=change.treatment, topic=change.topic)
    )
