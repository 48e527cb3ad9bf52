"""Deterministic fake people for the demo database: names, addresses, emails, phones, IPs.

Faker (seeded) fills small per-locale pools once; everything else is drawn from one
``random.Random`` so generating millions of rows stays fast and repeatable for a seed."""

from __future__ import annotations

import base64
import random
import unicodedata
import uuid
from dataclasses import dataclass, field

from faker import Faker


@dataclass(frozen=True)
class Locale:
    """A market Postlicht sells in: who lives there and how they are written down."""

    faker: str
    country: str
    country_name: str
    language: str
    currency: str
    mobile_prefix: str
    mobile_digits: int
    weight: int


LOCALES: tuple[Locale, ...] = (
    Locale("de_DE", "DE", "Germany", "de", "EUR", "+4915", 9, 40),
    Locale("de_AT", "AT", "Austria", "de", "EUR", "+43664", 7, 8),
    Locale("de_CH", "CH", "Switzerland", "de", "EUR", "+4179", 7, 5),
    Locale("en_GB", "GB", "United Kingdom", "en", "GBP", "+447", 9, 15),
    Locale("en_US", "US", "United States", "en", "USD", "+1", 10, 12),
    Locale("fr_FR", "FR", "France", "fr", "EUR", "+336", 8, 8),
    Locale("nl_NL", "NL", "Netherlands", "nl", "EUR", "+316", 8, 7),
    Locale("pl_PL", "PL", "Poland", "pl", "EUR", "+485", 8, 5),
)

EMAIL_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "post.example.org",
    "web.example.net",
)
BUSINESS_WORDS = ("consulting", "design", "law", "studio", "bau", "tech", "praxis", "media")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Thunderbird/115.10.1",
    "Postlicht-iOS/4.2.0 (iPhone15,2; iOS 17.4)",
    "Postlicht-Android/4.1.3 (Pixel 8; Android 14)",
)
PATHS = (
    "/",
    "/pricing",
    "/features",
    "/features/calendar",
    "/features/encryption",
    "/signup",
    "/login",
    "/help",
    "/help/imap-settings",
    "/help/custom-domain",
    "/help/migrate-from-gmail",
    "/blog",
    "/blog/why-we-host-in-germany",
    "/blog/spf-dkim-dmarc-explained",
    "/business",
    "/about",
)
REFERRERS = (
    None,
    None,
    None,
    "https://www.google.com/",
    "https://duckduckgo.com/",
    "https://www.ecosia.org/",
    "https://www.bing.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/privacy/",
    "https://t.co/",
)
# First octets of public IPv4 space, so no generated address is private or reserved.
IPV4_FIRST: tuple[int, ...] = (31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 84, 85, 87, 88, 89, 91)
IPV4_FIRST += (93, 94, 95, 109, 141, 145, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217)
IPV6_PREFIXES = ("2a02:8108", "2003:e2", "2a01:c23", "2001:4bb8", "2a00:23c6")


@dataclass
class LocalePool:
    """Names and places of one locale, drawn once from a seeded Faker."""

    locale: Locale
    first_names: list[str]
    last_names: list[str]
    streets: list[str]
    places: list[tuple[str, str]]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def build_pools(seed: int, size: int = 120) -> list[LocalePool]:
    """Draw ``size`` names and places per locale from Faker seeded with ``seed``."""
    pools: list[LocalePool] = []
    for index, loc in enumerate(LOCALES):
        fake = Faker(loc.faker)
        fake.seed_instance(seed * 100 + index)
        pools.append(
            LocalePool(
                locale=loc,
                first_names=_unique([fake.first_name() for _ in range(size)]),
                last_names=_unique([fake.last_name() for _ in range(size)]),
                streets=_unique([fake.street_name() for _ in range(size)]),
                places=[(fake.postcode(), fake.city()) for _ in range(size // 2)],
            )
        )
    return pools


def slug(text: str) -> str:
    """ASCII lower-case letters and digits only: 'Jürgen Groß' -> 'jurgengross'."""
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


@dataclass
class Person:
    """One generated human being."""

    pool: LocalePool
    first: str
    last: str
    street: str
    postcode: str
    city: str

    @property
    def name(self) -> str:
        """Full name."""
        return f"{self.first} {self.last}"

    @property
    def address(self) -> str:
        """Postal address on three lines."""
        return f"{self.street}\n{self.postcode} {self.city}\n{self.pool.locale.country_name}"


@dataclass
class Namer:
    """Draws people and unique addresses from the pools with one random generator."""

    rng: random.Random
    pools: list[LocalePool]
    taken: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._weights = [p.locale.weight for p in self.pools]

    def person(self) -> Person:
        """A new person from a market chosen by weight."""
        pool = self.rng.choices(self.pools, weights=self._weights)[0]
        postcode, city = self.rng.choice(pool.places)
        return Person(
            pool=pool,
            first=self.rng.choice(pool.first_names),
            last=self.rng.choice(pool.last_names),
            street=f"{self.rng.choice(pool.streets)} {self.rng.randint(1, 180)}",
            postcode=postcode,
            city=city,
        )

    def claim(self, local: str, domain: str) -> str:
        """Return ``local@domain``, with digits appended until no one else has it."""
        local = local or "mail"
        candidate = f"{local}@{domain}"
        while candidate in self.taken:
            candidate = f"{local}{self.rng.randint(1, 9999)}@{domain}"
        self.taken.add(candidate)
        return candidate

    def local_part(self, first: str, last: str) -> str:
        """An email local part in one of the styles people pick."""
        f, la = slug(first), slug(last)
        style = self.rng.randrange(7)
        if style == 0:
            return f"{f}.{la}"
        if style == 1:
            return f"{f}{la}"
        if style == 2:
            return f"{f[:1]}.{la}"
        if style == 3:
            return f"{f}_{la}"
        if style == 4:
            return f"{f}{self.rng.randint(70, 2005)}"
        if style == 5:
            return f"{la}.{f}"
        return f"{f}.{la}{self.rng.randint(1, 99)}"

    def contact_email(self, person: Person) -> str:
        """A personal email address outside Postlicht (the account's contact address)."""
        return self.claim(
            self.local_part(person.first, person.last), self.rng.choice(EMAIL_DOMAINS)
        )

    def phone(self, locale: Locale) -> str:
        """A mobile number in E.164 form."""
        digits = "".join(str(self.rng.randrange(10)) for _ in range(locale.mobile_digits))
        if locale.country == "US":
            digits = str(self.rng.randint(201, 989)) + digits[3:]
        return locale.mobile_prefix + digits

    def ip(self) -> str:
        """A public IPv4 (most) or IPv6 address."""
        if self.rng.random() < 0.18:
            groups = ":".join(f"{self.rng.getrandbits(16):x}" for _ in range(4))
            return f"{self.rng.choice(IPV6_PREFIXES)}:{groups}::{self.rng.getrandbits(16):x}"
        rest = ".".join(str(self.rng.randint(1, 254)) for _ in range(3))
        return f"{self.rng.choice(IPV4_FIRST)}.{rest}"

    def device_id(self) -> str:
        """A random device identifier (UUID v4)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def token(self, length: int) -> str:
        """Random letters and digits."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def password_hash(self) -> str:
        """Something shaped like an argon2id hash (no real password behind it)."""
        salt = base64.b64encode(self.rng.randbytes(16)).decode().rstrip("=")
        digest = base64.b64encode(self.rng.randbytes(32)).decode().rstrip("=")
        return f"$argon2id$v=19$m=65536,t=3,p=4${salt}${digest}"


def truncate_ip(ip: str) -> str:
    """Keep the network only: /24 for IPv4, /48 for IPv6."""
    if ":" in ip:
        head = ip.split("::", 1)[0].split(":")
        return ":".join([*head, "0", "0", "0"][:3]) + "::"
    a, b, c, _d = ip.split(".")
    return f"{a}.{b}.{c}.0"
