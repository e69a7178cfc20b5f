"""Staff accounts: argon2 password hashes, two roles, throttled sign-in."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, List, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from console.store import LOGIN_FAILURES, USERS

STAFF = "staff"
ADMIN = "admin"
ROLES = (STAFF, ADMIN)
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX = 80
ADDRESS_FACTOR = 5

_HASHER = PasswordHasher()
# Compared against when the account doesn't exist, so both cases take as long.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """A username, role or password that can't be used."""


class Throttled(Exception):
    """Too many failed sign-ins: wait before trying again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Account:
    """A signed-in member of staff."""

    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins also delete conversations and manage accounts."""
        return self.role == ADMIN


def _check(username: str, role: str, password: str) -> None:
    if not username or len(username) > USERNAME_MAX or not username.isprintable():
        raise AccountError(f"a username is 1 to {USERNAME_MAX} printable characters")
    if role not in ROLES:
        raise AccountError(f"the role is one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")


def create_account(engine: Engine, username: str, role: str, password: str) -> Account:
    """Add an account, or set the role and password of an existing one."""
    username = username.strip()
    _check(username, role, password)
    values = dict(password_hash=_HASHER.hash(password), role=role, active=True)
    with engine.begin() as connection:
        existing = connection.execute(
            sa.select(USERS.c.id).where(USERS.c.username == username)
        ).first()
        if existing:
            connection.execute(
                sa.update(USERS).where(USERS.c.id == existing.id).values(**values)
            )
            user_id = existing.id
        else:
            result = connection.execute(
                sa.insert(USERS).values(
                    username=username, created_at=time.time(), **values
                )
            )
            user_id = result.inserted_primary_key[0]
    return Account(int(user_id), username, role)


def set_active(engine: Engine, username: str, active: bool) -> None:
    """Enable or disable an account (a disabled one can't sign in)."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(USERS).where(USERS.c.username == username).values(active=active)
        )


def account(engine: Engine, user_id: int) -> Optional[Account]:
    """The active account with this id."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(USERS).where(USERS.c.id == user_id, USERS.c.active.is_(True))
        ).first()
    return Account(row.id, row.username, row.role) if row else None


def accounts(engine: Engine) -> List[Any]:
    """Every account, by name."""
    with engine.connect() as connection:
        return list(connection.execute(sa.select(USERS).order_by(USERS.c.username)))


def _recent_failures(engine: Engine, column: Any, value: str, since: float) -> Any:
    query = sa.select(sa.func.count(), sa.func.min(LOGIN_FAILURES.c.at)).where(
        LOGIN_FAILURES.c.at >= since, column == value
    )
    with engine.connect() as connection:
        return connection.execute(query).one()


def _throttle(
    engine: Engine, username: str, address: str, attempts: int, window: float
) -> None:
    """Raise :class:`Throttled` when the account or the address failed too often.

    An address gets ``ADDRESS_FACTOR`` times the account's allowance: several
    members of staff may sign in from one office address.
    """
    now = time.time()
    for column, value, allowed in (
        (LOGIN_FAILURES.c.username, username, attempts),
        (LOGIN_FAILURES.c.address, address, attempts * ADDRESS_FACTOR),
    ):
        failures, oldest = _recent_failures(engine, column, value, now - window)
        if failures >= allowed:
            raise Throttled(oldest + window - now)


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    address: str,
    attempts: int,
    window_seconds: float,
) -> Optional[Account]:
    """The account if the password is right; ``None`` if not.

    Raises:
        Throttled: the account failed ``attempts`` times within the window (or
            the address five times as often); the password is not even checked.
    """
    _throttle(engine, username, address, attempts, window_seconds)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(USERS).where(
                USERS.c.username == username, USERS.c.active.is_(True)
            )
        ).first()
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
        ok = row is not None
    except (VerificationError, InvalidHashError):
        ok = False
    with engine.begin() as connection:
        if not ok:
            connection.execute(
                sa.insert(LOGIN_FAILURES).values(
                    username=username[:USERNAME_MAX], address=address, at=time.time()
                )
            )
            return None
        connection.execute(
            sa.delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.username == username)
        )
        if _HASHER.check_needs_rehash(row.password_hash):
            connection.execute(
                sa.update(USERS)
                .where(USERS.c.id == row.id)
                .values(password_hash=_HASHER.hash(password))
            )
    return Account(row.id, row.username, row.role)
