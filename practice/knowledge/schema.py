"""The shape of the knowledge files and clinic.yml, checked when they are loaded.

A wrong type, a missing field or a bad URL stops the action server (and the console) at start
with an error that names the file and the field (`KnowledgeError`), instead of a KeyError on
the first visitor who asks. The models say what each file holds; `read_*` read and check one.
Cross-references (a topic's sources exist, review records) are checked by the loader.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, List, Optional, Type, TypeVar, Union

import yaml
from pydantic import AnyHttpUrl, BaseModel, Extra, ValidationError, conint, constr, validator

NonEmpty = constr(strip_whitespace=True, min_length=1)
Model = TypeVar("Model", bound=BaseModel)


class KnowledgeError(ValueError):
    """A knowledge or clinic file that does not have the expected shape."""


class SourceEntry(BaseModel, extra=Extra.forbid):
    title: NonEmpty  # type: ignore[valid-type]
    url: AnyHttpUrl
    publisher: Optional[str] = None
    reviewed: Optional[Union[dt.date, str]] = None


class SourcesFile(BaseModel):
    sources: Dict[str, SourceEntry]


class TopicEntry(BaseModel, extra=Extra.allow):
    # Unknown fields are reported by the loader ("unknown fields"), with the topic named.
    intent: Optional[NonEmpty] = None  # type: ignore[valid-type]
    answer: NonEmpty  # type: ignore[valid-type]
    detail: Optional[NonEmpty] = None  # type: ignore[valid-type]
    sources: List[str] = []
    offer_booking: bool = False


class TopicsFile(BaseModel):
    topics: Dict[str, TopicEntry]

    @validator("topics")
    def has_fallback(cls, topics: Dict[str, TopicEntry]) -> Dict[str, TopicEntry]:
        if "fallback" not in topics:
            raise ValueError("a `fallback` topic is required (the answer when nothing matches)")
        return topics


class PhrasesFile(BaseModel):
    phrases: Dict[str, NonEmpty]  # type: ignore[valid-type]


class ClinicContact(BaseModel, extra=Extra.allow):
    phone: NonEmpty  # type: ignore[valid-type]
    email: NonEmpty  # type: ignore[valid-type]
    hours: NonEmpty  # type: ignore[valid-type]


class ClinicAvailability(BaseModel, extra=Extra.allow):
    slot_minutes: conint(gt=0)  # type: ignore[valid-type]
    lead_time_hours: conint(ge=0)  # type: ignore[valid-type]
    horizon_days: conint(gt=0)  # type: ignore[valid-type]
    weekly_hours: Dict[str, List[str]]
    blocked_dates: List[Union[dt.date, str]] = []


class ClinicFile(BaseModel, extra=Extra.allow):
    """clinic.yml: the facts the answers and the booking use (other sections are free-form)."""

    name: NonEmpty  # type: ignore[valid-type]
    website: AnyHttpUrl
    timezone: NonEmpty  # type: ignore[valid-type]
    contact: ClinicContact
    licensed_states: Dict[str, str]
    minimum_age: conint(gt=0)  # type: ignore[valid-type]
    availability: ClinicAvailability

    @validator("timezone")
    def known_zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {zone!r}") from exc
        return zone


def check(model: Type[Model], data: Any, where: str) -> Model:
    """``data`` checked against ``model``; errors name ``where`` (the file) and each field."""
    try:
        return model.parse_obj(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise KnowledgeError(f"{where}: {problems}") from None


def read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: not valid YAML ({exc})") from None


def read_checked(model: Type[Model], path: Path) -> tuple[Any, Model]:
    """The file's raw data and its checked model."""
    raw = read_yaml(path)
    return raw, check(model, raw, path.name)


def read_clinic(path: Path) -> Dict[str, Any]:
    """clinic.yml as a mapping, after checking its shape."""
    raw, _ = read_checked(ClinicFile, path)
    return raw
