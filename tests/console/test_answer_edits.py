"""Answer editing with review, against the console served for real: an editor proposes a
wording (previewed with the clinic's settings and the sources), cannot approve it alone,
another staff member approves, the export is a patch that applies to knowledge/topics.yml
and loads in the assistant's own knowledge loader; removing a source or the deferral, or a
misspelt clinic placeholder, is refused; every step is in the audit log."""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
import subprocess

import pytest
import requests
import yaml

from practice.knowledge.loader import KnowledgeBase
from tests.console.conftest import PASSWORD, ROOT, Console, create_user

TOPIC = "tms.side_effects"
NEW_ANSWER = (
    "Most people feel a tapping on the scalp and may get a mild headache that fades "
    "within a week. You can ask our team at {{ clinic.contact.phone }}."
)


def session(server: Console, user: str) -> Console:
    client = object.__new__(Console)
    client.__dict__.update(server.__dict__)
    client.http = requests.Session()
    assert client.login(user, PASSWORD).status_code == 302
    return client


@pytest.fixture(scope="module")
def staff(shared_db):
    create_user(shared_db, name="erin", role="editor")
    create_user(shared_db, name="frank", role="editor")
    create_user(shared_db, name="rita", role="reviewer")
    server = Console(shared_db)
    yield {name: session(server, name) for name in ("erin", "frank", "rita", "alice")}
    server.stop()


def sources_of(topic: str) -> list[str]:
    return yaml.safe_load((ROOT / "knowledge/topics.yml").read_text())["topics"][topic]["sources"]


def propose(client: Console, answer: str, sources: list[str], action: str = "propose"):
    form = {
        "topic": TOPIC,
        "answer": answer,
        "detail": "",
        "note": "plainer words",
        "action": action,
        "source": sources,
    }
    return client.post("/answers/propose", form, allow_redirects=False)


def test_preview_renders_with_clinic_settings_and_sources(staff):
    clinic = yaml.safe_load((ROOT / "clinic.yml").read_text())
    response = propose(staff["erin"], NEW_ANSWER, sources_of(TOPIC), action="preview")
    assert response.status_code == 200
    preview = html.unescape(
        re.search(r'<section class="preview".*?</section>', response.text, re.DOTALL).group(0)
    )
    assert clinic["contact"]["phone"] in preview and "{{" not in preview
    kb = KnowledgeBase()
    for source in kb.topics[TOPIC].sources:
        assert source.title in preview and source.url in preview
    assert kb.phrases["deferral"] in preview
    with sqlite3.connect(staff["erin"].db_path) as conn:
        assert conn.execute("select count(*) from console_answer_changes").fetchone()[0] == 0


@pytest.mark.parametrize(
    "answer, drop_source, message",
    [
        (NEW_ANSWER, True, "sources cannot be removed"),
        ("Call {{ clinic.contact.fax }} for more.", False, "does not render"),
        ("", False, "the answer is empty"),
        (NEW_ANSWER + " See https://example.org/tms.", False, "must not cite sources itself"),
    ],
)
def test_invalid_proposals_are_refused(staff, answer, drop_source, message):
    sources = sources_of(TOPIC)[1:] if drop_source else sources_of(TOPIC)
    response = propose(staff["erin"], answer, sources)
    assert response.status_code == 422 and message in html.unescape(response.text)
    with sqlite3.connect(staff["erin"].db_path) as conn:
        assert conn.execute("select count(*) from console_answer_changes").fetchone()[0] == 0


def test_propose_approve_export_and_audit(staff, tmp_path):
    erin, frank, alice = staff["erin"], staff["frank"], staff["alice"]
    response = propose(erin, NEW_ANSWER, sources_of(TOPIC))
    assert response.status_code == 302 and "done=proposed" in response.headers["Location"]
    change = re.search(r"/answers/change/(\d+)", response.headers["Location"]).group(1)
    page = erin.get(f"/answers/change/{change}").text
    assert 'id="change-status">pending' in page and 'id="approve-form"' not in page
    # The proposer cannot approve their own change, not even by posting the form.
    own = erin.post(f"/answers/change/{change}/approve", {}, allow_redirects=False)
    assert "done=not_allowed_to_decide" in own.headers["Location"]
    early = frank.post(f"/answers/change/{change}/export", {}, allow_redirects=False)
    assert "done=not_approved" in early.headers["Location"]
    assert 'id="approve-form"' in frank.get(f"/answers/change/{change}").text
    approved = frank.post(f"/answers/change/{change}/approve", {}, allow_redirects=False)
    assert "done=approved" in approved.headers["Location"]
    listing = alice.get("/answers").text
    assert re.search(rf'data-status="approved" data-topic="{re.escape(TOPIC)}"', listing)
    exported = alice.post(f"/answers/change/{change}/export", {})
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    patch = exported.text
    assert patch.startswith("--- a/knowledge/topics.yml\n+++ b/knowledge/topics.yml")
    # The patch applies to the project's file and the assistant's loader reads the new answer.
    tree = tmp_path / "tree"
    (tree / "knowledge").mkdir(parents=True)
    for item in (ROOT / "knowledge").glob("*.yml"):
        shutil.copy2(item, tree / "knowledge" / item.name)
    (tmp_path / "answer.patch").write_text(patch)
    subprocess.run(["git", "apply", str(tmp_path / "answer.patch")], cwd=tree, check=True)
    kb = KnowledgeBase(tree / "knowledge", ROOT / "clinic.yml")
    assert kb.topics[TOPIC].answer.startswith("Most people feel a tapping")
    assert [s.id for s in kb.topics[TOPIC].sources] == sources_of(TOPIC)
    assert 'id="change-status">exported' in alice.get(f"/answers/change/{change}").text
    assert alice.get(f"/answers/change/{change}/patch").text == patch
    with sqlite3.connect(erin.db_path) as conn:
        steps = [
            r
            for (r,) in conn.execute(
                "select action from console_audit_log where action like 'answer_%' order by id"
            )
        ]
    assert steps == [
        "answer_proposed",
        "answer_decision_refused",
        "answer_approved",
        "answer_exported",
        "answer_patch_downloaded",
    ]


def test_rejected_change_cannot_be_exported_and_roles_hold(staff):
    response = propose(staff["frank"], NEW_ANSWER + " Tell the team.", sources_of(TOPIC))
    change = re.search(r"/answers/change/(\d+)", response.headers["Location"]).group(1)
    staff["erin"].post(f"/answers/change/{change}/reject", {})
    again = staff["alice"].post(f"/answers/change/{change}/approve", {}, allow_redirects=False)
    assert "done=not_allowed_to_decide" in again.headers["Location"]  # no longer pending
    export = staff["alice"].post(f"/answers/change/{change}/export", {}, allow_redirects=False)
    assert "done=not_approved" in export.headers["Location"]
    assert staff["rita"].get("/answers", allow_redirects=False).status_code == 403
