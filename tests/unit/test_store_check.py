"""message_guard.conversation_store_down: the channels' check before a turn."""

from types import SimpleNamespace

import sqlalchemy as sa

from practice import message_guard


def agent_with(url):
    engine = sa.create_engine(url)
    # As in Rasa: the SQL store inside a FailSafeTrackerStore.
    return SimpleNamespace(tracker_store=SimpleNamespace(_tracker_store=SimpleNamespace(engine=engine)))


def test_reachable_store(tmp_path):
    assert message_guard.conversation_store_down(agent_with(f"sqlite:///{tmp_path}/t.db")) is False


def test_unreachable_store():
    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
    assert message_guard.conversation_store_down(agent_with(url)) is True


def test_no_agent_or_no_sql_store_means_no_check():
    assert message_guard.conversation_store_down(None) is False
    assert message_guard.conversation_store_down(SimpleNamespace(tracker_store=object())) is False
