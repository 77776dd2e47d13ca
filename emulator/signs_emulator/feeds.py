"""Sample data feeds for the sample DAGs: plain JSON over ``GET /feeds/...``, no auth.

Values are pseudo-random but deterministic: the same seed and the same (emulated) date give the same data,
so a DAG run is reproducible, and advancing the emulator clock to the next day gives new data.

* ``/feeds/weather?city=Houston``  current conditions and a 3-day forecast for a screen.
* ``/feeds/kpis``                  business KPIs (changing every hour) for a KPI wall.
* ``/feeds/contracts?date=YYYY-MM-DD&count=N``
                                   HR "new contracts": people who must sign (name, email, role, contract title).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from signs_emulator.runtime import Runtime

_CONDITIONS = ["Sunny", "Partly cloudy", "Cloudy", "Light rain", "Thunderstorms", "Windy", "Fog", "Clear"]
_CITY_BASE_C = {
    "houston": 24,
    "london": 12,
    "paris": 13,
    "berlin": 10,
    "tokyo": 16,
    "sydney": 19,
    "new york": 13,
}
_FIRST_NAMES = [
    "Amara", "Bastien", "Chen", "Dalia", "Emeka", "Freya", "Gustavo", "Hana", "Ivan", "Jasmin",
    "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tomoko",
]  # fmt: skip
_LAST_NAMES = [
    "Adeyemi", "Bergstrom", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Santos",
]  # fmt: skip
_ROLES = [
    ("Software Engineer", "Engineering"),
    ("Data Analyst", "Finance"),
    ("Account Executive", "Sales"),
    ("Customer Success Manager", "Support"),
    ("Warehouse Associate", "Operations"),
    ("Product Designer", "Product"),
    ("HR Generalist", "People"),
]
_CONTRACTS = ["Employment Contract", "Fixed-Term Contract", "Internship Agreement", "Contractor Agreement"]


def _rng(*parts: object) -> random.Random:
    # random.Random hashes str seeds deterministically (unlike hash(), which varies per process).
    return random.Random(":".join(str(p) for p in parts))


def weather(seed: int, city: str, today: date, now: datetime) -> dict[str, Any]:
    """Current weather and a 3-day forecast for ``city`` on ``today``."""
    base = _CITY_BASE_C.get(city.lower(), 18)

    def day(d: date) -> dict[str, Any]:
        r = _rng(seed, "weather", city.lower(), d.isoformat())
        high = base + r.randint(-4, 8)
        return {
            "date": d.isoformat(),
            "condition": r.choice(_CONDITIONS),
            "high_c": high,
            "low_c": high - r.randint(5, 11),
            "precipitation_chance": r.randint(0, 100),
        }

    r = _rng(seed, "weather-now", city.lower(), today.isoformat(), now.hour)
    today_forecast = day(today)
    return {
        "city": city,
        "generated_at": now.isoformat(timespec="seconds"),
        "current": {
            "condition": today_forecast["condition"],
            "temperature_c": r.randint(today_forecast["low_c"], today_forecast["high_c"]),
            "humidity_percent": r.randint(25, 95),
            "wind_kph": r.randint(0, 45),
        },
        "forecast": [day(today + timedelta(days=i)) for i in range(3)],
    }


def kpis(seed: int, now: datetime) -> dict[str, Any]:
    """A handful of business KPIs for the current hour, each with a target and a trend."""
    r = _rng(seed, "kpis", now.date().isoformat(), now.hour)
    specs = [
        ("orders_today", "Orders today", "", 1200, 0),
        ("revenue_today", "Revenue today", "USD", 84000, 0),
        ("nps", "Net Promoter Score", "", 45, 0),
        ("tickets_open", "Open support tickets", "", 60, 1),
        ("on_time_delivery", "On-time delivery", "%", 96, 0),
    ]
    items = []
    for key, label, unit, target, lower_is_better in specs:
        value = round(target * r.uniform(0.7, 1.25), 1 if unit == "%" else 0)
        if unit == "%":
            value = min(value, 100.0)
        items.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "unit": unit,
                "target": target,
                "on_target": value <= target if lower_is_better else value >= target,
                "trend": r.choice(["up", "down", "flat"]),
            }
        )
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "period": now.strftime("%Y-%m-%dT%H:00"),
        "kpis": items,
    }


def contracts(seed: int, day: date, count: int | None = None) -> dict[str, Any]:
    """New hires whose contracts must be signed on ``day``."""
    r = _rng(seed, "contracts", day.isoformat())
    n = count if count is not None else r.randint(2, 5)
    people = []
    used: set[str] = set()
    for i in range(n):
        first, last = r.choice(_FIRST_NAMES), r.choice(_LAST_NAMES)
        while f"{first} {last}" in used:
            first, last = r.choice(_FIRST_NAMES), r.choice(_LAST_NAMES)
        used.add(f"{first} {last}")
        role, department = r.choice(_ROLES)
        people.append(
            {
                "id": f"HR-{day.strftime('%Y%m%d')}-{i + 1:03d}",
                "name": f"{first} {last}",
                # example.com is reserved for documentation (RFC 2606): never a real mailbox.
                "email": f"{first}.{last}@example.com".lower(),
                "role": role,
                "department": department,
                "contract_title": f"{r.choice(_CONTRACTS)} - {role}",
                "start_date": (day + timedelta(days=r.randint(7, 30))).isoformat(),
            }
        )
    return {"date": day.isoformat(), "contracts": people}


#: The sample feeds, mounted at ``/feeds``; the clock and seed are the emulator's (``Depends``).
router = APIRouter()


@router.get("")
def index() -> dict[str, Any]:
    return {
        "feeds": {
            "weather": "/feeds/weather?city=Houston",
            "kpis": "/feeds/kpis",
            "contracts": "/feeds/contracts?date=YYYY-MM-DD&count=N",
        }
    }


@router.get("/weather")
def get_weather(
    runtime: Runtime, city: str = Query("Houston", min_length=1, max_length=80)
) -> dict[str, Any]:
    now = runtime.clock.now()
    return weather(runtime.settings.seed, city, now.date(), now)


@router.get("/kpis")
def get_kpis(runtime: Runtime) -> dict[str, Any]:
    return kpis(runtime.settings.seed, runtime.clock.now())


@router.get("/contracts")
def get_contracts(
    runtime: Runtime,
    date_: str | None = Query(None, alias="date"),
    count: int | None = Query(None, ge=0, le=500),
) -> dict[str, Any]:
    try:
        day = date.fromisoformat(date_) if date_ else runtime.clock.now().date()
    except ValueError:
        raise HTTPException(400, f"date must be YYYY-MM-DD; got {date_!r}") from None
    return contracts(runtime.settings.seed, day, count)
