"""rasa_ext/stores/sql_tracker_store.py: the same rows and trackers as Rasa's SQLTrackerStore,
and the class every endpoints file of the project names really is what Rasa builds."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, List, Sequence, Tuple

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from rasa_ext.stores.sql_tracker_store import PreparedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_dict({"slots": {"last_topic": {"type": "text", "mappings": [{"type": "custom"}]}}})
CLASS_PATH = "rasa_ext.stores.sql_tracker_store.PreparedSQLTrackerStore"


def _store(cls: type, path: Path) -> SQLTrackerStore:
    return cls(domain=DOMAIN, dialect="sqlite", db=str(path))


def _conversation(sender: str, turns: int, session_starts: Sequence[int] = (0,)) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, [])
    clock = 1000.0
    for turn in range(turns):
        if turn in session_starts:
            clock += 1  # action_session_start shares SessionStarted's timestamp, so a
            for event in (ActionExecuted("action_session_start"), SessionStarted()):  # reload keeps it
                event.timestamp = clock
                tracker.update(event)
            listen = ActionExecuted("action_listen")
            listen.timestamp = clock = clock + 1
            tracker.update(listen)
        for event in (
            UserUttered(f"question {turn}", {"name": "tms_overview", "confidence": 0.9}),
            ActionExecuted("action_answer"),
            BotUttered(f"answer {turn}"),
            SlotSet("last_topic", f"t{turn}"),
            ActionExecuted("action_listen"),
        ):
            event.timestamp = clock = clock + 1
            tracker.update(event)
    return tracker


def _rows(path: Path) -> List[Tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "select id, sender_id, type_name, timestamp, intent_name, action_name, data"
            " from events order by id"
        ).fetchall()


async def _save_in_steps(
    store: SQLTrackerStore, tracker: DialogueStateTracker, steps: Sequence[Any] = (4, 11, None)
) -> None:
    for end in steps:  # like a live chat: the tracker grows, each save appends the new events
        partial = DialogueStateTracker(tracker.sender_id, [])
        for event in list(tracker.events)[:end]:
            partial.update(event)
        await store.save(partial)


async def _save_all(store: SQLTrackerStore) -> None:
    await _save_in_steps(store, _conversation("visitor-1", turns=4, session_starts=(0, 2)))
    await _save_in_steps(store, _conversation("visitor-2", turns=1), steps=(None, None))  # nothing new
    tracker = await store.retrieve("visitor-1")  # as the server continues a conversation
    for event in list(_conversation("visitor-1", turns=5, session_starts=(0, 2)).events)[-5:]:
        tracker.update(event)
    await store.save(tracker)


def test_it_writes_the_rows_rasa_writes(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    asyncio.run(_save_all(_store(PreparedSQLTrackerStore, ours)))
    asyncio.run(_save_all(_store(SQLTrackerStore, theirs)))
    assert _rows(ours) == _rows(theirs)
    assert len(_rows(ours)) == len(_conversation("v", 5, (0, 2)).events) + len(_conversation("v", 1).events)


@pytest.mark.parametrize("all_sessions", [False, True])
def test_it_reads_back_what_rasa_reads_back(tmp_path: Path, all_sessions: bool) -> None:
    path = tmp_path / "t.db"
    asyncio.run(_save_all(_store(SQLTrackerStore, path)))  # written by Rasa's store
    ours, theirs = _store(PreparedSQLTrackerStore, path), _store(SQLTrackerStore, path)

    def load(store: SQLTrackerStore, sender: str) -> Any:
        method = store.retrieve_full_tracker if all_sessions else store.retrieve
        return asyncio.run(method(sender))

    for sender in ("visitor-1", "visitor-2"):
        mine, rasas = load(ours, sender), load(theirs, sender)
        assert list(mine.events) == list(rasas.events)
        assert mine.current_slot_values() == rasas.current_slot_values()
    # only the latest session (from its SessionStarted on) unless all are asked for
    assert len(load(ours, "visitor-1").events) == (5 * 5 + 2 * 3 if all_sessions else 3 * 5 + 3)
    assert load(ours, "nobody") is None
    assert asyncio.run(ours.keys()) == asyncio.run(theirs.keys())


def test_rasa_reads_back_what_it_writes(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    asyncio.run(_save_all(_store(PreparedSQLTrackerStore, path)))
    tracker = asyncio.run(_store(SQLTrackerStore, path).retrieve_full_tracker("visitor-1"))
    assert list(tracker.events) == list(_conversation("visitor-1", turns=5, session_starts=(0, 2)).events)


def _endpoints_files(tmp_path: Path) -> List[Path]:
    """endpoints.yml, endpoints.prod.yml and the one scripts/test_servers.sh writes."""
    script = (ROOT / "scripts" / "test_servers.sh").read_text()
    written = script.split('cat > "$ENDPOINTS" <<YAML\n', 1)[1].split("\nYAML\n", 1)[0]
    test_servers = tmp_path / "test_servers.yml"
    test_servers.write_text(written.replace("$ACTION_PORT", "5155").replace("$TEST_DB_DIR", str(tmp_path)))
    return [ROOT / "endpoints.yml", ROOT / "endpoints.prod.yml", test_servers]


def test_every_endpoints_file_names_this_store(tmp_path: Path) -> None:
    for path in _endpoints_files(tmp_path):
        tracker_store = yaml.safe_load(path.read_text())["tracker_store"]
        assert tracker_store["type"] == CLASS_PATH, path
    compose = (ROOT / "deploy" / "docker-compose.yml").read_text()
    assert (
        "endpoints.prod.yml" in compose
        and "endpoints.prod.yml" in (ROOT / "deploy" / "helm-values.yml").read_text()
    )


def test_rasa_builds_this_store_from_the_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa falls back to an in-memory store, with only a warning, when the type does not load."""
    monkeypatch.chdir(tmp_path)  # endpoints.yml's relative var/assistant.db lands here
    (tmp_path / "var").mkdir()
    for path in (ROOT / "endpoints.yml", _endpoints_files(tmp_path)[2]):
        config = read_endpoint_config(str(path), "tracker_store")
        store = TrackerStore.create(config, DOMAIN)
        assert type(store) is PreparedSQLTrackerStore, path
        asyncio.run(store.save(_conversation("visitor", turns=1)))
        assert len(asyncio.run(store.retrieve("visitor")).events) == 8


def test_the_production_settings_reach_it_as_they_reach_rasas_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """endpoints.prod.yml gives `url` (host) and `dialect`: the same arguments SQLTrackerStore gets."""
    seen: List[dict] = []
    monkeypatch.setattr(SQLTrackerStore, "__init__", lambda self, **kwargs: seen.append(kwargs))
    for name in (
        "TRACKER_DB_URL",
        "ACTION_ENDPOINT_URL",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_DB",
        "REDIS_PASSWORD",
        "REDIS_LOCK_PREFIX",
    ):
        monkeypatch.setenv(name, "postgresql://u@db:5432/a" if name == "TRACKER_DB_URL" else "1")
    config = read_endpoint_config(str(ROOT / "endpoints.prod.yml"), "tracker_store")
    assert isinstance(config, EndpointConfig)
    from rasa.core import tracker_store as module

    module._create_from_endpoint_config(config, DOMAIN)
    module._create_from_endpoint_config(EndpointConfig(url=config.url, type="SQL", **config.kwargs), DOMAIN)
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0]["host"] == "postgresql://u@db:5432/a"
