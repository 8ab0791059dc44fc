"""Reads the local sink's .eml files (practice/notifications/mail_sink.py) for the console's Mail page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import List, Optional, Tuple

_NAME = re.compile(r"^[0-9T]{15}-[0-9a-f]{8}\.eml$")


@dataclass(frozen=True)
class StoredMail:
    name: str
    sender: str
    recipient: str
    subject: str
    date: str
    body: str = ""
    attachments: List[Tuple[str, str, str]] = field(default_factory=list)  # name, type, text


def _parse(path: Path) -> EmailMessage:
    with open(path, "rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def list_mail(directory: Path, limit: int = 200) -> List[StoredMail]:
    if not directory.is_dir():
        return []
    names = sorted((p.name for p in directory.iterdir() if _NAME.match(p.name)), reverse=True)
    result = []
    for name in names[:limit]:
        mail = _parse(directory / name)
        result.append(
            StoredMail(
                name,
                str(mail["From"] or ""),
                str(mail["To"] or ""),
                str(mail["Subject"] or ""),
                str(mail["Date"] or ""),
            )
        )
    return result


def read_mail(directory: Path, name: str) -> Optional[StoredMail]:
    if not _NAME.match(name or "") or not (directory / name).is_file():
        return None  # only the sink's own file names: no path from the request is followed
    mail = _parse(directory / name)
    body_part = mail.get_body(preferencelist=("plain",))
    body = body_part.get_content() if body_part is not None else ""
    attachments = []
    for part in mail.iter_attachments():
        content = part.get_content()
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        attachments.append((part.get_filename() or "", part.get_content_type(), text))
    return StoredMail(
        name,
        str(mail["From"] or ""),
        str(mail["To"] or ""),
        str(mail["Subject"] or ""),
        str(mail["Date"] or ""),
        body,
        attachments,
    )
