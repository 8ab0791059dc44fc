"""Load: 50 concurrent conversations x 20 turns through the load balancer, whose round-robin
sends consecutive turns of one conversation to different Rasa instances; then every tracker in
PostgreSQL must hold exactly the turns sent, in order, each followed by exactly the replies the
visitor got. A second run sends several messages of one conversation at the same time to both
instances: the Redis lock store must keep each turn's events together."""

import asyncio
import time
import uuid

import aiohttp

from practice.knowledge.loader import knowledge_base
from tests.reliability.stack import FIGURES, bot_events_match, customs, turns_of

CONVERSATIONS = 50
TURNS = 20
# A visitor's session: questions, a medication question, a booking started and stopped, more
# questions, and a message with contact details (which must never reach the logs).
SCRIPT = [
    "hi",
    "what is tms",
    "does tms hurt",
    "how long does a tms session take",
    "what are the side effects of tms",
    "is tms covered by insurance",
    "can I take sertraline during tms",
    "how many sessions do I need",
    "book an evaluation",
    "Dana Whitfield",
    "dana.load{n}@example.com",
    "cancel",
    "where are you located",
    "what are your hours",
    "is tms safe",
    "my email is load{n}.pii@example.org and my phone is 503-555-01{nn}",
    "can I drive after tms",
    "does tms work for anxiety",
    "thanks",
    "bye",
]
assert len(SCRIPT) == TURNS


def script(n: int):
    return [line.format(n=n, nn=f"{n:02d}") for line in SCRIPT]


async def say(session, url, sender, text):
    async with session.post(url, json={"sender": sender, "message": text}) as response:
        body = await response.json(content_type=None)
        return response.status, body


async def conversation(session, url, sender, lines, record):
    for text in lines:
        status, replies = await say(session, url, sender, text)
        record.append((text, status, replies))


def test_50_conversations_x_20_turns_lose_nothing(stack):
    unavailable = knowledge_base().phrases["unavailable"]
    senders = [f"load-{stack.run}-{n:02d}-{uuid.uuid4().hex[:6]}" for n in range(CONVERSATIONS)]
    records = {sender: [] for sender in senders}

    async def run():
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(
                *(
                    conversation(session, stack.webhook, sender, script(n), records[sender])
                    for n, sender in enumerate(senders)
                )
            )

    started = time.monotonic()
    asyncio.run(run())
    seconds = time.monotonic() - started

    errors = []
    for sender, record in records.items():
        for text, status, replies in record:
            if status != 200 or not isinstance(replies, list) or len(customs(replies)) != 1:
                errors.append((sender, text, status, replies))
            elif any(unavailable in (r.get("text") or "") for r in replies):
                errors.append((sender, text, "unavailable reply", replies))
    assert not errors, f"{len(errors)} failed turns, first: {errors[:3]}"

    events_checked = 0
    for n, sender in enumerate(senders):
        events = stack.events(sender)
        turns = turns_of(events)
        assert [text for text, _ in turns] == script(n), f"{sender}: user turns lost, duplicated or reordered"
        for (text, bots), (_, _, replies) in zip(turns, records[sender], strict=False):
            assert bot_events_match(bots, replies), f"{sender} {text!r}: stored {bots} vs replied {replies}"
        events_checked += len(events)

    turns = CONVERSATIONS * TURNS
    FIGURES["load_conversations"] = CONVERSATIONS
    FIGURES["load_turns"] = turns
    FIGURES["load_seconds"] = round(seconds, 1)
    FIGURES["load_turns_per_second"] = round(turns / seconds, 1)
    FIGURES["load_errors"] = len(errors)
    FIGURES["events_checked"] += events_checked


def test_simultaneous_messages_of_one_conversation_are_serialised(stack):
    """5 conversations x 6 messages sent at once, alternating between the two instances."""
    conversations, burst = 5, 6
    senders = [f"burst-{stack.run}-{n}-{uuid.uuid4().hex[:6]}" for n in range(conversations)]
    questions = [
        "what is tms",
        "does tms hurt",
        "is tms safe",
        "what are your hours",
        "how long does a tms session take",
        "where are you located",
    ]

    async def run():
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            # Open each conversation first, so all of a burst's messages meet an existing tracker.
            await asyncio.gather(*(say(session, stack.webhook, s, "hi") for s in senders))
            jobs = []
            for sender in senders:
                for k in range(burst):
                    url = f"{stack.instance(1 + k % 2)}/webhooks/rest/webhook"
                    text = f"{questions[k]} ({k})"
                    jobs.append((sender, text, say(session, url, sender, text)))
            results = await asyncio.gather(*(job for _, _, job in jobs))
            return {(s, t): r for (s, t, _), r in zip(jobs, results, strict=False)}

    replies = asyncio.run(run())
    assert all(status == 200 and len(customs(body)) == 1 for status, body in replies.values())

    events_checked = 0
    for sender in senders:
        events = stack.events(sender)
        turns = turns_of(events)
        sent = {text for (s, text) in replies if s == sender}
        assert [t for t, _ in turns][0] == "hi"
        assert sorted(t for t, _ in turns[1:]) == sorted(sent), f"{sender}: turns lost or duplicated"
        for text, bots in turns[1:]:
            # Each message's replies follow it directly: no other turn's events in between.
            assert bot_events_match(bots, replies[(sender, text)][1]), f"{sender} {text!r} interleaved"
        events_checked += len(events)
    FIGURES["concurrent_same_conversation_turns"] = conversations * burst
    FIGURES["events_checked"] += events_checked
