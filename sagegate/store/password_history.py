"""Password reuse history for the account password policy's PasswordReusePrevention (IAM User
Guide, *Set an account password policy for IAM users*: "Prevent password reuse" keeps users from
reusing their last 1 to 24 passwords).

`password_history` holds argon2id hashes, never passwords: one row per password set while the
policy prevents reuse (the current password included), `position` growing by one per user, the
newest highest. Only the `PasswordReusePrevention` newest are kept: recording trims the user's
rows, changing the policy trims every user's of the account, and deleting the policy (or turning
reuse prevention off) empties the account's histories. A user's rows go with its login profile
(and with the user, which cannot be deleted before its login profile anyway).

These helpers run inside the caller's write transaction; the caller holds the user's row lock
when it records, so two writers cannot take one position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sagegate.store.passwords import Passwords
from sagegate.store.schema import PasswordHistoryRow, UserRow

MAX_REUSE_PREVENTION = 24  # PasswordReusePrevention's largest value

_H = PasswordHistoryRow.__table__
_NEWER = _H.alias("newer")
_U = UserRow.__table__


def reuse_prevention(settings: dict[str, Any] | None) -> int:
    """How many recent passwords a user may not reuse under `settings` (the password policy's
    members; None: no policy): 0 when reuse is not prevented."""
    if settings is None:
        return 0
    keep = int(settings.get("PasswordReusePrevention") or 0)
    return max(0, min(keep, MAX_REUSE_PREVENTION))


def remember(
    s: Session,
    passwords: Passwords,
    user_id: str,
    password: str,
    hashed: str,
    keep: int,
    now: datetime,
) -> bool:
    """Record `hashed` (the hash of `password`) as the user's newest password, keeping `keep`;
    False, and nothing recorded, if `password` is one of the user's `keep` most recent."""
    recent = s.execute(
        select(_H.c.position, _H.c.password_hash)
        .where(_H.c.user_id == user_id)
        .order_by(_H.c.position.desc())
        .limit(keep)
    ).all()
    reused = False
    for _, earlier in recent:  # verify all of them: the time spent does not depend on which
        reused |= passwords.verify(earlier, password)
    if reused:
        return False
    position = recent[0].position + 1 if recent else 1
    s.execute(
        _H.insert().values(user_id=user_id, position=position, password_hash=hashed, created_at=now)
    )
    s.execute(delete(_H).where(_H.c.user_id == user_id, _H.c.position <= position - keep))
    return True


def trim_account(s: Session, account_id: str, keep: int) -> None:
    """Keep the `keep` newest hashes of each user of the account (none when `keep` is 0)."""
    stmt = delete(_H).where(
        _H.c.user_id.in_(select(_U.c.user_id).where(_U.c.account_id == account_id))
    )
    if keep:
        newest = (
            select(func.max(_NEWER.c.position))
            .where(_NEWER.c.user_id == _H.c.user_id)
            .scalar_subquery()
        )
        stmt = stmt.where(_H.c.position <= newest - keep)
    s.execute(stmt)


def forget_user(s: Session, user_id: str) -> None:
    """Delete the user's history (its login profile is being deleted)."""
    s.execute(delete(_H).where(_H.c.user_id == user_id))
