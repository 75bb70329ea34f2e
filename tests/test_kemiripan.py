"""The similarity index (kemungkinan_orang_sama): one person under two NISNs is found with
its partner, twins and siblings are not, the threshold is a policy, and the edit functions
in SQL agree with a plain Python reading of "one slip apart"."""
from __future__ import annotations

import random

import pytest
from conftest import query
from test_screening import _load

from kuota import accuracy, db, quality, screening, splink_reference
from kuota.contract import SCREENING_REASONS
from kuota.storage import join

K2 = SCREENING_REASONS[SCREENING_REASONS.index("nisn_tidak_valid"):SCREENING_REASONS.index("kemungkinan_orang_sama") + 1]


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance: edits, with a swap of neighbours as one."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _slip(rng: random.Random, s: str) -> str:
    pos = rng.randrange(len(s))
    kind = rng.randrange(5)
    if kind == 0:
        return s[:pos] + s[pos + 1:]
    if kind == 1:
        return s[:pos] + rng.choice("aiuxz") + s[pos:]
    if kind == 2:
        return s[:pos] + rng.choice("aiuxz") + s[pos + 1:]
    if kind == 3 and pos + 1 < len(s):
        return s[:pos] + s[pos + 1] + s[pos] + s[pos + 2:]
    return rng.choice(["", s[::-1], s + s[:2], s[1:-1]])


def test_one_slip_apart_agrees_with_the_edit_distance(dsn):
    rng = random.Random(7)
    words = ["budisantoso", "nurnadia", "aa", "ab", "x", "sitiaminahlubis", "yohanesbayu", "ba", "abba"]
    pairs = [(w, w) for w in words]
    for _ in range(3000):
        a = rng.choice(words) if rng.random() < 0.7 else "".join(rng.choice("abn") for _ in range(rng.randrange(1, 7)))
        b = a
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            b = _slip(rng, b) if b else "a"
        pairs.append((a, b))
    rows = query(dsn, """SELECT a, b, kuota.beda_satu_ketikan(a, b), kuota.kemiripan_teks(a, b)
                         FROM unnest(%s::text[], %s::text[]) AS t(a, b)""", ([a for a, _ in pairs], [b for _, b in pairs]))
    for a, b, one_slip, similarity in rows:
        distance = _osa(a, b)
        assert one_slip == (distance <= 1), (a, b, distance)
        if a and b:
            # a swap counts once, so the score reads the OSA distance whenever it is at most one
            longest = max(len(a), len(b))
            assert similarity <= 1 - distance / longest + 1e-9 or distance > 1, (a, b)
            if distance <= 1:
                assert similarity == pytest.approx(1 - distance / longest), (a, b)
        else:
            assert similarity == 0


@pytest.mark.parametrize("seed", [3, 21])
def test_planted_pairs_are_found_with_their_partner_and_twins_are_not(dsn, storage, bucket, seed):
    uri = _load(dsn, storage, bucket, seed, students=8_000)
    screening.screen(dsn, "2020-09")
    planted = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"))
    twins = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"), "kembar")
    siblings = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"), "saudara")
    assert planted and twins and siblings
    flagged = query(dsn, """SELECT id::text, partner_id::text FROM kuota.penerima
                            WHERE periode = '2020-09' AND alasan = 'kemungkinan_orang_sama'""")
    # Both records of every planted pair, each naming the other; nothing else.
    assert {tuple(sorted(pair)) for pair in flagged} == planted
    assert len(flagged) == 2 * len(planted)
    # Twins meet the index (same birth date, same mother) and are ruled out as twins.
    scored = {(a, b): kembar for a, b, kembar in query(
        dsn, "SELECT id_a::text, id_b::text, kembar FROM kuota.kemiripan WHERE periode = '2020-09'")}
    assert all(scored.get(pair) is True for pair in twins)
    assert not siblings & set(scored)  # other birth dates: never even compared
    # Every dedup reason is exact on these labels (precision and recall 1).
    result = accuracy.evaluate(dsn, storage, join(uri, "labels.csv.gz"), "2020-09")
    k2 = {r["reason"]: r for r in result["reasons"] if r["reason"] in K2}
    assert set(k2) == set(K2)
    assert all(r["precision"] == 1 and r["recall"] == 1 for r in k2.values()), k2


def test_the_threshold_is_a_policy_recorded_with_the_period(dsn, storage, bucket):
    uri = _load(dsn, storage, bucket, seed=5, students=6_000)
    query(dsn, "INSERT INTO kuota.kebijakan VALUES ('ambang_kemiripan', '0.3', '2020-09-01', 'test') RETURNING 1")
    screening.screen(dsn, "2020-09")
    assert screening.policies(dsn, "2020-09")["ambang_kemiripan"] == 0.3
    # Every record of a scored pair at or above the period's threshold, twins aside, and only those.
    flagged = {rid for rid, in query(dsn, "SELECT id::text FROM kuota.penerima WHERE alasan = 'kemungkinan_orang_sama'")}
    above = query(dsn, "SELECT id_a::text, id_b::text FROM kuota.kemiripan WHERE skor >= 0.3 AND NOT kembar")
    assert flagged == {rid for pair in above for rid in pair}
    planted = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"))
    assert set(above) >= planted and len(above) > len(planted)  # a low threshold flags look-alikes too


def test_ours_is_at_least_as_accurate_as_splink(dsn, storage, bucket):
    uri = _load(dsn, storage, bucket, seed=13, students=10_000)
    screening.screen(dsn, "2020-09")
    labels = join(uri, "labels.csv.gz")
    default = screening.policies(dsn, "2020-09")["ambang_kemiripan"]
    ours = {r["threshold"]: r for r in accuracy.evaluate(dsn, storage, labels, "2020-09")["similarity"]}[default]
    theirs = splink_reference.run(dsn, storage, labels, "2020-09")
    assert theirs["records"] > 9_000
    best = max(theirs["similarity"], key=lambda r: (r["precision"] or 0) + (r["recall"] or 0))
    assert ours["precision"] >= (best["precision"] or 0) and ours["recall"] >= best["recall"], (ours, best)


def test_screening_suite_fails_when_a_pair_is_broken(dsn, storage, bucket):
    _load(dsn, storage, bucket, seed=6, students=6_000)
    screening.screen(dsn, "2020-09")
    assert quality.check_screening(dsn, "2020-09")["failed"] == 0
    # One record of a flagged pair put back in siap_validasi: its partner now names a record
    # that is not flagged, and the suite says so.
    query(dsn, """UPDATE kuota.penerima SET status = 'siap_validasi', alasan = NULL, partner_id = NULL
                  WHERE id = (SELECT min(id::text)::uuid FROM kuota.penerima
                              WHERE alasan = 'kemungkinan_orang_sama' AND provider IS NOT NULL) RETURNING 1""")
    with pytest.raises(quality.QualityError, match=r"quality\.penerima_kemiripan: expect_column_values_to_not_be_null\(partner_alasan\)"):
        quality.check_screening(dsn, "2020-09")


def test_a_placeholder_name_does_not_flood_the_index(dsn):
    """Sixty pupils born one day in one province (each in its own district) whose mother's name
    is a placeholder form one block of the index: skipped and reported, not 1,770 pairs. A real
    pair beside them is found."""
    rows = [(f"00000000-0000-0000-0000-{k:012d}", f"anak nomor {k}", "XXX" if k < 60 else "siti aminah")
            for k in range(62)]
    rows[61] = (rows[61][0], "anak nomor 60", "siti aminah")  # pupil 60 typed twice
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("""CREATE TEMP TABLE rekaman ON COMMIT DROP AS
                       SELECT 'pd'::text AS jenis, id::uuid, NULL::text AS alasan_k1, date '2010-05-05' AS tanggal_lahir,
                              '32' AS kode_provinsi, '32' || CASE WHEN n > 60 THEN '99' ELSE lpad(n::text, 2, '0') END AS kode_kabupaten,
                              lower(replace(nama, ' ', '')) AS nama_huruf, lower(replace(ibu, ' ', '')) AS ibu_huruf
                       FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS t(id, nama, ibu, n)""",
                    ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
        cur.execute("CREATE TEMP TABLE k2 (jenis text, id uuid, alasan text, partner_id uuid) ON COMMIT DROP")
        db.run(conn, "screen_kemiripan", {"periode": "2020-09", "ambang_kemiripan": 0.8})
        notices = list(conn.notices)
        cur.execute("SELECT id::text, partner_id::text FROM k2")
        flagged = cur.fetchall()
        cur.execute("SELECT count(*) FROM kuota.kemiripan")
        (scored,), = cur.fetchall()
        conn.rollback()
    assert any("1 blocks of more than 50 pupils skipped (60 pupils" in n for n in notices), notices
    assert sorted(flagged) == sorted([(rows[60][0], rows[61][0]), (rows[61][0], rows[60][0])])
    assert scored < 100
