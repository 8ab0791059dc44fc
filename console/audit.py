"""The audit log of staff actions: who, what, when, on what. Never message text or contact
details: targets are conversation ids, booking references, annotation ids."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from console.db import Database, audit_log


def record(db: Database, actor: str, action: str, target: Optional[str] = None, **details: Any) -> None:
    with db.console.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                ts=time.time(),
                actor=actor[:64],
                action=action[:64],
                target=(str(target)[:255] if target is not None else None),
                details=json.dumps(details, sort_keys=True, default=str) if details else None,
            )
        )


def entries(
    db: Database, page: int = 1, page_size: int = 50, action: str = ""
) -> Tuple[List[Dict[str, Any]], int]:
    query = sa.select(audit_log)
    if action:
        query = query.where(audit_log.c.action == action)
    with db.console.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = (
            conn.execute(
                query.order_by(audit_log.c.id.desc()).limit(page_size).offset((max(1, page) - 1) * page_size)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows], total


def actions(db: Database) -> List[str]:
    with db.console.connect() as conn:
        return sorted(r[0] for r in conn.execute(sa.select(audit_log.c.action).distinct()))
