"""The similarity index (kemungkinan_orang_sama): one person under two NISNs is found with
its partner, twins and siblings are not, the threshold is a policy, and the edit functions
in SQL agree with a plain Python reading of "one slip apart"."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import random
import uuid

import pytest
from conftest import query
from test_screening import _load

from kuota import summary
from kuota.bulanan import kemiripan, quality, screening, snapshot
from kuota.infra import db
from kuota.infra.storage import join
from kuota.partners.contract import CUTOFF_COLUMNS, SCHEMA_VERSION, SCREENING_REASONS
from kuota_tools import accuracy, splink_reference

K2 = SCREENING_REASONS[
    SCREENING_REASONS.index("nisn_tidak_valid") : SCREENING_REASONS.index("kemungkinan_orang_sama") + 1
]


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
        return s[:pos] + s[pos + 1 :]
    if kind == 1:
        return s[:pos] + rng.choice("aiuxz") + s[pos:]
    if kind == 2:
        return s[:pos] + rng.choice("aiuxz") + s[pos + 1 :]
    if kind == 3 and pos + 1 < len(s):
        return s[:pos] + s[pos + 1] + s[pos] + s[pos + 2 :]
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
    # A word's letters are its folded name, its folded letters and its letters as typed alike.
    rows = query(
        dsn,
        """SELECT a, b, kuota.beda_satu_ketikan(a, b), (kuota.banding_nama(a, a, a, b, b, b)).skor
                         FROM unnest(%s::text[], %s::text[]) AS t(a, b)""",
        ([a for a, _ in pairs], [b for _, b in pairs]),
    )
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
@pytest.mark.heavy
def test_planted_pairs_are_found_with_their_partner_and_twins_are_not(dsn, storage, bucket, seed, period):
    uri = _load(dsn, storage, bucket, seed, students=8_000)
    screening.screen(period)
    planted = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"))
    twins = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"), "kembar")
    siblings = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"), "saudara")
    assert planted and twins and siblings
    flagged = query(
        dsn,
        """SELECT id::text, partner_id::text FROM kuota.penerima
                            WHERE periode = '2020-09' AND alasan = 'kemungkinan_orang_sama'""",
    )
    # Both records of every planted pair, each naming the other; nothing else.
    assert {tuple(sorted(pair)) for pair in flagged} == planted
    assert len(flagged) == 2 * len(planted)
    # Twins meet the index (same birth date, same mother) and are ruled out as twins.
    scored = {
        (a, b): kembar
        for a, b, kembar in query(
            dsn, "SELECT id_a::text, id_b::text, kembar FROM kuota.kemiripan WHERE periode = '2020-09'"
        )
    }
    assert all(scored.get(pair) is True for pair in twins)
    assert not siblings & set(scored)  # other birth dates: never even compared
    # Every dedup reason is exact on these labels (precision and recall 1).
    result = accuracy.evaluate(dsn, storage, join(uri, "labels.csv.gz"), "2020-09")
    k2 = {r["reason"]: r for r in result["reasons"] if r["reason"] in K2}
    assert set(k2) == set(K2)
    assert all(r["precision"] == 1 and r["recall"] == 1 for r in k2.values()), k2


@pytest.mark.heavy
def test_the_threshold_is_a_policy_recorded_with_the_period(dsn, storage, bucket, period):
    uri = _load(dsn, storage, bucket, seed=5, students=6_000)
    query(dsn, "INSERT INTO kuota.kebijakan VALUES ('ambang_kemiripan', '0.3', '2020-09-01', 'test') RETURNING 1")
    screening.screen(period)
    assert screening.policies(period)["ambang_kemiripan"] == 0.3
    # Every record of a scored pair at or above the period's threshold, twins aside, and only those.
    flagged = {
        rid for (rid,) in query(dsn, "SELECT id::text FROM kuota.penerima WHERE alasan = 'kemungkinan_orang_sama'")
    }
    above = query(dsn, "SELECT id_a::text, id_b::text FROM kuota.kemiripan WHERE skor >= 0.3 AND NOT kembar")
    assert flagged == {rid for pair in above for rid in pair}
    planted = splink_reference.planted_pairs(storage, join(uri, "labels.csv.gz"))
    assert set(above) >= planted and len(above) > len(planted)  # a low threshold flags look-alikes too


@pytest.mark.heavy
def test_ours_is_at_least_as_accurate_as_splink(dsn, storage, bucket, period):
    uri = _load(dsn, storage, bucket, seed=13, students=10_000)
    screening.screen(period)
    labels = join(uri, "labels.csv.gz")
    default = screening.policies(period)["ambang_kemiripan"]
    ours = {r["threshold"]: r for r in accuracy.evaluate(dsn, storage, labels, "2020-09")["similarity"]}[default]
    theirs = splink_reference.run(dsn, storage, labels, "2020-09")
    assert theirs["records"] > 9_000
    best = max(theirs["similarity"], key=lambda r: (r["precision"] or 0) + (r["recall"] or 0))
    assert ours["precision"] >= (best["precision"] or 0) and ours["recall"] >= best["recall"], (ours, best)


@pytest.mark.heavy
def test_screening_suite_fails_when_a_pair_is_broken(dsn, storage, bucket, period):
    _load(dsn, storage, bucket, seed=6, students=6_000)
    screening.screen(period)
    assert quality.check_screening(period)["failed"] == 0
    # One record of a flagged pair put back in siap_validasi: its partner now names a record
    # that is not flagged, and the suite says so.
    query(
        dsn,
        """UPDATE kuota.penerima SET status = 'siap_validasi', alasan = NULL, partner_id = NULL
                  WHERE id = (SELECT min(id::text)::uuid FROM kuota.penerima
                              WHERE alasan = 'kemungkinan_orang_sama' AND provider IS NOT NULL) RETURNING 1""",
    )
    with pytest.raises(
        quality.QualityError,
        match=r"quality\.penerima_kemiripan: expect_column_values_to_not_be_null\(partner_alasan\)",
    ):
        quality.check_screening(period)


def _syllable_names(rng: random.Random, count: int) -> list[str]:
    """Given names far apart: each starts and ends with three letters no other one has, and any
    two are at least three slips apart, so a one-slip copy of one is never one slip from another."""
    syllables = [c + v for c in "bcdfghjklmnprstwy" for v in "aiueo"]
    names, starts, ends = [], set(), set()
    while len(names) < count:
        first = "".join(rng.choice(syllables) for _ in range(3))
        last = "".join(rng.choice(syllables) for _ in range(2)) + rng.choice("nrstkm")
        name = f"{first.title()} {last.title()}"
        letters = first + last
        if (
            letters[:3] in starts
            or letters[-3:] in ends
            or any(_osa(letters, n.lower().replace(" ", "")) < 3 for n in names)
        ):
            continue
        starts.add(letters[:3])
        ends.add(letters[-3:])
        names.append(name)
    return names


def _one_slip(rng: random.Random, name: str) -> str:
    """The name with one typing slip (changed, added, dropped or swapped letters), anywhere:
    in the first or the last letters too, where a name-prefix key would not survive it."""
    while True:
        letters = [k for k, c in enumerate(name) if c.isalpha()]
        pos = rng.choice(letters)
        kind = rng.randrange(4)
        if kind == 0:
            typed = name[:pos] + name[pos + 1 :]
        elif kind == 1:
            typed = name[:pos] + rng.choice("aeiknrs") + name[pos:]
        elif kind == 2:
            typed = name[:pos] + rng.choice("aeiknrs") + name[pos + 1 :]
        elif pos + 1 < len(name) and name[pos + 1].isalpha():
            typed = name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
        else:
            continue
        plain, slipped = name.lower().replace(" ", ""), typed.lower().replace(" ", "")
        if _osa(plain, slipped) == 1:
            return typed


def _write_cutoff(storage, uri: str, tables: dict[str, list[dict]], cutoff_date: str = "2020-09-11") -> None:
    """A Dapodik cutoff as exchange.md section 1 has it: three gzip CSV files, then the manifest."""
    files = {}
    for table in ("sekolah", "peserta_didik", "ptk"):
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(CUTOFF_COLUMNS[table])
        writer.writerows([row[c] for c in CUTOFF_COLUMNS[table]] for row in tables[table])
        data = gzip.compress(text.getvalue().encode(), mtime=0)
        storage.write_bytes(join(uri, f"{table}.csv.gz"), data)
        files[f"{table}.csv.gz"] = {"rows": len(tables[table]), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "cutoff_date": cutoff_date,
        "created_at": "2020-09-11T00:00:00+07:00",
        "files": files,
    }
    storage.write_bytes(join(uri, "manifest.json"), json.dumps(manifest).encode())


@pytest.mark.heavy
def test_padded_block_of_5000_pupils_is_split_and_every_copy_is_flagged(dsn, storage, bucket, period):
    """100 pupils, each 50 times under 50 valid NISNs (40 copies as typed, 10 with one slip in
    the name, anywhere), all born one day to one mother's name in one school: one block of
    5,000 and more. It is split by finer keys and every copy is
    residu kemungkinan_orang_sama with a partner. Twins in the same block (same mother and birth
    date, given names far apart) still reach siap_validasi, and the run summary shows the block."""
    rng = random.Random(2026)
    school = str(uuid.UUID(int=rng.getrandbits(128)))
    names = _syllable_names(rng, 120)
    pupils, twin_names = names[:100], names[100:]
    serial = iter(range(1, 10**6))

    def student(nama: str) -> dict:
        k = next(serial)
        return {
            "peserta_didik_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "nisn": f"{3_000_000_000 + k * 7:010d}",
            "nik": f"32730150031{k:05d}",
            "nama": nama,
            "jenis_kelamin": "L",
            "tanggal_lahir": "2012-03-10",
            "nama_ibu_kandung": "Siti Aminah",
            "sekolah_id": school,
            "tingkat_pendidikan": "3",
            "status": "aktif",
            "nomor_hp": f"0812{20_000_000 + k:08d}",
            "kepemilikan_hp": "orang_tua",
            "penerima_pip": "false",
            "penerima_pkh": "false",
            "nomor_kip": "",
            "nomor_kps": "",
            "tanggal_masuk_sekolah": "2018-07-13",
        }

    copies: dict[str, list[str]] = {}
    rows = []
    for name in pupils:
        typed = [name] * 40
        while len(set(typed)) < 11:  # ten distinct one-slip copies
            typed.append(_one_slip(rng, name))
        typed = typed[:40] + list(dict.fromkeys(typed[40:]))[:10]
        mine = [student(t) for t in typed]
        copies[name] = [r["peserta_didik_id"] for r in mine]
        rows += mine
    # Twins: ten pairs whose given names differ entirely, ten that share a first word (they
    # meet in the name-prefix block too, and are scored there as twins).
    twins = []
    for k in range(0, 20, 2):
        a, b = twin_names[k], twin_names[k + 1]
        if k >= 10:
            b = a.split()[0] + " " + b.split()[1]
        twins.append((student(a), student(b)))
        rows += twins[-1]
    rng.shuffle(rows)
    assert len(rows) == 5_020 and len({r["nisn"] for r in rows}) == 5_020
    uri = f"s3://{bucket}/padded"
    _write_cutoff(
        storage,
        uri,
        {
            "sekolah": [
                {
                    "sekolah_id": school,
                    "npsn": "20212345",
                    "nama": "SD NEGERI 1 PADANG",
                    "bentuk_pendidikan": "SD",
                    "status": "aktif",
                    "kode_provinsi": "32",
                    "kode_kabupaten": "3273",
                }
            ],
            "peserta_didik": rows,
            "ptk": [
                {
                    "ptk_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "nuptk": "1234567890123456",
                    "nik": "3273014101800001",
                    "nama": "Ibu Guru",
                    "jenis_kelamin": "P",
                    "tanggal_lahir": "1980-01-01",
                    "nama_ibu_kandung": "Nenek",
                    "jenis_ptk": "guru",
                    "sekolah_id": school,
                    "ptk_induk": "true",
                    "status": "aktif",
                    "jenis_keluar": "",
                    "nomor_hp": "081399990000",
                    "kepemilikan_hp": "sendiri",
                }
            ],
        },
    )
    snapshot.run_snapshot(dsn, "2020-09", uri, storage)
    result = screening.run_screening(period)

    state = {
        rid: (status, alasan, partner)
        for rid, status, alasan, partner in query(
            dsn,
            "SELECT id::text, status, alasan, partner_id::text FROM kuota.penerima "
            "WHERE periode = '2020-09' AND jenis = 'pd'",
        )
    }
    owner = {rid: name for name, ids in copies.items() for rid in ids}
    for name, ids in copies.items():
        for rid in ids:
            status, alasan, partner = state[rid]
            # flagged, with a partner that is another copy of the same pupil
            assert (status, alasan) == ("residu", "kemungkinan_orang_sama"), (rid, state[rid])
            assert partner != rid and owner.get(partner) == name
    twin_ids = {r["peserta_didik_id"] for pair in twins for r in pair}
    assert all(state[rid][:2] == ("siap_validasi", None) for rid in twin_ids)
    # Twins sharing a first word meet in a small name-prefix block: scored and ruled out as twins.
    kembar = {(a, b): k for a, b, k in query(dsn, "SELECT id_a::text, id_b::text, kembar FROM kuota.kemiripan")}
    for a, b in twins[5:]:
        pair = tuple(sorted((a["peserta_didik_id"], b["peserta_didik_id"])))
        assert kembar.get(pair) is True, pair
    # Bounded: thousands of pairs, not the 12.6 million of comparing the block in full.
    assert len(kembar) < 20_000
    blocks = result["similarity_blocks"]
    assert blocks["murid"] == 5_020 and blocks["blok_terbesar"] == 5_020
    assert (
        blocks["blok_dipecah"] >= 1 and blocks["subblok_melebihi"] == 0 and blocks["perbandingan_maks"] <= 50 * 49 // 2
    )
    assert blocks["terbesar"][0] == {"kunci": "province+mother", "murid": 5_020, "profil": blocks["profil_terbesar"]}
    text = summary.summary(period)
    assert "similarity blocks: largest 5,020 pupils" in text and "blocks over 50 profiles split" in text
    assert "WARNING similarity index" not in text


def _index_only(dsn, rows: list[tuple]) -> tuple[list, list, dict, dict]:
    """The similarity index (kemiripan.index) alone on hand-made pupils (id, name, mother, district[, sex]; a boy
    unless said), all born one day: the notices, the flagged (id, partner) rows, the pairs
    scored ({(id_a, id_b): twins}) and the block sizes; nothing is kept."""
    rows = [(*row, "L")[:5] for row in rows]
    with db.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            """CREATE TEMP TABLE rekaman ON COMMIT DROP AS
                       SELECT 'pd'::text AS jenis, id::uuid, NULL::text AS alasan_k1,
                              date '2010-05-05' AS tanggal_lahir,
                              left(kab, 2) AS kode_provinsi, kab AS kode_kabupaten,
                              lower(regexp_replace(nama, '[^[:alpha:]]+', '', 'g')) AS nama_huruf,
                              lower(regexp_replace(ibu, '[^[:alpha:]]+', '', 'g')) AS ibu_huruf,
                              nama, ibu AS nama_ibu, jenis_kelamin
                       FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
                            AS t(id, nama, ibu, kab, jenis_kelamin)""",
            tuple(list(col) for col in zip(*rows, strict=True)),
        )
        cur.execute("CREATE TEMP TABLE k2 (jenis text, id uuid, alasan text, partner_id uuid) ON COMMIT DROP")
        kemiripan.index(conn, "2020-09", 0.8)
        notices = list(conn.notices)
        cur.execute("SELECT id::text, partner_id::text FROM k2")
        flagged = cur.fetchall()
        cur.execute("SELECT id_a::text, id_b::text, kembar FROM kuota.kemiripan")
        scored = {(a, b): kembar for a, b, kembar in cur.fetchall()}
        cur.execute("SELECT * FROM kuota.kemiripan_blok")
        blocks = dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))
        cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'kerja_' || pg_backend_pid()")
        assert cur.fetchone() == (0,), "the provinces' working tables outlived the index"
        conn.rollback()
    return notices, flagged, scored, blocks


def test_a_placeholder_mother_block_is_split_not_skipped(dsn):
    """Sixty pupils born one day in one province (each in its own district) whose mother's name
    is a placeholder form one block of 60: split by the name, not compared in full (1,770 pairs)
    and not skipped. A real pair beside them is found."""
    names = _syllable_names(random.Random(4), 61)
    rows = [(f"00000000-0000-0000-0000-{k:012d}", names[k], "XXX", f"32{k:02d}") for k in range(60)]
    rows += [
        ("00000000-0000-0000-0000-000000000060", names[60], "Siti Aminah", "3299"),
        ("00000000-0000-0000-0000-000000000061", _one_slip(random.Random(1), names[60]), "Siti Aminah", "3299"),
    ]
    notices, flagged, scored, blocks = _index_only(dsn, rows)
    assert sorted(flagged) == sorted([(rows[60][0], rows[61][0]), (rows[61][0], rows[60][0])])
    assert len(scored) < 100 and not notices
    assert blocks["blok_dipecah"] == 1 and blocks["blok_terbesar"] == 60 and blocks["subblok_melebihi"] == 0


def test_the_index_goes_a_province_at_a_time_and_sums_their_blocks(dsn):
    """Pupils of three provinces: the index passes each alone (its scratch space bounded by the
    largest province) and loses nothing by it. A slipped copy is found in each province, one
    pupil written alike in two provinces is never compared across them, and the period's block
    sizes are the provinces' summed: the split placeholder block of one province is the
    period's largest, the pair of another is counted beside it."""
    names = _syllable_names(random.Random(7), 64)
    rows = [(f"00000000-0000-0000-0001-{k:012d}", names[k], "XXX", f"32{k:02d}") for k in range(60)]
    pairs = []
    for k, kab in ((60, "3301"), (61, "1101")):
        first = (f"00000000-0000-0000-0002-{k:012d}", names[k], "Siti Aminah", kab)
        second = (f"00000000-0000-0000-0003-{k:012d}", _one_slip(random.Random(k), names[k]), "Siti Aminah", kab)
        rows += [first, second]
        pairs.append((first[0], second[0]))
    # One name, one mother, one day, in two provinces: two pupils, not one typed twice.
    rows += [
        ("00000000-0000-0000-0004-000000000062", names[62], "Dewi Sartika", "3302"),
        ("00000000-0000-0000-0004-000000000063", names[62], "Dewi Sartika", "1102"),
    ]
    notices, flagged, scored, blocks = _index_only(dsn, rows)
    assert sorted(flagged) == sorted([*pairs, *((b, a) for a, b in pairs)])
    assert (rows[-2][0], rows[-1][0]) not in scored, "compared across provinces"
    assert blocks["murid"] == len(rows) == blocks["profil"]
    assert blocks["blok_dipecah"] == 1 and blocks["blok_terbesar"] == 60 and blocks["subblok_melebihi"] == 0
    assert blocks["perbandingan"] == len(scored) and not notices
    assert blocks["terbesar"][0] == {"kunci": "province+mother", "murid": 60, "profil": 60}
    sizes = [(b["murid"], b["profil"]) for b in blocks["terbesar"]]
    assert len(sizes) == 5 and sizes == sorted(sizes, reverse=True)


def test_a_block_still_too_large_after_splitting_is_bounded_and_reported(dsn):
    """Eighty pupils of one name, born one day in one province with the same placeholder mother,
    each in another district: every split of their block still holds all 80. They are compared
    by sorted neighbourhood only (at most 20 neighbours each, not 3,160 pairs), every one of
    them is flagged (one name, one mother: the score says so), and the run says it loudly."""
    rows = [(f"00000000-0000-0000-0000-{k:012d}", "Muhammad Rizky", "XXX", f"32{k:02d}") for k in range(80)]
    notices, flagged, scored, blocks = _index_only(dsn, rows)
    assert blocks["subblok_melebihi"] >= 1 and blocks["murid_melebihi"] == 80
    assert any("still over 50 profiles after splitting (80 pupils)" in n for n in notices), notices
    assert {rid for rid, _ in flagged} == {r[0] for r in rows}
    assert len(scored) <= 80 * 20 + 80
