"""Files written for a person (letters, a backup, an audit export) go in the audit log.

The file itself is written by the caller through `kiosk.private_files`; this records
who wrote which file, and what it holds in numbers, never its contents.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kiosk import audit
from kiosk.audit import Actor
from kiosk.services.context import ServiceContext


def audit_file_written(ctx: ServiceContext, actor: Actor, action: str, path: str | Path,
                       **counts: int) -> None:
    """One audit event naming the file (its absolute path) and what it holds in numbers."""
    where = os.path.abspath(os.fspath(path))
    with ctx.database.unit_of_work() as uow:
        audit.record(uow.session, ctx.clock, actor, action, subject=Path(where).name,
                     detail=json.dumps({"path": where, **counts}, ensure_ascii=False))
        uow.commit()
