"""Sign-in: argon2id passwords, server-side sessions, throttling, hashed API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit
from yingji.core.models import ApiToken, LoginAttempt, Unit, User, UserSession
from yingji.core.scope import Principal
from yingji.db import Prepared
from yingji.errors import NotAuthenticated, TooManyRequests, UserError
from yingji.settings import Settings

_hasher = PasswordHasher()  # argon2id with the library's current parameters
_DUMMY_HASH = _hasher.hash("not-a-real-password")
TOKEN_PREFIX = "yj_"
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("The password must have at least %(n)s characters.", field="password",
                        n=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        raise UserError("The password must mix letters with digits or symbols.", field="password")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def principal_for(user: User, unit: Unit, *, via: str, request_id: str, address: str = "") -> Principal:
    return Holder(user.id, user.username, user.role, unit.id, unit.path).principal(
        via=via, request_id=request_id, address=address)


@dataclass
class SignIn:
    user: User
    session_key: str


def _recent_failures(session: Session, settings: Settings, **where: str) -> int:
    since = clock.now() - timedelta(minutes=settings.login_fail_window_minutes)
    stmt = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    for column, value in where.items():
        stmt = stmt.where(getattr(LoginAttempt, column) == value)
    return int(session.scalar(stmt) or 0)


def check_throttle(session: Session, settings: Settings, username: str, address: str) -> None:
    minutes = settings.login_fail_window_minutes
    if _recent_failures(session, settings, username=username) >= settings.login_fail_limit_account:
        raise TooManyRequests(
            "Too many failed sign-ins for this account. Try again in %(minutes)s minutes.", minutes=minutes)
    if _recent_failures(session, settings, address=address) >= settings.login_fail_limit_address:
        raise TooManyRequests(
            "Too many failed sign-ins from this address. Try again in %(minutes)s minutes.", minutes=minutes)


def sign_in(session: Session, settings: Settings, *, username: str, password: str, address: str,
            request_id: str, failure_log: Session) -> SignIn:
    """Check a password and open a session.

    A failure is written through ``failure_log``, a session of its own that the caller commits
    even though this request fails: throttling must see it.
    """
    username = username.strip()
    check_throttle(session, settings, username, address)
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password) and bool(user and user.is_active)
    if not ok or user is None:
        failure_log.add(LoginAttempt(username=username[:64], address=address[:64], success=False))
        anonymous = Principal(user_id=None, name=username[:64] or "-", unit_id=None, unit_path="",
                              role="", via="anonymous", request_id=request_id, address=address)
        audit.record(failure_log, anonymous, action="login_failed", entity_type="user",
                     entity_id=user.id if user else "-", unit_id=user.unit_id if user else None,
                     after={"address": address})
        raise NotAuthenticated("Wrong user name or password.")
    session.add(LoginAttempt(username=username[:64], address=address[:64], success=True))
    unit = session.get_one(Unit, user.unit_id)
    key = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(UserSession(key_hash=sha256(key), user_id=user.id, address=address[:64],
                            expires_at=now + timedelta(hours=settings.session_hours)))
    principal = principal_for(user, unit, via="session", request_id=request_id, address=address)
    audit.record(session, principal, action="login", entity_type="user", entity_id=user.id, unit_id=unit.id)
    return SignIn(user=user, session_key=key)


def sign_out(session: Session, principal: Principal, session_key: str) -> None:
    row = session.scalar(select(UserSession).where(UserSession.key_hash == sha256(session_key)))
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()
        audit.record(session, principal, action="logout", entity_type="user", entity_id=row.user_id,
                     unit_id=principal.unit_id)


# Every signed-in request runs one of these two: prepared once, read as plain values (building a statement and
# loading ORM objects cost several times running it).
_BY_SESSION = Prepared(select(UserSession.id, UserSession.ended_at, UserSession.expires_at, UserSession.last_seen_at,
                              User.id, User.username, User.role, User.is_active, Unit.id, Unit.path)
                       .join(User, User.id == UserSession.user_id).join(Unit, Unit.id == User.unit_id)
                       .where(UserSession.key_hash == bindparam("key_hash")))
_BY_TOKEN = Prepared(select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, User.id,
                            User.username, User.role, User.is_active, Unit.id, Unit.path)
                     .join(User, User.id == ApiToken.user_id).join(Unit, Unit.id == User.unit_id)
                     .where(ApiToken.token_hash == bindparam("token_hash")))


@dataclass(frozen=True, slots=True)
class Holder:
    """What a signed-in request needs of its user and the user's unit."""

    user_id: int
    username: str
    role: str
    unit_id: int
    unit_path: str

    def principal(self, *, via: str, request_id: str, address: str = "") -> Principal:
        return Principal(user_id=self.user_id, name=self.username, unit_id=self.unit_id, unit_path=self.unit_path,
                         role=self.role, via=via, request_id=request_id, address=address)


@dataclass(frozen=True, slots=True)
class TokenHolder(Holder):
    """A request signed in with an API token: its user, unit and token."""

    token_id: int
    last_used_at: datetime | None


def user_for_session(session: Session, settings: Settings, session_key: str) -> tuple[Holder, int | None] | None:
    """Who is behind a session cookie (one prepared query), or None when the session is unknown, ended or
    expired; and the session's id when its last-seen time is due to be renewed (:func:`touch_session`, at most
    once a minute), else None. Only reads."""
    found = _BY_SESSION.first(session, {"key_hash": sha256(session_key)})
    if found is None:
        return None
    session_id, ended_at, expires_at, last_seen_at, user_id, username, role, is_active, unit_id, unit_path = found
    now = clock.now()
    if ended_at is not None or expires_at <= now or not is_active:
        return None
    if now - last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    holder = Holder(user_id, username, role, unit_id, unit_path)
    return holder, session_id if now - last_seen_at > timedelta(minutes=1) else None


def touch_session(session: Session, session_id: int) -> None:
    """Renew a session's last-seen time (what keeps it from ending idle)."""
    session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=clock.now()))


def user_for_token(session: Session, raw_token: str) -> TokenHolder | None:
    """Who is behind a bearer token (one prepared query, plain values: every API request runs it), or None if
    the token is not valid now."""
    row = _BY_TOKEN.first(session, {"token_hash": sha256(raw_token)})
    if row is None:
        return None
    token_id, revoked_at, expires_at, last_used_at, user_id, username, role, is_active, unit_id, unit_path = row
    if revoked_at is not None or (expires_at is not None and expires_at <= clock.now()) or not is_active:
        return None
    return TokenHolder(user_id, username, role, unit_id, unit_path, token_id, last_used_at)


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def end_other_sessions(session: Session, user_id: int, keep_key: str | None) -> None:
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_key:
        stmt = stmt.where(UserSession.key_hash != sha256(keep_key))
    session.execute(stmt.values(ended_at=clock.now()))
