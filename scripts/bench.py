"""`make bench`: our assistant against the stock `rasa init` starter bot, under the same load.

    scripts/bench.sh [--duration 25] [--seq-turns 60] [--levels 1,10,50] [--only ours|stock --reuse J]

1. The stock starter bot is created with `rasa init --no-prompt` in build/bench/stock; both
   trainings are timed once with the same command (`rasa train --force --num-threads 2`, a fresh
   Rasa cache, a temp output dir) and cached in build/bench/cache.json by a hash of the inputs.
2. Each assistant is started with `rasa run` and the same options (REST channel, --enable-api,
   --cors; ours through `python -m rasa_ext.runtime.main run`, the same command with TensorFlow
   kept out of the process, rasa_ext/runtime/lazy_imports.py; RASA_LAZY_IMPORTS=0 turns that off) on
   ports of its own (ours 5205 + action server 5255, stock 5305), one after the other, and its
   start-to-ready time measured. Ours runs with scripts/env.sh's settings, its endpoints.yml
   (ports and a throw-away SQLite database swapped in) and its action server; the stock bot as
   `rasa init` made it. Ours runs as deployed on this 2-core machine: two Sanic workers
   (SANIC_WORKERS, default 2 here; SANIC_WORKERS=1 for one process) sharing the SQLite tracker
   store and a private redis-server as the lock store they need.
3. One asyncio/aiohttp load generator drives both: sequential turns, then 1/10/50 concurrent
   visitors for --duration seconds each, alternating the assistants phase by phase so both see
   the machine in the same state. Each visitor runs realistic multi-turn conversations without
   think time (ours: TMS and medication questions, and a booking answered from `requested_slot`;
   stock: the starter bot's greet/mood conversations), each with a new sender id.
4. Prints the table (latency p50/p95/p99, turns/s, errors, CPU ms per turn, peak RSS/PSS per
   process tree, start-to-ready, train time, ratios ours/stock, the held-out NLU macro-F1 from
   `rasa test nlu --nlu tests/nlu`) and writes results/bench.json and results/bench_latency.png.

Errors: a failed request (non-200, timeout, connection error), a reply that breaks the contract
(ours: exactly one `custom` payload; stock: at least one message), or ours answering with the
"assistant unavailable" fallback (the channel's cover for a failed turn). CPU ms per turn (from
/proc) is the figure least disturbed by other work on the machine; latencies are not.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DIR = ROOT / "build" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
STOCK_MODEL = BENCH_DIR / "stock-model.tar.gz"
CACHE_FILE = BENCH_DIR / "cache.json"
RASA = ROOT / ".venv" / "bin" / "rasa"
PYTHON = ROOT / ".venv" / "bin" / "python"
LOG_DIR = ROOT / "logs"
# The `rasa train` both assistants are timed with (the project's `make train` flags).
TRAIN_FLAGS = ["--num-threads", "2"]
# Project runtime tuning (scripts/env.sh) that the stock bot does not get: it runs as shipped.
TUNING_VARS = (
    "TF_INTRA_OP_PARALLELISM_THREADS",
    "TF_INTER_OP_PARALLELISM_THREADS",
    "OMP_NUM_THREADS",
    "SANIC_WORKERS",
    "RASA_RUN_EXTRA_ARGS",
    "ACTION_SERVER_EXTRA_ARGS",
    "RASA_LOCK_STORE",
    "RASA_PATCHES",
    "MALLOC_ARENA_MAX",
    "TF_ENABLE_ONEDNN_OPTS",
    "ACTIONS_PRELOAD",
)


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_cache() -> dict[str, Any]:
    try:
        return json.loads(CACHE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def save_cache(cache: dict[str, Any]) -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    CACHE_FILE.write_text(json.dumps(cache, indent=2, sort_keys=True))


def hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def training_inputs() -> list[Path]:
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    files += sorted((ROOT / "data").rglob("*.yml"))
    for package in ("practice", "rasa_ext/nlu", "rasa_ext/policies"):
        files += sorted((ROOT / package).rglob("*.py"))
    spacy = ROOT / "build" / "spacy_en_tms"
    files += sorted(p for p in spacy.rglob("*") if p.is_file()) if spacy.exists() else []
    return files


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def stock_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TUNING_VARS}
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def ours_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def run_timed(cmd: list[str], cwd: Path, env: dict[str, str], logfile: Path) -> float:
    LOG_DIR.mkdir(exist_ok=True)
    started = time.monotonic()
    with open(logfile, "w") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}); see {logfile}")
    return elapsed


def timed_train(cwd: Path, env: dict[str, str], keep_as: Path | None, logname: str) -> float:
    """`rasa train` with the project's flags into a temp dir, with a fresh Rasa cache."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        env = dict(env, RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"))
        cmd = [
            str(RASA),
            "train",
            "--force",
            "--out",
            str(Path(tmp) / "out"),
            "--fixed-model-name",
            "bench",
            *TRAIN_FLAGS,
        ]
        elapsed = run_timed(cmd, cwd, env, LOG_DIR / logname)
        if keep_as is not None:
            shutil.copy(Path(tmp) / "out" / "bench.tar.gz", keep_as)
    return elapsed


# --------------------------------------------------------------------------- preparation


def prepare_stock(cache: dict[str, Any], retime: bool) -> float:
    if not (STOCK_DIR / "config.yml").exists():
        log("creating the stock starter bot: rasa init --no-prompt (it trains once as well)")
        if STOCK_DIR.exists():
            shutil.rmtree(STOCK_DIR)
        STOCK_DIR.mkdir(parents=True)  # rasa init wants an existing (empty) directory
        run_timed(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
            BENCH_DIR,
            stock_env(),
            LOG_DIR / "bench-stock-init.log",
        )
    key = "stock:" + hash_files(
        [STOCK_DIR / "config.yml", STOCK_DIR / "domain.yml", *sorted((STOCK_DIR / "data").glob("*.yml"))]
    )
    if retime or key not in cache or not STOCK_MODEL.exists():
        log("timing the stock bot's rasa train (cached afterwards)")
        cache[key] = {"train_s": timed_train(STOCK_DIR, stock_env(), STOCK_MODEL, "bench-stock-train.log")}
        save_cache(cache)
    return cache[key]["train_s"]


def prepare_ours_train_time(cache: dict[str, Any], retime: bool) -> tuple[float, str]:
    key = "ours:" + hash_files(training_inputs())
    if retime or key not in cache:
        log("timing the project's rasa train (once per training-input hash)")
        cache[key] = {"train_s": timed_train(ROOT, ours_env(), None, "bench-ours-train.log")}
        save_cache(cache)
    return cache[key]["train_s"], key


def nlu_macro_f1(model: Path) -> dict[str, Any]:
    """Held-out macro-F1: results/nlu if newer than the model, else `rasa test nlu` (cached)."""
    report = ROOT / "results" / "nlu" / "intent_report.json"
    if not (report.exists() and report.stat().st_mtime >= model.stat().st_mtime):
        out = BENCH_DIR / "nlu" / file_sha(model)
        report = out / "intent_report.json"
        if not report.exists():
            log("held-out NLU evaluation: rasa test nlu --nlu tests/nlu (cached per model)")
            run_timed(
                [str(RASA), "test", "nlu", "--nlu", "tests/nlu", "--model", str(model), "--out", str(out)],
                ROOT,
                ours_env(),
                LOG_DIR / "bench-nlu.log",
            )
    data = json.loads(report.read_text())
    return {
        "macro_f1": data["macro avg"]["f1-score"],
        "accuracy": data.get("accuracy"),
        "report": str(report.relative_to(ROOT)),
    }


# --------------------------------------------------------------------------- processes


def proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def status_kb(pid: int, key: str, source: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{source}") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants."""
    total = 0
    for p in tree(pid, proc_children()):
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


class RssSampler(threading.Thread):
    """Peak memory of each process tree: max over samples of the summed VmRSS (the figure in the
    table), of the summed PSS (shared pages split between the processes sharing them: the fair
    total for forked workers) and the largest single process's VmHWM."""

    def __init__(self, roots: dict[str, int], interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.roots, self.interval = roots, interval
        self.peak_tree_kb = {name: 0 for name in roots}
        self.peak_hwm_kb = {name: 0 for name in roots}  # largest single process in the tree
        self.peak_pss_kb = {name: 0 for name in roots}
        self.procs = {name: 1 for name in roots}
        self._halt = threading.Event()

    def sample(self) -> None:
        children = proc_children()
        for name, pid in self.roots.items():
            pids = tree(pid, children)
            self.peak_tree_kb[name] = max(self.peak_tree_kb[name], sum(status_kb(p, "VmRSS") for p in pids))
            self.peak_hwm_kb[name] = max([self.peak_hwm_kb[name]] + [status_kb(p, "VmHWM") for p in pids])
            self.peak_pss_kb[name] = max(
                self.peak_pss_kb[name], sum(status_kb(p, "Pss", "smaps_rollup") for p in pids)
            )
            self.procs[name] = max(self.procs[name], len(pids))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, dict[str, float]]:
        self.sample()
        self._halt.set()
        return {
            name: {
                "peak_rss_mb": round(self.peak_tree_kb[name] / 1024, 1),
                "peak_pss_mb": round(self.peak_pss_kb[name] / 1024, 1),
                "peak_hwm_single_mb": round(self.peak_hwm_kb[name] / 1024, 1),
                "processes": self.procs[name],
            }
            for name in self.roots
        }


@dataclass
class Service:
    name: str
    cmd: list[str]
    cwd: Path
    env: dict[str, str]
    health_url: str
    proc: subprocess.Popen | None = None
    logfile: Path | None = None

    def start(self) -> None:
        LOG_DIR.mkdir(exist_ok=True)
        self.logfile = LOG_DIR / f"bench-{self.name}.log"
        handle = open(self.logfile, "w")
        # Own session: stopping it stops its worker processes too (and only those).
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=self.cwd,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def log_errors(self) -> int:
        if not self.logfile or not self.logfile.exists():
            return 0
        return sum(
            1
            for line in self.logfile.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line
        )


async def wait_ready(services: list[Service], started: float, timeout: float = 400) -> float:
    pending = list(services)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while pending:
            for svc in list(pending):
                if svc.proc is not None and svc.proc.poll() is not None:
                    raise SystemExit(f"{svc.name} exited ({svc.proc.returncode}); see {svc.logfile}")
                try:
                    async with session.get(svc.health_url) as resp:
                        if resp.status == 200:
                            pending.remove(svc)
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                    pass
            if pending:
                if time.monotonic() - started > timeout:
                    raise SystemExit(f"not ready after {timeout}s: {[s.name for s in pending]}")
                await asyncio.sleep(0.2)
    return time.monotonic() - started


# --------------------------------------------------------------------------- load generator


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    conversations: int = 0
    bookings_started: int = 0
    bookings_made: int = 0
    bookings_cut: int = 0  # the phase ended mid-booking

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


class Client:
    """Sends one visitor turn over REST, times it and checks the reply."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        check: Callable[[Any], str | None],
        stats: Stats,
        deadline: float,
        max_turns: int | None,
    ) -> None:
        self.session, self.url, self.check, self.stats = session, url, check, stats
        self.deadline, self.max_turns = deadline, max_turns

    @property
    def expired(self) -> bool:
        if self.max_turns is not None and len(self.stats.latencies) >= self.max_turns:
            return True
        return time.monotonic() >= self.deadline

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        started = time.monotonic()
        replies: Any = []
        try:
            async with self.session.post(self.url, json={"sender": sender, "message": text}) as resp:
                body = await resp.read()
                if resp.status != 200:
                    problem: str | None = f"http_{resp.status}"
                else:
                    replies = json.loads(body)
                    problem = self.check(replies)
        except asyncio.TimeoutError:
            problem = "timeout"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            problem = type(exc).__name__
        self.stats.latencies.append(time.monotonic() - started)
        if problem:
            self.stats.error(problem)
            return []
        return replies


# Conversations: written for this benchmark (not the training or held-out data).
OURS_QUESTIONS = [
    [
        "hello there",
        "what exactly is TMS?",
        "does the treatment hurt?",
        "how long does each session take?",
        "thanks, that helps",
    ],
    [
        "hi",
        "I take sertraline, can I keep taking it during TMS?",
        "what about lithium?",
        "should I stop my antidepressant before starting?",
        "ok thank you",
    ],
    [
        "is TMS covered by my insurance?",
        "what side effects should I expect from magnetic stimulation",
        "how many sessions will I need",
        "do you see patients over video?",
        "bye",
    ],
    [
        "who is a good candidate for TMS",
        "can TMS cause seizures?",
        "I'm on bupropion, is that a problem?",
        "where is your practice located?",
        "thanks",
    ],
]
OURS_BOOKING_LEADS = [
    ["what is transcranial magnetic stimulation", "how effective is it for depression?"],
    ["I take lamotrigine and want to try TMS, is that ok?"],
    ["hey", "do you take insurance?"],
]
BOOKING_OPENERS = [
    "I'd like to book an evaluation",
    "can I schedule an appointment?",
    "how do I book a telehealth evaluation",
]
NAMES = ["Dana Whitfield", "Jordan Ames", "Priya Natarajan", "Sam O'Connor", "Lee Moreno", "Avery Chen"]
STATES = ["Oregon", "Washington", "OR", "WA"]


def ours_check(unavailable: str) -> Callable[[Any], str | None]:
    def check(replies: Any) -> str | None:
        if not isinstance(replies, list):
            return "not_a_list"
        customs = [r for r in replies if isinstance(r, dict) and isinstance(r.get("custom"), dict)]
        if len(customs) != 1:
            return "contract"
        if any((r.get("text") or "").strip() == unavailable for r in replies):
            return "unavailable_fallback"
        return None

    return check


def stock_check(replies: Any) -> str | None:
    if not isinstance(replies, list) or not replies:
        return "empty_reply"
    return None


def custom_of(replies: list[dict[str, Any]]) -> dict[str, Any]:
    for r in replies:
        if isinstance(r.get("custom"), dict):
            return r["custom"]
    return {}


async def ours_conversation(client: Client, sender: str, n: int, rng: random.Random) -> None:
    """Questions only (2 of 3), or a question or two and then a booking driven by requested_slot."""
    if n % 3 != 2:
        for text in OURS_QUESTIONS[n % len(OURS_QUESTIONS)]:
            if client.expired:
                return
            await client.say(sender, text)
        return
    for text in OURS_BOOKING_LEADS[n % len(OURS_BOOKING_LEADS)]:
        if client.expired:
            return
        await client.say(sender, text)
    if client.expired:
        return
    client.stats.bookings_started += 1
    replies = await client.say(sender, rng.choice(BOOKING_OPENERS))
    answers = {
        "full_name": rng.choice(NAMES),
        "contact": f"visitor{rng.randrange(10**6)}@example.com",
        "state": rng.choice(STATES),
        "adult": "yes",
        "consent": "yes, I agree",
        "confirm": "yes",
    }
    for _ in range(14):
        slot = custom_of(replies).get("requested_slot")
        if not slot or client.expired:
            break
        if slot == "appointment_time":
            times = [
                b["payload"]
                for r in replies
                for b in r.get("buttons") or []
                if '"appointment_time"' in b.get("payload", "") and '"more"' not in b["payload"]
            ]
            answer = rng.choice(times) if times else "the first available time"
        else:
            answer = answers.get(slot, "yes")
        replies = await client.say(sender, answer)
    if custom_of(replies).get("booking"):
        client.stats.bookings_made += 1
    elif client.expired:
        client.stats.bookings_cut += 1


STOCK_CONVERSATIONS = [
    ["hello", "I am feeling very good", "goodbye"],
    ["hi", "I am sad", "yes", "bye"],
    ["hey there", "not very good", "no", "are you a bot?", "see you later"],
    ["good morning", "great", "am I talking to a human?", "bye bye"],
]


async def stock_conversation(client: Client, sender: str, n: int, rng: random.Random) -> None:
    for text in STOCK_CONVERSATIONS[n % len(STOCK_CONVERSATIONS)]:
        if client.expired:
            return
        await client.say(sender, text)


Conversation = Callable[[Client, str, int, random.Random], Any]


async def drive(
    url: str,
    conversation: Conversation,
    check: Callable[[Any], str | None],
    visitors: int,
    duration: float | None,
    turns: int | None,
    tag: str,
) -> dict[str, Any]:
    """`visitors` concurrent visitors, each running conversations back to back, no think time,
    until `duration` seconds have passed (the turns in flight then finish) or `turns` turns are done."""
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    started = time.monotonic()
    deadline = started + duration if duration else float("inf")
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = Client(session, url, check, stats, deadline, turns)

        async def visitor(idx: int) -> None:
            rng = random.Random(zlib.crc32(f"{tag}-{idx}".encode()))
            n = idx
            while not client.expired:
                sender = f"bench-{tag}-{idx}-{n}-{uuid.uuid4().hex[:8]}"
                stats.conversations += 1
                await conversation(client, sender, n, rng)
                n += 1

        await asyncio.gather(*(visitor(i) for i in range(visitors)))
    elapsed = time.monotonic() - started
    lat = stats.latencies
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    return {
        "visitors": visitors,
        "turns": len(lat),
        "seconds": round(elapsed, 2),
        "turns_per_s": round(len(lat) / elapsed, 2) if elapsed else None,
        "p50_ms": ms(percentile(lat, 50)),
        "p95_ms": ms(percentile(lat, 95)),
        "p99_ms": ms(percentile(lat, 99)),
        "max_ms": ms(max(lat) if lat else None),
        "mean_ms": ms(sum(lat) / len(lat) if lat else None),
        "errors": stats.errors,
        "error_kinds": stats.error_kinds,
        "conversations": stats.conversations,
        "bookings_started": stats.bookings_started,
        "bookings_made": stats.bookings_made,
        "bookings_cut_by_phase_end": stats.bookings_cut,
    }


# --------------------------------------------------------------------------- one assistant


@dataclass
class Bot:
    name: str
    services: list[Service]
    rest_url: str
    conversation: Conversation
    check: Callable[[Any], str | None]
    between_phases: Callable[[], None] = lambda: None


def ours_bot(args: argparse.Namespace, workdir: Path) -> Bot:
    db = workdir / "assistant.db"
    env = ours_env()
    env.update(
        BOOKING_DB_URL=f"sqlite:///{db}", RASA_PORT=str(args.ours_port), ACTION_PORT=str(args.action_port)
    )
    services: list[Service] = []
    # The project's endpoints (RASA_ENDPOINTS) with the bench's ports and database, so endpoint
    # settings are benchmarked as deployed; --endpoint-set changes one for an experiment.
    endpoints_cfg = yaml.safe_load((ROOT / env.get("RASA_ENDPOINTS", "endpoints.yml")).read_text()) or {}
    endpoints_cfg.setdefault("action_endpoint", {})["url"] = f"http://127.0.0.1:{args.action_port}/webhook"
    tracker_cfg = endpoints_cfg.get("tracker_store") or {}
    endpoints_cfg["tracker_store"] = {
        **{
            k: v
            for k, v in tracker_cfg.items()
            if k not in ("url", "host", "port", "username", "password", "login_db")
        },
        "type": tracker_cfg.get("type", "SQL"),  # the project's SQL store class
        "dialect": "sqlite",
        "db": str(db),
    }
    endpoints_cfg["lock_store"] = {"type": "in_memory"}
    if env.get("RASA_LOCK_STORE") == "redis" or int(env.get("SANIC_WORKERS", "1") or 1) > 1:
        # Several Sanic workers need a shared lock store: a private redis-server for the run.
        if not shutil.which("redis-server"):
            raise SystemExit("SANIC_WORKERS>1 needs redis-server (Debian: apt-get install redis-server)")
        redis_port = args.ours_port + 79
        services.append(
            Service(
                "ours-redis",
                [
                    "redis-server",
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                workdir,
                env,
                "",
            )
        )
        endpoints_cfg["lock_store"] = {"type": "redis", "url": "127.0.0.1", "port": redis_port, "db": 0}
    for item in args.endpoint_set:
        key, _, value = item.partition("=")
        node = endpoints_cfg
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(endpoints_cfg, sort_keys=False))
    subprocess.run(
        [str(PYTHON), "-m", "practice.booking.store", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    extra_rasa = env.get("RASA_RUN_EXTRA_ARGS", "").split()
    env = dict(env, RASA_AUTH_TOKEN=args.token)  # rasa_ext.runtime.main reads it: never on a command line
    extra_actions = env.get("ACTION_SERVER_EXTRA_ARGS", "").split()
    services += [
        Service(
            "ours-actions",
            [str(RASA), "run", "actions", "--port", str(args.action_port), *extra_actions],
            ROOT,
            env,
            f"http://127.0.0.1:{args.action_port}/health",
        ),
        Service(
            "ours-rasa",
            [
                str(PYTHON),
                "-m",
                "rasa_ext.runtime.main",
                "run",
                "--model",
                str(args.model),
                "--port",
                str(args.ours_port),
                "--interface",
                "127.0.0.1",
                "--credentials",
                "credentials.yml",
                "--endpoints",
                str(endpoints),
                "--enable-api",
                "--cors",
                *args.cors,
                *extra_rasa,
            ],
            ROOT,
            env,
            f"http://127.0.0.1:{args.ours_port}/webhooks/rest/",
        ),
    ]

    from practice.knowledge.loader import knowledge_base

    def clear_bookings() -> None:  # every phase starts with the same free calendar
        with sqlite3.connect(db, timeout=30) as conn:
            conn.execute("DELETE FROM bookings")

    return Bot(
        "ours",
        services,
        f"http://127.0.0.1:{args.ours_port}/webhooks/rest/webhook",
        ours_conversation,
        ours_check(knowledge_base().phrases["unavailable"].strip()),
        clear_bookings,
    )


def stock_bot(args: argparse.Namespace) -> Bot:
    svc = Service(
        "stock-rasa",
        [
            str(RASA),
            "run",
            "--model",
            str(STOCK_MODEL),
            "--port",
            str(args.stock_port),
            "--interface",
            "127.0.0.1",
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
            "--enable-api",
            "--auth-token",
            args.token,
            "--cors",
            *args.cors,
        ],
        STOCK_DIR,
        stock_env(),
        f"http://127.0.0.1:{args.stock_port}/webhooks/rest/",
    )
    return Bot(
        "stock",
        [svc],
        f"http://127.0.0.1:{args.stock_port}/webhooks/rest/webhook",
        stock_conversation,
        stock_check,
    )


async def measured(bot: Bot, *drive_args: Any) -> dict[str, Any]:
    """One phase, plus the CPU time each service used per turn (robust to other load)."""
    procs = {s.name: s.proc.pid for s in bot.services if s.proc}
    before = {name: tree_cpu_s(pid) for name, pid in procs.items()}
    client_before = sum(os.times()[:2])
    phase = await drive(bot.rest_url, bot.conversation, bot.check, *drive_args)
    turns = max(phase["turns"], 1)
    phase["cpu_ms_per_turn"] = {
        name: round((tree_cpu_s(pid) - before[name]) * 1000 / turns, 2) for name, pid in procs.items()
    }
    phase["cpu_ms_per_turn"]["load-generator"] = round(
        (sum(os.times()[:2]) - client_before) * 1000 / turns, 2
    )
    phase["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    return phase


async def start_bot(bot: Bot, args: argparse.Namespace, result: dict[str, Any]) -> RssSampler:
    """Starts one assistant (alone: start-to-ready is not shared), then a first turn and a warm-up."""
    log(f"{bot.name}: starting {', '.join(s.name for s in bot.services)}")
    started = time.monotonic()
    for svc in bot.services:
        svc.start()
    sampler = RssSampler({s.name: s.proc.pid for s in bot.services if s.proc})
    sampler.start()
    ready = await wait_ready([s for s in bot.services if s.health_url], started)
    result["ready_s"] = round(ready, 2)
    log(f"{bot.name}: ready after {ready:.1f}s")
    # The first visitor after start (cold caches), then a warm-up, both unmeasured.
    first = await drive(bot.rest_url, bot.conversation, bot.check, 1, None, 1, "first")
    result["first_turn_ms"] = first["p50_ms"]
    await drive(bot.rest_url, bot.conversation, bot.check, 1, None, args.warmup_turns, "warmup")
    return sampler


async def bench_bots(bots: list[Bot], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Starts the assistants one after the other, then runs every phase on each in turn
    (alternating which goes first), so both see the same machine at nearly the same time."""
    results: dict[str, dict[str, Any]] = {bot.name: {"phases": {}} for bot in bots}
    samplers: dict[str, RssSampler] = {}
    try:
        for bot in bots:
            samplers[bot.name] = await start_bot(bot, args, results[bot.name])
        plan: list[tuple[str, tuple[Any, ...]]] = [("seq", (1, None, args.seq_turns, "seq"))]
        plan += [(f"c{lv}", (lv, args.duration, None, f"c{lv}")) for lv in args.levels]
        for i, (phase, drive_args) in enumerate(plan):
            for bot in bots if i % 2 == 0 else list(reversed(bots)):
                bot.between_phases()
                results[bot.name]["phases"][phase] = await measured(bot, *drive_args)
                label = "sequential" if phase == "seq" else f"{phase[1:]:>2} visitors"
                log(f"{bot.name:5}: {label} {fmt_phase(results[bot.name]['phases'][phase])}")
    finally:
        for bot in bots:
            if bot.name in samplers:
                results[bot.name]["memory"] = samplers[bot.name].stop()
            for svc in reversed(bot.services):
                svc.stop()
            results[bot.name]["log_errors"] = {s.name: s.log_errors() for s in bot.services}
    return results


def fmt_phase(p: dict[str, Any]) -> str:
    cpu = ", ".join(f"{k.split('-', 1)[-1]} {v}" for k, v in p.get("cpu_ms_per_turn", {}).items())
    return (
        f"p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, p99 {p['p99_ms']} ms, "
        f"{p['turns_per_s']} turns/s, {p['turns']} turns, {p['errors']} errors; CPU ms/turn: {cpu}"
        f"; load {p.get('loadavg_1min_after')}"
    )


# --------------------------------------------------------------------------- report


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def build_table(res: dict[str, Any]) -> str:
    ours, stock = res["ours"], res["stock"]
    rows: list[tuple[str, Any, Any, Any]] = []
    for phase in ["seq"] + [f"c{lv}" for lv in res["config"]["levels"]]:
        label = "sequential" if phase == "seq" else f"{phase[1:]} visitors"
        po, ps = ours["phases"].get(phase, {}), stock["phases"].get(phase, {})
        for metric, _unit in (
            ("p50_ms", "ms"),
            ("p95_ms", "ms"),
            ("p99_ms", "ms"),
            ("turns_per_s", "/s"),
            ("errors", ""),
        ):
            name = {"turns_per_s": "turns/s"}.get(metric, metric.replace("_ms", ""))
            rows.append(
                (f"{label:13} {name}", po.get(metric), ps.get(metric), ratio(po.get(metric), ps.get(metric)))
            )
    for phase in ("seq", f"c{max(res['config']['levels'])}"):
        co = ours["phases"].get(phase, {}).get("cpu_ms_per_turn", {})
        cs = stock["phases"].get(phase, {}).get("cpu_ms_per_turn", {})
        label = "sequential" if phase == "seq" else f"{phase[1:]} visitors"
        rasa_o, rasa_s = co.get("ours-rasa"), cs.get("stock-rasa")
        rows.append((f"CPU ms/turn rasa, {label}", rasa_o, rasa_s, ratio(rasa_o, rasa_s)))
        tot_o = round(sum(v for k, v in co.items() if k != "load-generator"), 2) if co else None
        rows.append((f"CPU ms/turn all, {label}", tot_o, rasa_s, ratio(tot_o, rasa_s)))
    rows.append(
        (
            "first turn after start ms",
            ours.get("first_turn_ms"),
            stock.get("first_turn_ms"),
            ratio(ours.get("first_turn_ms"), stock.get("first_turn_ms")),
        )
    )
    rows.append(
        (
            "start-to-ready s",
            ours.get("ready_s"),
            stock.get("ready_s"),
            ratio(ours.get("ready_s"), stock.get("ready_s")),
        )
    )
    rasa_o = ours["memory"].get("ours-rasa", {}).get("peak_rss_mb")
    rasa_s = stock["memory"].get("stock-rasa", {}).get("peak_rss_mb")
    rows.append(("peak RSS rasa server MB", rasa_o, rasa_s, ratio(rasa_o, rasa_s)))
    pss_o = ours["memory"].get("ours-rasa", {}).get("peak_pss_mb")
    pss_s = stock["memory"].get("stock-rasa", {}).get("peak_pss_mb")
    rows.append(("peak PSS rasa server MB", pss_o, pss_s, ratio(pss_o, pss_s)))
    for name, mem in ours["memory"].items():
        if name != "ours-rasa":
            rows.append((f"peak RSS {name.replace('ours-', '')} MB", mem["peak_rss_mb"], None, None))
    total_o = sum(m["peak_rss_mb"] for m in ours["memory"].values())
    rows.append(("peak RSS all processes MB", round(total_o, 1), rasa_s, ratio(total_o, rasa_s)))
    rows.append(
        (
            "train time s",
            ours.get("train_s"),
            stock.get("train_s"),
            ratio(ours.get("train_s"), stock.get("train_s")),
        )
    )
    rows.append(("held-out NLU macro-F1", res.get("nlu", {}).get("macro_f1"), None, None))

    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 10 else f"{v:.1f}"
        return str(v)

    lines = [f"{'metric':30} {'ours':>10} {'stock':>10} {'ours/stock':>11}", "-" * 64]
    for name, o, s, r in rows:
        lines.append(f"{name:30} {cell(o):>10} {cell(s):>10} {cell(r):>11}")
    return "\n".join(lines)


def targets(res: dict[str, Any]) -> list[tuple[str, bool]]:
    ours, stock = res["ours"]["phases"], res["stock"]["phases"]
    out = [
        ("sequential p50 <= stock", ours["seq"]["p50_ms"] <= stock["seq"]["p50_ms"]),
        ("sequential p95 <= stock", ours["seq"]["p95_ms"] <= stock["seq"]["p95_ms"]),
    ]
    top = f"c{max(res['config']['levels'])}"
    if top in ours and top in stock:
        out.append(
            (
                f"throughput at {top[1:]} visitors >= 2x stock",
                ours[top]["turns_per_s"] >= 2 * stock[top]["turns_per_s"],
            )
        )
    out.append(("zero errors (ours, all phases)", all(p["errors"] == 0 for p in ours.values())))
    out.append(("start-to-ready <= stock", res["ours"]["ready_s"] <= res["stock"]["ready_s"]))
    out.append(
        (
            "peak RSS rasa server <= stock",
            res["ours"]["memory"]["ours-rasa"]["peak_rss_mb"]
            <= res["stock"]["memory"]["stock-rasa"]["peak_rss_mb"],
        )
    )
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = res["config"]["levels"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for bot, color in (("ours", "#1d4e6b"), ("stock", "#c0392b")):
        phases = res.get(bot, {}).get("phases", {})
        xs = [lv for lv in levels if f"c{lv}" in phases]
        for metric, style in (("p50_ms", "-o"), ("p95_ms", "--s"), ("p99_ms", ":^")):
            ax1.plot(
                xs, [phases[f"c{lv}"][metric] for lv in xs], style, color=color, label=f"{bot} {metric[:3]}"
            )
        ax2.plot(xs, [phases[f"c{lv}"]["turns_per_s"] for lv in xs], "-o", color=color, label=bot)
    ax1.set(
        xscale="log",
        yscale="log",
        xlabel="concurrent visitors",
        ylabel="latency per turn (ms)",
        title="Latency vs concurrency",
    )
    ax2.set(xscale="log", xlabel="concurrent visitors", ylabel="turns/s", title="Throughput vs concurrency")
    ax2.set_ylim(bottom=0)
    for ax in (ax1, ax2):
        ax.set_xticks(levels)
        ax.set_xticklabels([str(lv) for lv in levels])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"make bench, {res['started']} ({res['config']['duration_s']}s per level)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--duration",
        type=float,
        default=float(env("BENCH_DURATION", "25")),
        help="seconds per concurrency level (BENCH_DURATION, 25)",
    )
    p.add_argument(
        "--seq-turns",
        type=int,
        default=int(env("BENCH_SEQ_TURNS", "60")),
        help="turns in the sequential phase (BENCH_SEQ_TURNS, 60)",
    )
    p.add_argument(
        "--warmup-turns",
        type=int,
        default=int(env("BENCH_WARMUP_TURNS", "30")),
        help="unmeasured turns after the first one (BENCH_WARMUP_TURNS, 30: every conversation kind)",
    )
    p.add_argument("--levels", default=env("BENCH_LEVELS", "1,10,50"), help="concurrent visitors (1,10,50)")
    p.add_argument("--only", choices=("ours", "stock"), help="bench one assistant; the other from --reuse")
    p.add_argument("--reuse", type=Path, help="results JSON to take the other assistant's figures from")
    p.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    p.add_argument("--retime-train", action="store_true", help="time both trainings again")
    p.add_argument(
        "--skip-train-time",
        action="store_true",
        help="do not time the project's training when not cached (train time shown as -)",
    )
    p.add_argument("--ours-port", type=int, default=int(env("BENCH_RASA_PORT", "5205")))
    p.add_argument("--action-port", type=int, default=int(env("BENCH_ACTION_PORT", "5255")))
    p.add_argument("--stock-port", type=int, default=int(env("BENCH_STOCK_PORT", "5305")))
    p.add_argument(
        "--endpoint-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="experiment: change ours' endpoints, e.g. action_endpoint.enable_selective_domain=true",
    )
    p.add_argument("--out", type=Path, default=ROOT / "results" / "bench.json")
    p.add_argument("--plot", type=Path, default=ROOT / "results" / "bench_latency.png")
    p.add_argument("--label", default=env("BENCH_LABEL", ""), help="a name for this configuration")
    args = p.parse_args()
    args.levels = [int(x) for x in str(args.levels).split(",") if x.strip()]
    args.token = os.environ.get("RASA_AUTH_TOKEN") or uuid.uuid4().hex
    # Both get the `--cors` that scripts/run.sh gives ours (the widget's origins).
    args.cors = (os.environ.get("CORS_ORIGINS") or "http://localhost:8080").split()
    args.model = args.model.resolve()
    return args


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    cache = load_cache()
    res: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "label": args.label,
        "config": {
            "duration_s": args.duration,
            "seq_turns": args.seq_turns,
            "levels": args.levels,
            "warmup_turns": args.warmup_turns,
            "model": str(args.model.relative_to(ROOT)) if ROOT in args.model.parents else str(args.model),
            "model_sha": file_sha(args.model) if args.model.exists() else None,
            "ours_tuning": {k: os.environ[k] for k in TUNING_VARS if k in os.environ},
            "endpoint_set": args.endpoint_set,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": os.getloadavg(),
        },
    }
    reused = json.loads(args.reuse.read_text()) if args.reuse else None
    if not args.model.exists():
        raise SystemExit(f"no model at {args.model}: run `make train` first")
    bots = [] if args.only == "stock" else ["ours"]
    bots += [] if args.only == "ours" else ["stock"]

    stock_train = prepare_stock(cache, args.retime_train) if "stock" in bots else None
    ours_train = None
    if "ours" in bots:
        if args.skip_train_time:
            key = "ours:" + hash_files(training_inputs())
            ours_train = cache.get(key, {}).get("train_s")
        else:
            ours_train, _ = prepare_ours_train_time(cache, args.retime_train)
        res["nlu"] = nlu_macro_f1(args.model)
        log(f"held-out NLU macro-F1 {res['nlu']['macro_f1']:.4f}")

    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        results = await bench_bots(
            [ours_bot(args, Path(tmp)) if name == "ours" else stock_bot(args) for name in bots], args
        )
        for name in bots:
            res[name] = results[name]
            res[name]["train_s"] = (
                round(ours_train, 1)
                if name == "ours" and ours_train
                else (round(stock_train, 1) if name == "stock" and stock_train else None)
            )
    res["config"]["loadavg_at_end"] = os.getloadavg()
    for name in ("ours", "stock"):
        if name not in res and reused and name in reused:
            res[name] = reused[name]
            res[name]["reused_from"] = reused.get("started")
            if name == "ours":
                res["nlu"] = reused.get("nlu", {})
    return res


# Ours as deployed on a 2-core machine (docs/performance.md); the stock bot runs as shipped.
OURS_WORKERS_DEFAULT = "2"


def main() -> int:
    args = parse_args()
    os.environ.setdefault("SANIC_WORKERS", OURS_WORKERS_DEFAULT)
    if args.only != "stock":
        log(f"ours: SANIC_WORKERS={os.environ['SANIC_WORKERS']} Rasa worker(s)")
    res = asyncio.run(main_async(args))
    if "ours" in res and "stock" in res:
        table = build_table(res)
        res["table"] = table
        res["targets"] = {name: ok for name, ok in targets(res)}
        print("\n" + table + "\n")
        for name, ok in targets(res):
            print(f"  [{'x' if ok else ' '}] {name}")
        res["ratios"] = {
            phase: {
                m: ratio(res["ours"]["phases"][phase].get(m), res["stock"]["phases"][phase].get(m))
                for m in ("p50_ms", "p95_ms", "p99_ms", "turns_per_s")
            }
            for phase in res["ours"]["phases"]
            if phase in res["stock"]["phases"]
        }
        plot(res, args.plot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(
        f"\nwrote {args.out.relative_to(ROOT) if ROOT in args.out.parents else args.out}"
        f" and {args.plot.relative_to(ROOT) if ROOT in args.plot.parents else args.plot}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
