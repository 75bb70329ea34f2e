"""Phone numbers: the SQL normalization against Google's libphonenumber, and the provider table.

libphonenumber (``phonenumbers``, region ID) is the reference: for every number of a large
generated sample, both must agree on "a valid Indonesian mobile number" and on its MSISDN,
except the two documented deviations (docs/nomor.md), which are asserted exactly.
"""

from __future__ import annotations

import re

import psycopg2
import pytest
from conftest import query
from helpers import read_csv

from kuota.infra.storage import Storage
from kuota.partners.contract import CUTOFF_COLUMNS
from kuota_tools import generator
from kuota_tools.nomor_reference import libphonenumber_msisdn

# Forms seen in school data, beyond what the generator types.
HANDMADE = [
    "081234567890",
    "0812-3456-7890",
    "0812 3456 7890",
    "0812.3456.7890",
    "(0812) 3456 7890",
    "+62 812 3456 7890",
    "+62-812-3456-7890",
    "+62 (812) 3456-7890",
    "(+62)81234567890",
    "+6281234567890",
    "6281234567890",
    "62 812 3456 7890",
    "+62 0812 3456 7890",
    "620812345678",
    "81234567890",
    "812-3456-789",
    "'081234567890",
    '"081234567890"',
    "0812/3456/7890",
    "081234567890.",
    "081234567890,",
    "-081234567890-",
    "  0812 3456 7890  ",
    "0812345678",
    "08123456789",
    "0812345678901",
    "08123456",
    "081234567890123",
    "0812",
    "021-5551234",
    "(021) 5551234",
    "0274 512345",
    "061-4567890",
    "+62 21 5551234",
    "0411-123456",
    "0828-1234-5678",
    "0841234567",
    "0800-1234567",
    "0809-123-4567",
    "0888-1234-5678",
    "0081234567890",
    "+1 812 345 6789",
    "+65 8123 4567",
    "0062812345678",
    "628123",
    "0812-3456-7890 / 0813-1111-2222",
    "0812+3456",
    "*0812345678#",
    "0812_3456_7890",
    "",
    "0812345678#",
    "#0812345678",
    "0812345678*",
    "[0812345678]",
    "0812345678;",
    "@0812345678",
    "0812 -- 345678",
    "0812-345 678 ",
]


def _ours(dsn: str, numbers: list[str]) -> dict[str, str | None]:
    return dict(query(dsn, "SELECT v, kuota.msisdn(v) FROM unnest(%s::text[]) v", (numbers,)))


def _deviation(typed: str, ours: str | None, lib: str | None) -> str | None:
    """Which documented deviation explains a disagreement, if any."""
    if re.search(r"[^\W\d_]", typed) and ours is None:
        return "letter"
    digits = re.sub(r"\D", "", typed)
    if (
        lib is None
        and ours is not None
        and not typed.strip().startswith(("+", "(+"))
        and re.fullmatch(r"628\d{8}", digits)
        and ours == digits
    ):
        return "62_nine_digits"
    return None


def _generated_numbers(tmp_path, seeds=(1, 2, 3), students=25_000) -> list[str]:
    storage, numbers = Storage(), set()
    for seed in seeds:
        out = tmp_path / f"seed{seed}"
        generator.generate(str(out), generator.Scale.for_students(students), seed=seed)
        for table in ("peserta_didik", "ptk"):
            rows = read_csv(storage, str(out / f"{table}.csv.gz"))
            col = CUTOFF_COLUMNS[table].index("nomor_hp")
            numbers.update(r[col] for r in rows[1:] if len(r) > col)
    return sorted(numbers)


@pytest.mark.heavy
def test_normalization_agrees_with_libphonenumber(dsn, tmp_path):
    numbers = _generated_numbers(tmp_path) + HANDMADE
    assert len(numbers) > 70_000
    ours = _ours(dsn, numbers)
    disagreements, deviations = [], {"letter": 0, "62_nine_digits": 0}
    for typed in numbers:
        lib = libphonenumber_msisdn(typed)
        if ours[typed] == lib:
            continue
        kind = _deviation(typed, ours[typed], lib)
        if kind is None:
            disagreements.append((typed, ours[typed], lib))
        else:
            deviations[kind] += 1
    assert disagreements == [], disagreements[:20]
    # Both deviations occur in the sample (else this test would not prove the rule holds).
    assert deviations["letter"] > 0 and deviations["62_nine_digits"] > 0, deviations
    valid = sum(v is not None for v in ours.values())
    assert 0.5 < valid / len(numbers) < 0.99


@pytest.mark.parametrize(
    "typed, ours, lib",
    [
        # A lone letter O for a zero: libphonenumber drops it and reads another valid number.
        ("0812O3456789", None, "628123456789"),
        # Three letters or more: read as a phone keypad (O -> 6).
        ("0812OOO3456", None, "628126663456"),
        # Text around a number: libphonenumber skips it; here it goes back to the school.
        ("tel 08123456789", None, "628123456789"),
        ("08123456789 ext 5", None, "628123456789"),
        # 62 + nine digits: a landline of area 062x for libphonenumber, a mobile number typed with
        # its country code for a school operator.
        ("62812345678", "62812345678", None),
        ("628123456789", "628123456789", "628123456789"),  # ten digits: both read +62
    ],
)
def test_documented_deviations(dsn, typed, ours, lib):
    assert libphonenumber_msisdn(typed) == lib
    assert _ours(dsn, [typed])[typed] == ours


def test_empty_and_blank_are_not_numbers(dsn):
    assert set(_ours(dsn, ["", " ", "\t", "-", "()"]).values()) == {None}
    assert query(dsn, "SELECT kuota.msisdn(NULL)") == [(None,)]


def test_provider_by_prefix_in_force_on_a_date(dsn):
    sql = """SELECT p.provider FROM kuota.prefix_provider p
             WHERE p.prefix = '0' || substr(%s, 3, 3) AND p.berlaku_mulai <= %s
               AND (p.berlaku_sampai IS NULL OR %s < p.berlaku_sampai)"""
    assert query(dsn, sql, ("62895123456789", "2020-09-01", "2020-09-01")) == [("tri",)]
    assert query(dsn, sql, ("62828123456789", "2020-09-01", "2020-09-01")) == []  # not a partner
    assert query(dsn, "SELECT count(*), count(DISTINCT provider) FROM kuota.prefix_provider") == [(40, 6)]
    # Tri merged into Indosat: close Tri's row, add Indosat's, and 0895 moves on that date.
    query(dsn, "UPDATE kuota.prefix_provider SET berlaku_sampai = '2022-01-04' WHERE prefix = '0895' RETURNING 1")
    query(dsn, "INSERT INTO kuota.prefix_provider VALUES ('0895', 'indosat', '2022-01-04', NULL, 'merger') RETURNING 1")
    assert query(dsn, sql, ("62895123456789", "2021-12-31", "2021-12-31")) == [("tri",)]
    assert query(dsn, sql, ("62895123456789", "2022-01-04", "2022-01-04")) == [("indosat",)]


def test_a_prefix_never_has_two_providers_at_once(dsn):
    with pytest.raises(psycopg2.errors.ExclusionViolation, match="0812 already has a provider"):
        query(dsn, "INSERT INTO kuota.prefix_provider VALUES ('0812', 'xl', '2021-01-01', NULL, 'typo') RETURNING 1")
    with pytest.raises(psycopg2.errors.CheckViolation):
        query(
            dsn,
            "INSERT INTO kuota.prefix_provider VALUES "
            "('0828', 'esia', '2030-01-01', NULL, 'not a provider code of the contract') RETURNING 1",
        )
