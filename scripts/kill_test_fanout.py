"""Kill a delivery worker (SIGKILL) during a fan-out and during sending, restart it, and check that every
recipient has exactly one delivery row and the gateway passed no message on twice.

The parent process runs a real local SMS gateway (``tests/channels/peers.py``: it de-duplicates by
idempotency key and counts every key it receives) and a throw-away database with synthetic recipients
and an issued alert. It then starts worker processes (this script with ``--child``) and:

1. kills the first one (SIGKILL) while its fan-out transaction is still open (``--pause-in-fanout``);
2. kills the second one while it is sending, once the gateway has seen a third of the messages;
3. lets the third one finish (its claims of the dead worker's rows lapse after the claim timeout and are
   sent again with the same keys, which the gateway drops).

Checks: one delivery row per recipient; every row delivered; the gateway passed on exactly one message per
recipient (no phone got two different keys); keys received twice stay within what was in flight.

Usage:  .venv/bin/python scripts/kill_test_fanout.py [--recipients N] [--workers W] [--database-url URL]
Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def say(*parts: object, flush: bool = True) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    if flush:
        sys.stdout.flush()


def _settings(url: str, var_dir: Path):  # noqa: ANN202
    from yingji.settings import Settings

    return Settings(database_url=url, var_dir=var_dir, env="test", secret_key="kill-test-secret-key-0123456789",
                    base_url="http://127.0.0.1:8000")


def child(url: str, var_dir: Path, alert_id: int, workers: int, pause: float) -> None:
    from yingji import runtime
    from yingji.channels import delivery
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.warnings.models import Alert

    database = Database(_settings(url, var_dir))
    runtime.set_database(database)
    with database.unit_of_work() as session:
        alert = session.get(Alert, alert_id)
        say("fanout-start", flush=True)
        queued = delivery.fan_out(session, system_principal("kill test"), alert)
        say(f"fanout-queued {queued}", flush=True)
        if pause:
            time.sleep(pause)  # the transaction is still open: a kill now must leave nothing behind
    say("fanout-committed", flush=True)

    def work(n: int) -> None:
        with database.unit_of_work() as session:
            channels = delivery.channel_instances(session)
        while delivery.run_once(database, f"kill-test-{os.getpid()}-{n}", channels):
            pass

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    say("worker-idle", flush=True)


def setup(url: str, var_dir: Path, count: int, gateway: str, secret: str, claim_timeout: int) -> int:
    from tests.channels import synthetic

    from yingji import migrate
    from yingji.channels import defaults
    from yingji.core.scope import system_principal
    from yingji.db import Database

    database = Database(_settings(url, var_dir))
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        villages = synthetic.tree(session, villages=50)
        synthetic.recipients(session, count, villages)
        synthetic.configure_sms(session, gateway, secret, **{defaults.CLAIM_TIMEOUT: claim_timeout,
                                                             defaults.BATCH_SIZE: 25})
        defaults.load(session, system_principal("kill test"))
        from yingji.core.models import Unit

        county = session.query(Unit).filter(Unit.code == "SYN-COUNTY").one()
        alert_id = synthetic.alert(session, unit_id=county.id).id
    database.engine.dispose()
    return int(alert_id)


def spawn(args: argparse.Namespace, url: str, var_dir: Path, alert_id: int, pause: float) -> subprocess.Popen[str]:
    env = dict(os.environ, YINGJI_VAR_DIR=str(var_dir), YINGJI_QUEUE_URL="memory://", YINGJI_ENV="test")
    command = [sys.executable, __file__, "--child", "--database-url", url, "--alert", str(alert_id),
               "--workers", str(args.workers), "--pause", str(pause), "--var", str(var_dir)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def wait_for(proc: subprocess.Popen[str], word: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker ended before {word!r}")
        if line.startswith(word):
            return
    raise SystemExit(f"no {word!r} within {timeout}s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--alert", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--var", default="")
    args = parser.parse_args()
    if args.child:
        child(args.database_url, Path(args.var), args.alert, args.workers, args.pause)
        return 0

    from sqlalchemy import func, select
    from tests.channels.peers import Peer

    from yingji.channels.models import Delivery
    from yingji.db import Database

    tmp = Path(tempfile.mkdtemp(prefix="yingji-kill-test-"))
    url = args.database_url or f"sqlite:///{tmp / 'kill.db'}"
    peer = Peer(delay=0.002, keep=True).start()
    claim_timeout = 2
    try:
        alert_id = setup(url, tmp / "var", args.recipients, peer.url("/sms"), peer.secret, claim_timeout)
        # 1. killed with its fan-out transaction open
        first = spawn(args, url, tmp / "var", alert_id, pause=30)
        wait_for(first, "fanout-queued")
        first.send_signal(signal.SIGKILL)
        first.wait()
        database = Database(_settings(url, tmp / "var"))
        with database.sessionmaker() as s:
            left = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.alert_id == alert_id))
        say(f"after kill during fan-out: {left} delivery rows (expected 0)")
        # 2. killed while sending
        second = spawn(args, url, tmp / "var", alert_id, pause=0)
        wait_for(second, "fanout-committed")
        while len(peer.keys) < args.recipients // 3 and second.poll() is None:
            time.sleep(0.01)
        second.send_signal(signal.SIGKILL)
        second.wait()
        seen_at_kill = len(peer.keys)
        say(f"killed while sending, after {seen_at_kill} of {args.recipients} messages reached the gateway")
        time.sleep(claim_timeout + 0.5)
        # 3. restarted: finishes
        third = spawn(args, url, tmp / "var", alert_id, pause=0)
        wait_for(third, "worker-idle", timeout=600)
        third.wait()
        return check(database, peer, alert_id, args, left)
    finally:
        peer.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def check(database: object, peer: object, alert_id: int, args: argparse.Namespace, left: int) -> int:
    from sqlalchemy import func, select

    from yingji.channels import delivery
    from yingji.channels.models import Delivery, Recipient

    failures = []
    with database.sessionmaker() as s:  # type: ignore[attr-defined]
        rows = s.execute(select(Delivery.id, Delivery.recipient_id, Delivery.status, Delivery.attempts,
                                Delivery.detail, Delivery.claimed_by).where(Delivery.alert_id == alert_id)).all()
        people = s.scalar(select(func.count()).select_from(Recipient)) or 0
    per_recipient: dict[int, int] = {}
    for _id, rid, *_rest in rows:
        per_recipient[rid] = per_recipient.get(rid, 0) + 1
    keys = {delivery.message_key(alert_id, r[0]) for r in rows}
    if left:
        failures.append(f"{left} rows survived a kill inside the fan-out transaction")
    if len(per_recipient) != people:
        failures.append(f"{people - len(per_recipient)} recipients without a delivery row")
    if any(n != 1 for n in per_recipient.values()):
        failures.append("a recipient with more than one delivery row")
    not_done = [r for r in rows if r[2] != "delivered"]
    if not_done:
        failures.append(f"{len(not_done)} rows not delivered: {[tuple(r) for r in not_done[:5]]}")
    passed_on = set(peer.sent)  # type: ignore[attr-defined]
    if passed_on != keys:
        failures.append(f"gateway passed on {len(passed_on)} keys for {len(keys)} rows")
    twice = peer.addresses_with_two_keys()  # type: ignore[attr-defined]
    if twice:
        failures.append(f"{twice} phones got two different messages")
    resent = peer.resent_keys()  # type: ignore[attr-defined]
    in_flight = args.workers * 25  # the batch size set up above
    if resent > in_flight:
        failures.append(f"{resent} keys sent again, more than the {in_flight} a dead worker can hold")
    say(f"recipients={people} delivery_rows={len(rows)} delivered={len(rows) - len(not_done)} "
          f"gateway_passed_on={len(passed_on)} keys_received_twice={resent} (dropped by the gateway) "
          f"phones_with_two_messages={twice}")
    for failure in failures:
        say("FAIL:", failure)
    say("OK" if not failures else "FAILED")
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
