"""Fill the demo application database with generated people (fixed seed, Faker pools).

``populate(engine, people=5000, seed=1234)`` is deterministic for a seed and a ``now``: the same
arguments always give the same rows. Rows are inserted in batches (executemany), parents before
children, in one transaction; works the same on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table

from ombud.clock import utcnow
from ombud.demo.appdb import TABLE_ORDER, TABLES
from ombud.demo.fakes import (
    BUSINESS_WORDS,
    PATHS,
    REFERRERS,
    USER_AGENTS,
    Namer,
    Person,
    build_pools,
    slug,
    truncate_ip,
)
from ombud.demo.texts import AGENT_REPLIES, CUSTOMER_FOLLOW_UPS, TICKETS

FOUNDED = datetime(2016, 3, 1)
PLANS = ("free", "personal", "family", "business")
PLAN_WEIGHTS = (35, 30, 15, 20)
QUOTA_MB = {"free": 1024, "personal": 10240, "family": 20480, "business": 51200}
MONTHLY_CENTS = {"personal": 300, "family": 600, "business": 450}
MARKETING_SOURCES = ("website_footer", "blog", "webinar", "trade_fair", "pricing_page")
CARD_BRANDS = ("visa", "visa", "mastercard", "mastercard", "amex", "sepa_debit")

Row = dict[str, Any]


class _Sink:
    """Buffers rows per table and writes them in batches, parents first."""

    def __init__(self, conn: Connection, batch_size: int) -> None:
        self.conn = conn
        self.batch_size = batch_size
        self.rows: dict[str, list[Row]] = {name: [] for name in TABLE_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.ids: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.pending = 0

    def reserve(self, table: str) -> int:
        """Return the next id of ``table`` (for a row added later)."""
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, row: Row) -> int:
        """Queue ``row`` (assigning its id unless reserved) and return the id."""
        if "id" not in row:
            row["id"] = self.reserve(table)
        self.rows[table].append(row)
        self.pending += 1
        if self.pending >= self.batch_size:
            self.flush()
        return row["id"]  # type: ignore[no-any-return]

    def flush(self) -> None:
        """Write every buffered row; a child is never written before its parent."""
        for name in TABLE_ORDER:
            rows = self.rows[name]
            if rows:
                if self.conn.dialect.name == "postgresql":
                    self._copy(TABLES[name], rows)
                else:
                    self.conn.execute(TABLES[name].insert(), rows)
                self.counts[name] += len(rows)
                self.rows[name] = []
        self.pending = 0

    def _copy(self, table: Table, rows: list[Row]) -> None:
        # COPY is ~10x faster than INSERT on PostgreSQL, which matters for the 10M-row benchmark.
        # The raw psycopg connection shares the transaction of ``self.conn``.
        quote = self.conn.dialect.identifier_preparer.quote
        columns = list(table.c.keys())
        sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        raw: Any = self.conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


class _Generator:
    def __init__(self, sink: _Sink, rng: random.Random, namer: Namer, now: datetime) -> None:
        self.sink, self.rng, self.namer, self.now = sink, rng, namer, now
        self.invoice_seq = 0

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random second between ``start`` and ``end``."""
        span = max(int((end - start).total_seconds()), 1)
        return start + timedelta(seconds=self.rng.randrange(span))

    def person(self, *, with_account: bool, marketing: bool) -> None:
        person = self.namer.person()
        email = self.namer.contact_email(person)
        account_id = None
        since = self.between(FOUNDED, self.now - timedelta(days=400))
        if with_account:
            account_id, since = self.account(person, email)
        if marketing:
            self.marketing(person, email, since, account=account_id is not None)
        elif account_id is None or self.rng.random() < 0.4:
            # Visitors who never signed in still leave analytics events behind.
            self.analytics(None, self.rng.randint(1, 6))

    def account(self, person: Person, email: str) -> tuple[int, datetime]:
        rng, loc = self.rng, person.pool.locale
        # Skewed towards recent sign-ups: the company grows.
        created = FOUNDED + (self.now - timedelta(days=1) - FOUNDED) * (1 - rng.random() ** 2)
        created = created.replace(microsecond=0)
        plan = rng.choices(PLANS, weights=PLAN_WEIGHTS)[0]
        closed = None
        if rng.random() < 0.08 and created < self.now - timedelta(days=60):
            closed = self.between(created + timedelta(days=30), self.now)
        last_active = closed or self.now
        row: Row = {
            "email": email,
            "name": person.name,
            "phone": self.namer.phone(loc) if rng.random() < 0.7 else None,
            "country": loc.country,
            "language": loc.language,
            "plan": plan,
            "status": "closed" if closed else "active",
            "password_hash": self.namer.password_hash(),
            "created_at": created,
            "last_login_at": None,
            "closed_at": closed,
            "processing_restricted": False,
        }
        account_id = row["id"] = self.sink.reserve("accounts")
        logins, row["last_login_at"] = self.logins(account_id, created, last_active)
        self.sink.add("accounts", row)
        mailbox = self.mailboxes(account_id, person, plan, created)
        for login in logins:
            self.sink.add("login_events", login)
        if rng.random() < 0.3:
            self.tickets(account_id, person, row, mailbox, last_active)
        if plan != "free":
            self.billing(account_id, person, plan, created, last_active)
        if rng.random() < 0.55:
            self.analytics(account_id, rng.randint(1, 15), since=created, until=last_active)
        return account_id, created

    def mailboxes(self, account_id: int, person: Person, plan: str, created: datetime) -> str:
        rng, namer, now = self.rng, self.namer, self.now
        owner = namer.local_part(person.first, person.last)
        if plan in ("free", "personal"):
            domain, people = "postlicht.example", [(owner, person.name)]
        else:
            word = "family" if plan == "family" else rng.choice(BUSINESS_WORDS)
            domain = f"{slug(person.last)}-{word}.example"
            count = rng.randint(2, 5) if plan == "family" else rng.randint(2, 12)
            people = [(slug(person.first), person.name)]
            for _ in range(count - 1):
                other = rng.choice(person.pool.first_names)
                people.append((slug(other), f"{other} {person.last}"))
            if plan == "business":
                people[-1] = ("info", f"{person.last} {word.title()}")
        first_address = ""
        for local, display in people:
            address = namer.claim(local, domain)
            first_address = first_address or address
            self.sink.add(
                "mailboxes",
                {
                    "account_id": account_id,
                    "address": address,
                    "display_name": display if rng.random() < 0.9 else None,
                    "quota_mb": QUOTA_MB[plan],
                    "created_at": self.between(created, min(created + timedelta(days=90), now)),
                },
            )
        return first_address

    def logins(
        self, account_id: int, created: datetime, last_active: datetime
    ) -> tuple[list[Row], datetime]:
        rng, rows = self.rng, []
        homes = [self.namer.ip() for _ in range(rng.randint(1, 3))]
        agents = rng.sample(USER_AGENTS, rng.randint(1, 3))
        start = max(created, last_active - timedelta(days=120))
        # Older sign-ins were already purged by the 90-day rule, so last_login_at may be older.
        last = self.between(created, last_active)
        events = rng.choice((0, 0, 1, 3, 5, 8, 12, 20, 30))
        for _ in range(events):
            at = self.between(start, last_active)
            stranger = rng.random() < 0.04
            success = not stranger and rng.random() > 0.05
            rows.append(
                {
                    "account_id": account_id,
                    "ip_address": self.namer.ip() if stranger else rng.choice(homes),
                    "user_agent": rng.choice(agents),
                    "success": success,
                    "at": at,
                }
            )
            if success:
                last = max(last, at)
        return rows, last

    def tickets(
        self, account_id: int, person: Person, account: Row, mailbox: str, last_active: datetime
    ) -> None:
        rng = self.rng
        fill = {
            "first": person.first,
            "name": person.name,
            "mailbox": mailbox,
            "street": person.street,
            "postcode": person.postcode,
            "city": person.city,
            "phone": account["phone"] or "(no phone given)",
        }
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            subject, body = rng.choice(TICKETS)
            opened = self.between(account["created_at"], last_active)
            closed = None
            if opened < self.now - timedelta(days=14) or rng.random() < 0.5:
                closed = min(opened + timedelta(minutes=rng.randint(30, 30 * 24 * 60)), self.now)
            status = "closed" if closed else rng.choice(("open", "pending"))
            ticket_id = self.sink.add(
                "support_tickets",
                {
                    "account_id": account_id,
                    "subject": subject,
                    "body": body.format(**fill),
                    "status": status,
                    "created_at": opened,
                    "closed_at": closed,
                },
            )
            at, end = opened, closed or self.now
            texts = [body] + [
                rng.choice(AGENT_REPLIES if i % 2 == 0 else CUSTOMER_FOLLOW_UPS)
                for i in range(rng.randint(0, 5))
            ]
            for i, text in enumerate(texts):
                self.sink.add(
                    "ticket_messages",
                    {
                        "ticket_id": ticket_id,
                        "author": "customer" if i % 2 == 0 else "agent",
                        "body": text.format(**fill),
                        "created_at": at,
                    },
                )
                at = self.between(at, end)

    def billing(
        self, account_id: int, person: Person, plan: str, created: datetime, last_active: datetime
    ) -> None:
        rng, loc = self.rng, person.pool.locale
        paid_from = min(created + timedelta(days=rng.choice((0, 14, 30, 60, 200))), last_active)
        yearly = rng.random() < 0.6
        seats = rng.randint(2, 12) if plan == "business" else 1
        amount = MONTHLY_CENTS[plan] * seats * (10 if yearly else 1)
        vat_id = None
        if plan == "business" and loc.country != "US":
            vat_id = f"{loc.country}{rng.randint(100_000_000, 999_999_999)}"
        issued: date = paid_from.date()
        while issued <= last_active.date():
            self.invoice_seq += 1
            self.sink.add(
                "invoices",
                {
                    "account_id": account_id,
                    "number": f"PL{issued.year}-{self.invoice_seq:08d}",
                    "billing_name": person.name,
                    "billing_address": person.address,
                    "vat_id": vat_id,
                    "amount_cents": amount,
                    "currency": loc.currency,
                    "issued_on": issued,
                },
            )
            issued = _add_months(issued, 12 if yearly else 1)
        for _ in range(1 if rng.random() < 0.8 else 2):
            brand = rng.choice(CARD_BRANDS)
            card = brand != "sepa_debit"
            start = self.between(paid_from, last_active)
            self.sink.add(
                "payment_methods",
                {
                    "account_id": account_id,
                    "provider_ref": f"pm_{self.namer.token(24)}",
                    "card_brand": brand,
                    "card_last4": f"{rng.randrange(10_000):04d}",
                    "expiry": f"{rng.randint(1, 12):02d}/{start.year + rng.randint(1, 5)}"
                    if card
                    else None,
                    "created_at": start,
                },
            )

    def marketing(self, person: Person, email: str, since: datetime, *, account: bool) -> None:
        rng = self.rng
        subscribed = self.between(since, self.now)
        unsubscribed = self.between(subscribed, self.now) if rng.random() < 0.15 else None
        self.sink.add(
            "marketing_contacts",
            {
                "email": email,
                "first_name": person.first if rng.random() < 0.85 else None,
                "source": "signup_checkbox" if account else rng.choice(MARKETING_SOURCES),
                "subscribed_at": subscribed,
                "unsubscribed_at": unsubscribed,
            },
        )

    def analytics(
        self,
        account_id: int | None,
        events: int,
        *,
        since: datetime = FOUNDED,
        until: datetime | None = None,
    ) -> None:
        rng = self.rng
        devices = [self.namer.device_id() for _ in range(rng.randint(1, 2))]
        ip = self.namer.ip()
        agent = rng.choice(USER_AGENTS)
        # 15 months back: some events are past the 13-month anonymisation rule.
        end = until or self.now
        start = max(self.now - timedelta(days=456), since - timedelta(days=30))
        start = min(start, end - timedelta(days=1))
        for _ in range(events):
            self.sink.add(
                "analytics_events",
                {
                    "device_id": rng.choice(devices),
                    "account_id": account_id,
                    "path": rng.choice(PATHS),
                    "referrer": rng.choice(REFERRERS),
                    "ip_truncated": truncate_ip(ip),
                    "user_agent": agent,
                    "at": self.between(start, end),
                },
            )


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    return date(year, month % 12 + 1, min(day.day, 28))


def default_now() -> datetime:
    """Midnight (UTC, naive) of today: recent enough for retention rules to have work to do."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)


def populate(
    engine: Engine,
    *,
    people: int = 5000,
    seed: int = 1234,
    now: datetime | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert ``people`` generated people into empty demo tables; return rows per table.

    About 85% hold an account (a third of them also get marketing mail), the rest are only
    marketing contacts; anonymous visitors add analytics events without an account.
    ``progress`` is called with the number of people generated so far, now and then."""
    if now is not None and now.tzinfo is not None:
        now = now.replace(tzinfo=None) - (now.utcoffset() or timedelta())
    rng = random.Random(seed)
    namer = Namer(rng, build_pools(seed))
    with engine.begin() as conn:
        sink = _Sink(conn, batch_size)
        gen = _Generator(sink, rng, namer, now or default_now())
        step = max(people // 100, 1)
        for done in range(1, people + 1):
            with_account = rng.random() < 0.85
            marketing = not with_account or rng.random() < 0.35
            gen.person(with_account=with_account, marketing=marketing)
            if progress is not None and (done % step == 0 or done == people):
                progress(done)
        for _ in range(people // 4):
            gen.analytics(None, rng.randint(1, 4))
        sink.flush()
    return sink.counts
