"""The console's Flask application: security settings, sign-in guard, pages.

Every response carries a strict Content Security Policy (no script at all,
styles and images from the console only), ``no-store`` caching and no
referrer. Every page but the sign-in form needs a signed-in session; every
form carries a CSRF token (Flask-WTF); the session cookie is HttpOnly,
SameSite=Strict, and Secure when ``MEDSPA_CONSOLE_SECURE_COOKIES`` is set.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional

from flask import Flask, Response, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from console import accounts, labels
from console.store import Stores
from medspa.knowledge_base import KnowledgeBase, KnowledgeBaseCache, KnowledgeBaseError
from medspa.settings import ConsoleSettings, console_secret_key

LOG = logging.getLogger(__name__)
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
OPEN_ENDPOINTS = {"auth.login", "static"}


class StaffUser(UserMixin):
    """The signed-in account, as Flask-Login wants it."""

    def __init__(self, account: accounts.Account) -> None:
        self.account = account
        self.id = str(account.id)

    @property
    def username(self) -> str:
        """The account's name."""
        return self.account.username

    @property
    def is_admin(self) -> bool:
        """Whether the account may delete and manage accounts."""
        return self.account.is_admin


def create_app(settings: ConsoleSettings, stores: Optional[Stores] = None) -> Flask:
    """The console for ``settings`` (and these databases, else the settings')."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=console_secret_key(settings.var_dir),
        SESSION_COOKIE_NAME="medspa_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["medspa"] = {
        "settings": settings,
        "stores": stores
        or Stores.open(settings.conversations_url, settings.console_db_url),
        "kb": KnowledgeBaseCache(settings.knowledge_base_path),
    }
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.session_protection = "strong"

    @login.user_loader
    def load_user(user_id: str) -> Optional[StaffUser]:
        found = accounts.account(stores_of(app).console, int(user_id))
        return StaffUser(found) if found else None

    @app.before_request
    def require_sign_in() -> Any:
        if request.endpoint in OPEN_ENDPOINTS or current_user.is_authenticated:
            return None
        return redirect(url_for("auth.login"))

    @app.after_request
    def secure_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> Any:
        return render_template("error.html", message=error.description), 400

    @app.errorhandler(403)
    def forbidden(error: Any) -> Any:
        message = "Only an admin may do this."
        return render_template("error.html", message=message), 403

    @app.errorhandler(KnowledgeBaseError)
    def knowledge_base_broken(error: KnowledgeBaseError) -> Any:
        message = f"The knowledge base can't be read: {error}"
        return render_template("error.html", message=message), 500

    @app.errorhandler(404)
    def not_found(error: Any) -> Any:
        return render_template("error.html", message="Nothing here."), 404

    @app.context_processor
    def template_globals() -> Any:
        return {"labels": labels_of(app), "settings": settings}

    app.add_template_filter(labels.when)

    from console import views_auth, views_learning, views_pages

    app.register_blueprint(views_auth.blueprint)
    app.register_blueprint(views_pages.blueprint)
    app.register_blueprint(views_learning.blueprint)
    return app


def settings_of(app: Flask) -> ConsoleSettings:
    """The settings the app was created with."""
    return app.extensions["medspa"]["settings"]


def stores_of(app: Flask) -> Stores:
    """The app's databases."""
    return app.extensions["medspa"]["stores"]


def kb_path_of(app: Flask) -> Path:
    """The knowledge base file the console edits (the action server's)."""
    return Path(app.extensions["medspa"]["kb"].path)


def kb_of(app: Flask) -> KnowledgeBase:
    """The current knowledge base (re-read when the file changes).

    Raises:
        KnowledgeBaseError: the file was never readable since the start.
    """
    return app.extensions["medspa"]["kb"].get()


def labels_of(app: Flask) -> labels.Labels:
    """Labels from the knowledge base; plain ids if its file can't be read."""
    try:
        return labels.Labels(kb_of(app))
    except KnowledgeBaseError:
        LOG.exception("the knowledge base can't be read: showing ids")
        return labels.Labels(None)
