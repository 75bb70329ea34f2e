"""Google's libphonenumber, the reference the SQL phone rule (``kuota.msisdn``) is tested
against and the per-row baseline the benchmark measures it with: a tool, not part of the
pipeline, which never calls it."""

from __future__ import annotations

from kuota.infra import db


def libphonenumber_msisdn(typed: str) -> str | None:
    """libphonenumber's reading (region ID): the MSISDN of a valid Indonesian mobile number."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(typed, "ID")
    except phonenumbers.NumberParseException:
        return None
    if (
        phonenumbers.is_valid_number(parsed)
        and phonenumbers.region_code_for_number(parsed) == "ID"
        and phonenumbers.number_type(parsed)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


def libphonenumber_baseline(dsn: str, cutoff_id: int, limit: int) -> dict:
    """The per-row baseline: up to ``limit`` typed numbers of the cutoff through libphonenumber,
    streamed from a server-side cursor (bounded memory)."""
    rows = valid = 0
    with db.connect(dsn) as conn:
        with conn.cursor(name="nomor_baseline") as cur:
            cur.itersize = 50_000
            cur.execute(
                "SELECT nomor_hp FROM snapshot.peserta_didik WHERE cutoff_id = %s LIMIT %s",
                (int(cutoff_id), int(limit)),
            )
            for (typed,) in cur:
                rows += 1
                valid += libphonenumber_msisdn(typed) is not None
    return {"rows": rows, "valid": valid}
