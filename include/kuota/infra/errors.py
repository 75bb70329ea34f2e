"""The errors a step raises, in one place: the Airflow glue and the CLI tell a failure that
retrying will not heal (a broken file, a failed suite, a closed period) from one that may."""

from __future__ import annotations

import re
from collections.abc import Sequence


class ContractError(Exception):
    """A partner's file breaks its contract.  The message names the file and the rule."""


class Rejected(ContractError):
    """A partner's file breaks the contract; the message names the rule and the rows. The
    ingesting step quarantines the file whole, then reports it as a ContractError."""


class PeriodeDitutup(ContractError):
    """The period is closed: the step does nothing, and says so."""


class QualityError(Exception):
    """A stage's output breaks its contract: the run must stop here."""


class Busy(Exception):
    """Another process still runs the same step of the period after the wait."""


class MigrationError(Exception):
    """The warehouse and its migration files disagree (an applied file edited, a warehouse
    newer than the code): nothing was applied."""


_COLUMN = re.compile(r"[a-z][a-z0-9_]{0,39}")


def header_mismatch(header: Sequence[str] | None, columns: Sequence[str]) -> str:
    """Why line 1 is not the contract's header. The partner's line is echoed only when every
    field of it could be a column's name: a file sent without its header starts with a record
    (a name, a NIK, a phone number), which must reach no log and no task's error."""
    expected = ",".join(columns)
    if not header:
        return f"line 1: no header, expected {expected!r}"
    if all(_COLUMN.fullmatch(field) for field in header):
        return f"line 1: header is {','.join(header)!r}, expected {expected!r}"
    return (
        f"line 1: header is '…' ({len(header)} fields, not all of them column names: a record where the "
        f"header belongs?), expected {expected!r}"
    )


# 9 digits and more, alone or written with separators (+62 812-3456-7890): a NISN, a NIK, a
# phone number. An NPSN (8 digits), a line number, a count stay.
_DIGITS = re.compile(r"(?<![0-9A-Za-z])\+?\d(?:[ .-]?\d){8,}(?![0-9A-Za-z])")
# A quoted value is kept only when it looks like an id, a code or a file name.
_QUOTED = re.compile(r"'([^'\n]*)'")
_SAFE = re.compile(r"[A-Za-z0-9._/:-]{0,80}")


def redacted(text: str) -> str:
    """The text with what could be personal data masked: long digit runs, and quoted values
    that are not an id, a code or a file name (the full error stays in the karantina file)."""

    def quoted(match: re.Match) -> str:
        value = match[1]
        return match[0] if _SAFE.fullmatch(value) and not _DIGITS.search(value) else "'…'"

    return _DIGITS.sub("…", _QUOTED.sub(quoted, text))


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def shown(value: object) -> str:
    """A partner's value as an error quotes it: as it is when it can only be an id, a code or
    a word (a uuid, an NPSN, 'SPTJM-2020-09-20100001-1', a status), '…' when it could be
    personal (a name, a NISN, a NIK, a phone number however it is written). The rows named
    by line let the operator find it in the file kept in karantina."""
    if value is None:
        return repr(value)
    text = str(value)
    if _UUID.fullmatch(text):
        return repr(text)
    bare = re.sub(r"[ .()+-]", "", text)
    if not _SAFE.fullmatch(text) or re.search(r"\d{9,}", text) or (bare.isdigit() and len(bare) >= 9):
        return "'…'"
    return repr(text)
