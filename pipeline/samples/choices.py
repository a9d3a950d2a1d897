"""Ctx: the random choices of one document (variant, numbers, dates, places, people), all drawn from
one numpy Generator so that the same seed gives the same document.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from pipeline.samples.people import (
    ETHNICITIES,
    GEOGRAPHY,
    GIVEN,
    MIDDLE,
    PROVINCE_CODES,
    STREETS,
    SURNAMES,
    Person,
    Place,
    personal_id,
)
from pipeline.textnorm import nfc


class Ctx:
    """Random choices for one document, drawn from one numpy Generator."""

    def __init__(self, rng: np.random.Generator, variant: int | None = None):
        self.rng = rng
        self._variant = variant

    def variant(self, count: int = 3) -> int:
        """Which of a kind's templates to use: the one asked for, or one at random."""
        drawn = self.integer(0, count - 1)
        return drawn if self._variant is None else self._variant % count

    def choice(self, options: Sequence):
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def integer(self, low: int, high: int) -> int:
        return int(self.rng.integers(low, high + 1))

    def date_between(self, start: date, end: date) -> date:
        if end < start:
            start, end = end, start
        return start + timedelta(days=int(self.rng.integers(0, (end - start).days + 1)))

    def place(self) -> Place:
        code = self.choice(sorted(GEOGRAPHY))
        unit, name, districts = GEOGRAPHY[code]
        d_unit, d_name, wards = self.choice(districts)
        w_unit, w_name = self.choice(wards)
        return Place(code, unit, name, d_unit, d_name, w_unit, w_name)

    def street_address(self, place: Place) -> str:
        if place.ward_unit == "Xã":
            street = f"{self.choice(['Thôn', 'Ấp', 'Xóm'])} {self.choice(['Đông', 'Tây', 'Bắc', 'Trung', '1', '2', '3', 'Phú Lợi', 'An Thịnh'])}"
        else:
            number = self.choice([f"{self.integer(1, 250)}", f"{self.integer(1, 120)}/{self.integer(1, 40)}",
                                  f"{self.integer(1, 99)}A"])
            street = f"Số {number} đường {self.choice(STREETS)}"
            if self.chance(0.4):
                street += f", khu phố {self.integer(1, 9)}"
            elif self.chance(0.3):
                street = f"Số {number}, ngõ {self.integer(2, 200)} {self.choice(STREETS)}"
        return place.address(street)

    def name(self, sex: str) -> str:
        middle = self.choice(MIDDLE[sex])
        if self.chance(0.2):
            middle += " " + self.choice([m for m in MIDDLE[sex] if m not in ("Thị", "Văn")])
        return nfc(f"{self.choice(SURNAMES)} {middle} {self.choice(GIVEN[sex])}")

    def person(self, *, born: tuple[date, date] = (date(1950, 1, 1), date(2005, 12, 31)), sex: str | None = None,
               surname: str | None = None) -> Person:
        sex = sex or self.choice(["Nam", "Nữ"])
        birth = self.date_between(*born)
        province = self.choice(sorted(GEOGRAPHY)) if self.chance(0.6) else self.choice(sorted(PROVINCE_CODES))
        name = self.name(sex)
        if surname:
            name = f"{surname} {name.split(' ', 1)[1]}"
        place = self.place()
        ethnicity = self.choice(ETHNICITIES)
        return Person(name, sex, birth, personal_id(self.rng, birth, sex, province), province,
                      self.street_address(place), ethnicity)

    def number(self, suffix: str, year: int, *, with_year: float = 0.3) -> str:
        n = self.integer(1, 2500)
        return f"{n}/{year}/{suffix}" if self.chance(with_year) else f"{n}/{suffix}"
