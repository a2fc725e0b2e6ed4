"""``taskledger scheduler``: the one process that runs the rhythm (APScheduler 3.x).

One scheduler decides; API workers only write what people do. Even so, every tick is
exactly once by construction (see :mod:`scheduler.tick`), so a second scheduler started
by mistake, or a restart mid-tick, writes nothing twice. Missed days (the process was
down) are caught up at start, in date order, each with its own business date.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import date, datetime, time, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import BUSINESS_TZ, Clock, SystemClock
from ledger.store import StoreConfig
from projections.db import ReadStore
from projections.projector import Projector
from scheduler.folders import briefings_dir
from scheduler.outbox import Channels, deliver_due, enqueue_new
from scheduler.tick import SCHEDULER_ACTOR, briefing_hook, last_tick, run_tick

log = logging.getLogger("taskledger.scheduler")

#: At most this many missed days are caught up at start; older gaps need `simulate`.
MAX_CATCH_UP_DAYS = 62


def channels_from_env() -> Channels:
    return Channels(
        platform_url=os.environ.get("TASKLEDGER_PLATFORM_URL") or None,
        platform_secret=os.environ.get("TASKLEDGER_PLATFORM_SECRET", ""),
        webhook_url=os.environ.get("TASKLEDGER_NOTIFY_WEBHOOK_URL") or None,
        webhook_secret=os.environ.get("TASKLEDGER_NOTIFY_WEBHOOK_SECRET", ""),
        smtp_host=os.environ.get("TASKLEDGER_SMTP_HOST") or None,
        smtp_port=int(os.environ.get("TASKLEDGER_SMTP_PORT", "25")),
        mail_from=os.environ.get("TASKLEDGER_MAIL_FROM", "taskledger@localhost"),
    )


def outbox_seconds() -> float:
    """How often the outbox job runs (``TASKLEDGER_OUTBOX_SECONDS``, default 30): a
    chaser recorded at any moment leaves within two of these."""
    text = os.environ.get("TASKLEDGER_OUTBOX_SECONDS", "30")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1
    if not 0.2 <= seconds <= 3600:
        from ledger.errors import ConfigurationError

        raise ConfigurationError(
            f"TASKLEDGER_OUTBOX_SECONDS={text!r}: expected 0.2 to 3600 seconds")
    return seconds


def days_to_run(last: date | None, today: date, now_time: time, at: time) -> list[date]:
    """The days a (re)starting scheduler owes: each missed day, then today once its
    tick time has passed. A first start owes only today."""
    until = today if now_time >= at else today - timedelta(days=1)
    start = today if last is None else last + timedelta(days=1)
    start = max(start, until - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    days = []
    day = start
    while day <= until:
        days.append(day)
        day += timedelta(days=1)
    return days


def catch_up(config: StoreConfig, clock: Clock, at: time) -> list[date]:
    ledger = open_ledger(config, clock=clock)
    store = ReadStore(config, create_tables=config.backend == "sqlite")
    try:
        now = clock.now().astimezone(BUSINESS_TZ)
        done = []
        folder = briefings_dir()
        hook = briefing_hook(ledger, store, folder,
                             lambda day: Act.by(clock, SCHEDULER_ACTOR, "system",
                                                business_date=day))
        for day in days_to_run(last_tick(store), now.date(), now.time(), at):
            report = run_tick(ledger, store, day, wall=clock, simulated=False, after_cycle=hook)
            log.info("tick %s: %d reminders, %d urges, %d escalations, %d cycles", day,
                     len(report.reminders), len(report.urges), len(report.escalations),
                     len(report.cycles))
            done.append(day)
        return done
    finally:
        store.close()
        ledger.close()


def deliver(config: StoreConfig, clock: Clock, channels: Channels) -> dict[str, int]:
    """The outbox job: bring the read models up to the ledger, queue every real chaser
    recorded since the last run (whoever issued it), send what is due."""
    ledger = open_ledger(config, clock=clock)
    store = ReadStore(config, create_tables=config.backend == "sqlite")
    try:
        Projector(ledger, store, ledger.working_calendar()).catch_up()
        queued = enqueue_new(store, clock.now())
        outcome = deliver_due(ledger, store, channels, clock.now())
        outcome["queued"] = queued
        if any(outcome.values()):
            log.info("outbox: %s", outcome)
        return outcome
    finally:
        store.close()
        ledger.close()


def run_scheduler(config: StoreConfig, *, at: str = "09:00", clock: Clock | None = None) -> None:
    clock = clock or SystemClock()
    try:
        tick_time = datetime.strptime(at, "%H:%M").time()
    except ValueError:
        from ledger.errors import InvalidInput

        raise InvalidInput(f"--at {at!r} is not HH:MM") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    channels = channels_from_env()
    caught = catch_up(config, clock, tick_time)
    print(f"scheduler on {config.display}: daily tick at {at} Asia/Shanghai; "
          f"caught up {len(caught)} day(s)", flush=True)
    scheduler = BlockingScheduler(timezone=BUSINESS_TZ)
    # Weekdays by name, never numbers (APScheduler's numbering differs from cron's).
    scheduler.add_job(
        catch_up, CronTrigger(day_of_week="mon,tue,wed,thu,fri,sat,sun",
                              hour=tick_time.hour, minute=tick_time.minute,
                              timezone=BUSINESS_TZ),
        args=[config, clock, tick_time], id="daily-tick", coalesce=True, max_instances=1,
        misfire_grace_time=3600,
    )
    scheduler.add_job(deliver, IntervalTrigger(seconds=outbox_seconds(), timezone=BUSINESS_TZ),
                      args=[config, clock, channels], id="outbox", coalesce=True,
                      max_instances=1, next_run_time=datetime.now(BUSINESS_TZ))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
