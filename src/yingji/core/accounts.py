"""Users, their roles and language, passwords and API tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, auth, roles
from yingji.core.models import ApiToken, Unit, User
from yingji.core.schemas import Page, TokenCreate, UserCreate, UserRead
from yingji.core.scope import Principal, get_scoped, recheck, scoped
from yingji.core.service import paginate
from yingji.errors import Conflict, PermissionDenied, UserError
from yingji.i18n import LANGUAGES


def list_users(session: Session, principal: Principal, *, q: str = "", role: str = "", page: int = 1,
               per_page: int = 50) -> Page[UserRead]:
    stmt = scoped(select(User), principal, roles.MANAGE_USERS)
    if q:
        stmt = stmt.where(User.username.ilike(f"%{q}%") | User.display_name.ilike(f"%{q}%"))
    if role:
        stmt = stmt.where(User.role == role)
    return paginate(session, stmt.order_by(User.username), UserRead, page=page, per_page=per_page)


def get_user(session: Session, principal: Principal, user_id: int) -> User:
    return get_scoped(session, principal, User, user_id, roles.MANAGE_USERS)


def create_user(session: Session, principal: Principal, data: UserCreate) -> User:
    get_scoped(session, principal, Unit, data.unit_id, roles.MANAGE_USERS)
    if data.role not in roles.ROLE_LABELS:
        raise UserError("Unknown role.", field="role")
    if not roles.may_grant(principal.role, data.role) and principal.via != "system":
        raise PermissionDenied("You cannot grant this role.")
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("The user name %(name)s is taken.", field="username", name=data.username)
    auth.check_password_strength(data.password)
    user = User(**data.model_dump(exclude={"password"}), password_hash=auth.hash_password(data.password))
    session.add(user)
    recheck(session, principal, user)
    audit.record(session, principal, action="create", entity_type="user", entity_id=user.id,
                 unit_id=user.unit_id, after=audit.snapshot(user))
    return user


def set_role(session: Session, principal: Principal, user_id: int, role: str) -> User:
    user = get_user(session, principal, user_id)
    if role not in roles.ROLE_LABELS:
        raise UserError("Unknown role.", field="role")
    if user.id == principal.user_id:
        raise UserError("You cannot change your own role.")
    if principal.via != "system" and not (roles.may_grant(principal.role, role)
                                          and roles.may_grant(principal.role, user.role)):
        raise PermissionDenied("You cannot grant this role.")
    before = audit.snapshot(user)
    user.role = role
    audit.record(session, principal, action="set_role", entity_type="user", entity_id=user.id,
                 unit_id=user.unit_id, before=before, after=audit.snapshot(user))
    return user


def set_active(session: Session, principal: Principal, user_id: int, active: bool) -> User:
    user = get_user(session, principal, user_id)
    if user.id == principal.user_id:
        raise UserError("You cannot disable your own account.")
    before = audit.snapshot(user)
    user.is_active = active
    if not active:
        auth.end_other_sessions(session, user.id, keep_key=None)
    audit.record(session, principal, action="enable" if active else "disable", entity_type="user",
                 entity_id=user.id, unit_id=user.unit_id, before=before, after=audit.snapshot(user))
    return user


def reset_password(session: Session, principal: Principal, user_id: int, new_password: str) -> User:
    """An administrator (or the CLI) sets a password for someone else."""
    user = get_user(session, principal, user_id)
    return _set_password(session, principal, user, new_password)


def change_own_password(session: Session, principal: Principal, *, current: str, new: str,
                        keep_session_key: str | None) -> User:
    user = session.get_one(User, principal.user_id)
    if not auth.verify_password(user.password_hash, current):
        raise UserError("The current password is wrong.", field="current")
    if current == new:
        raise UserError("The new password must differ from the current one.", field="new")
    _set_password(session, principal, user, new)
    auth.end_other_sessions(session, user.id, keep_key=keep_session_key)
    return user


def _set_password(session: Session, principal: Principal, user: User, new_password: str) -> User:
    auth.check_password_strength(new_password)
    user.password_hash = auth.hash_password(new_password)
    user.password_changed_at = clock.now()
    audit.record(session, principal, action="password", entity_type="user", entity_id=user.id,
                 unit_id=user.unit_id)
    return user


def set_language(session: Session, principal: Principal, lang: str) -> User:
    if lang not in LANGUAGES:
        raise UserError("Unknown language.", field="lang")
    user = session.get_one(User, principal.user_id)
    before = audit.snapshot(user)
    user.lang = lang
    audit.record(session, principal, action="update", entity_type="user", entity_id=user.id,
                 unit_id=user.unit_id, before=before, after=audit.snapshot(user))
    return user


# --- API tokens ----------------------------------------------------------------------------

def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id.desc())
    return list(session.scalars(stmt))


def create_token(session: Session, principal: Principal, data: TokenCreate) -> tuple[ApiToken, str]:
    if principal.user_id is None:
        raise PermissionDenied("Only a signed-in person can create a token.")
    secret = auth.new_token_secret()
    expires = clock.now() + timedelta(days=data.days) if data.days else None
    token = ApiToken(user_id=principal.user_id, name=data.name, prefix=secret[:10],
                     token_hash=auth.sha256(secret), expires_at=expires)
    session.add(token)
    session.flush()
    audit.record(session, principal, action="create", entity_type="api_token", entity_id=token.id,
                 unit_id=principal.unit_id, after=audit.snapshot(token))
    return token, secret


def revoke_token(session: Session, principal: Principal, token_id: int) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == principal.user_id))
    if token is None:
        from yingji.errors import NotFound

        raise NotFound("Not found, or not within your area.")
    if token.revoked_at is None:
        before = audit.snapshot(token)
        token.revoked_at = clock.now()
        audit.record(session, principal, action="revoke", entity_type="api_token", entity_id=token.id,
                     unit_id=principal.unit_id, before=before, after=audit.snapshot(token))
    return token


def token_use_due(holder: auth.TokenHolder) -> bool:
    """Token use is audited at most once a minute per token, so that reads stay cheap."""
    return holder.last_used_at is None or clock.now() - holder.last_used_at >= timedelta(minutes=1)


def note_token_use(session: Session, principal: Principal, holder: auth.TokenHolder) -> None:
    """Audit the token's use, if due (:func:`token_use_due`)."""
    if token_use_due(holder):
        session.execute(update(ApiToken).where(ApiToken.id == holder.token_id).values(last_used_at=clock.now()))
        audit.record(session, principal, action="token_use", entity_type="api_token", entity_id=holder.token_id,
                     unit_id=principal.unit_id)
