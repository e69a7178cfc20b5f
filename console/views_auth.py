"""Sign-in, sign-out and account management (admins)."""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from console import accounts, audit
from console.app import StaffUser, settings_of, stores_of

blueprint = Blueprint("auth", __name__)
View = TypeVar("View", bound=Callable[..., Any])


def admin_required(view: View) -> View:
    """Refuse (403) a view to anyone but an admin."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return cast(View, guarded)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; throttled after repeated failures."""
    if request.method == "GET":
        return render_template("login.html")
    settings = settings_of(current_app)
    engine = stores_of(current_app).console
    username = request.form.get("username", "").strip()[: accounts.USERNAME_MAX]
    address = request.remote_addr or "unknown"
    try:
        found = accounts.authenticate(
            engine,
            username,
            request.form.get("password", ""),
            address,
            settings.login_attempts,
            settings.login_window_minutes * 60,
        )
    except accounts.Throttled as throttled:
        minutes = max(1, round(throttled.retry_after / 60))
        message = f"Too many failed sign-ins. Try again in {minutes} minutes."
        return render_template("login.html", error=message), 429
    if found is None:
        audit.record(engine, username or "?", audit.SIGN_IN_FAILED, detail=address)
        return render_template("login.html", error="Wrong name or password."), 401
    session.clear()  # a fresh session: nothing carried over from before sign-in
    login_user(StaffUser(found))
    session.permanent = True
    audit.record(engine, found.username, audit.SIGNED_IN, detail=address)
    return redirect(url_for("pages.dashboard"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out and forget the session."""
    audit.record(
        stores_of(current_app).console, current_user.username, audit.SIGNED_OUT
    )
    logout_user()
    session.clear()
    flash("Signed out.")
    return redirect(url_for("auth.login"))


@blueprint.route("/accounts", methods=["GET", "POST"])
@admin_required
def manage_accounts() -> Any:
    """List the accounts; add one, change a role or password, enable or disable."""
    engine = stores_of(current_app).console
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        action = request.form.get("action", "save")
        try:
            if action in ("enable", "disable"):
                if username == current_user.username:
                    raise accounts.AccountError("you can't disable your own account")
                accounts.set_active(engine, username, action == "enable")
            else:
                accounts.create_account(
                    engine,
                    username,
                    request.form.get("role", accounts.STAFF),
                    request.form.get("password", ""),
                )
        except accounts.AccountError as error:
            flash(f"Not saved: {error}.")
        else:
            audit.record(
                engine,
                current_user.username,
                audit.ACCOUNT,
                detail=f"{action} {username}",
            )
            flash(f"Account {username}: {action} done.")
        return redirect(url_for("auth.manage_accounts"))
    return render_template(
        "accounts.html", accounts=accounts.accounts(engine), roles=accounts.ROLES
    )
