"""What we can't answer yet (/gaps): clustering quality against a table of paraphrase groups
(adjusted Rand index), the page over conversations stored by Rasa's SQLTrackerStore (which
messages it collects and why, trends, top guesses), and the per-cluster bulk actions."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from console.gaps.cluster import cluster_labels
from tests.console import gap_events
from tests.console.conftest import Console, create_user
from tests.console.gap_paraphrases import GROUPS, labelled

MIN_ARI = 0.8


def test_table_is_big_enough():
    rows = labelled()
    assert len(rows) >= 60 and len(GROUPS) >= 8
    assert len({t for t, _ in rows}) == len(rows)


def test_clustering_recovers_the_paraphrase_groups():
    rows = labelled()
    labels = cluster_labels([t for t, _ in rows])
    score = adjusted_rand_score([g for _, g in rows], labels)
    assert score >= MIN_ARI, score


def test_clustering_is_not_one_big_cluster_or_all_singletons():
    rows = labelled()
    labels = cluster_labels([t for t, _ in rows])
    assert len(GROUPS) <= len(set(labels)) <= 2 * len(GROUPS)


def page_clusters(html_text: str) -> list[list[str]]:
    """The message texts of each cluster section, in page order."""
    clusters = []
    for section in re.findall(r'<section class="cluster".*?</section>', html_text, re.DOTALL):
        texts = re.findall(r'<td class="msg"><a [^>]*>(.*?)</a>', section, re.DOTALL)
        clusters.append([html.unescape(t) for t in texts])
    return clusters


@pytest.fixture(scope="module")
def gap_console(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("gaps") / "assistant.db"
    groups, reasons = gap_events.fill(str(db_path))
    create_user(db_path)
    server = Console(db_path)
    assert server.login().status_code == 302
    yield server, groups, reasons
    server.stop()


def test_page_collects_every_reason_and_clusters_like_the_table(gap_console):
    server, groups, _ = gap_console
    response = server.get("/gaps")
    assert response.status_code == 200
    clusters = page_clusters(response.text)
    shown = [t for c in clusters for t in c]
    # Every paraphrase is there, whatever its reason; the answered questions are not.
    assert sorted(shown) == sorted(groups)
    for answered in gap_events.ANSWERED:
        assert answered not in shown
    assert "no" not in shown  # the visitor's answer to the check-in is not a question
    labels = {t: i for i, c in enumerate(clusters) for t in c}
    score = adjusted_rand_score([groups[t] for t in shown], [labels[t] for t in shown])
    assert score >= MIN_ARI, score
    for reason in ("fallback: ", "low confidence: ", "thumbs-down: ", "check-in denied: "):
        assert reason in response.text, reason


def _section(text: str, number: int) -> str:
    return re.search(rf'<section class="cluster" id="cluster-{number}".*?</section>', text, re.DOTALL).group(
        0
    )


def test_cluster_shows_size_trend_guesses_and_transcript_links(gap_console):
    server, _, _ = gap_console
    text = server.get("/gaps").text
    first = _section(text, 1)
    texts = page_clusters(first)[0]
    size = int(re.search(r'<dd class="size">(\d+)</dd>', first).group(1))
    assert size == len(texts) >= 6
    trend = re.search(r'<dd class="trend[^"]*">(\d+) this week, (\d+) the week before', first)
    assert int(trend.group(1)) + int(trend.group(2)) == size
    # Top guesses come from the stored parse data: the fixture's predicted intents.
    guessed = re.findall(r'data-intent="([^"]+)"', first)
    assert guessed and set(guessed) <= {"tms_insurance", "nlu_fallback", "tms_overview", "out_of_scope"}
    links = re.findall(r'href="/transcript\?sender=(gap-\d+)#m(\d+)"', first)
    assert len(links) == size
    sender, event_id = links[0]
    transcript = server.get(f"/transcript?sender={sender}").text
    assert f'id="m{event_id}"' in transcript


def _keys(section: str) -> list[str]:
    return re.findall(r'name="message" value="([^"]+)"', section)


def test_bulk_annotation_goes_into_the_export_and_off_the_page(gap_console):
    server, _, _ = gap_console
    text = server.get("/gaps").text
    section = _section(text, 1)
    keys = _keys(section)
    texts = page_clusters(section)[0]
    refused = server.post(
        "/gaps/annotate", {"intent": "not_an_intent", "message": keys}, allow_redirects=False
    )
    assert "done=bad_intent" in refused.headers["Location"]
    response = server.post(
        "/gaps/annotate", {"intent": "tms_insurance", "note": "bulk", "message": keys}, allow_redirects=False
    )
    assert response.status_code == 302 and "done=bulk_annotated" in response.headers["Location"]
    with sqlite3.connect(server.db_path) as conn:
        rows = conn.execute(
            "select message_text, intent, created_by from console_annotations where note = 'bulk'"
        ).fetchall()
        audit = conn.execute(
            "select target, details from console_audit_log where action = 'bulk_annotate'"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(texts)
    assert {r[1] for r in rows} == {"tms_insurance"} and {r[2] for r in rows} == {"alice"}
    assert audit and audit[-1][0] == "tms_insurance" and f'"count": {len(keys)}' in audit[-1][1]
    after = [t for c in page_clusters(server.get("/gaps").text) for t in c]
    assert not set(texts) & set(after)
    pending = server.get("/annotations").text
    assert all(html.escape(t, quote=True) in pending or t in pending for t in texts)


def test_new_topic_needs_a_note_and_marks_every_ticked_message(gap_console):
    server, _, _ = gap_console
    section = _section(server.get("/gaps").text, 1)
    keys = _keys(section)[:3]  # staff untick the rest
    texts = page_clusters(section)[0][:3]
    no_note = server.post("/gaps/new-topic", {"message": keys}, allow_redirects=False)
    assert "done=note_needed" in no_note.headers["Location"]
    response = server.post(
        "/gaps/new-topic", {"message": keys, "note": "write a topic"}, allow_redirects=False
    )
    assert "done=new_topic_marked" in response.headers["Location"]
    with sqlite3.connect(server.db_path) as conn:
        rows = conn.execute(
            "select message_text, needs_new_answer, intent from "
            "console_annotations where note = 'write a topic'"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(texts)
    assert all(r[1] == 1 and r[2] is None for r in rows)
    # A forged key (another conversation's event id) annotates nothing.
    forged = server.post(
        "/gaps/new-topic", {"message": ["gap-000|999999"], "note": "x"}, allow_redirects=False
    )
    assert "done=nothing_selected" in forged.headers["Location"]


def test_reviewer_may_use_it_scheduler_may_not(gap_console, tmp_path: Path):
    server, _, _ = gap_console
    create_user(server.db_path, name="sched", role="scheduler")
    other = Console.__new__(Console)
    other.__dict__.update(server.__dict__)
    import requests

    other.http = requests.Session()
    assert other.login("sched").status_code == 302
    assert other.get("/gaps", allow_redirects=False).status_code == 403
