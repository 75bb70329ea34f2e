"""The synthetic cutoff: contract shape, determinism, and labels that match the data."""

from __future__ import annotations

import json
from collections import Counter

from helpers import read_csv

from kuota.partners.contract import CUTOFF_COLUMNS
from kuota.partners.manifest import sha256_file
from kuota_tools import generator
from kuota_tools.nama_varian import VARIAN_IBU, VARIAN_NAMA


def _generate(tmp_path, name, seed, students=2_500):
    out = tmp_path / name
    generator.generate(str(out), generator.Scale.for_students(students), seed=seed)
    return out


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = (_generate(tmp_path, n, s) for n, s in (("a", 7), ("b", 7), ("c", 8)))
    for name in ("sekolah.csv.gz", "peserta_didik.csv.gz", "ptk.csv.gz", "labels.csv.gz"):
        assert sha256_file(a / name) == sha256_file(b / name)
    assert sha256_file(a / "peserta_didik.csv.gz") != sha256_file(c / "peserta_didik.csv.gz")


def test_export_follows_the_contract(tmp_path, storage):
    out = _generate(tmp_path, "x", 5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == 1 and manifest["cutoff_date"] == "2020-09-11"
    for table, columns in CUTOFF_COLUMNS.items():
        rows = read_csv(storage, str(out / f"{table}.csv.gz"))
        assert tuple(rows[0]) == columns
        entry = manifest["files"][f"{table}.csv.gz"]
        assert entry["rows"] == len(rows) - 1
        assert entry["sha256"] == sha256_file(out / f"{table}.csv.gz")


def test_labels_point_at_real_rows_and_pairs(tmp_path, storage):
    out = _generate(tmp_path, "x", 13, students=40_000)
    pd = {r[0]: r for r in read_csv(storage, str(out / "peserta_didik.csv.gz"))[1:]}
    ptk = {r[0]: r for r in read_csv(storage, str(out / "ptk.csv.gz"))[1:]}
    rows = read_csv(storage, str(out / "labels.csv.gz"))[1:]
    seen = Counter(label for _, _, label, _, _ in rows)
    for label in (
        "nisn_ganda",
        "nisn_konflik",
        "rekaman_duplikat",
        "kemungkinan_orang_sama",
        "kembar",
        "nama_umum",
        "nomor_dipakai_bersama",
        "nomor_kosong",
        "nomor_tidak_valid",
        "format_tidak_valid",
        "bukan_sekolah_induk",
        "jenis_ptk_tidak_berhak",
    ):
        assert seen[label] > 0, label
    col = {name: i for i, name in enumerate(CUTOFF_COLUMNS["peserta_didik"])}
    kinds = Counter()
    for jenis, rid, label, partner, varian in rows:
        assert bool(varian) == (label == "kemungkinan_orang_sama"), (label, varian)
        table = pd if jenis == "pd" else ptk
        assert rid in table, (label, rid)
        if jenis != "pd" or not partner:
            continue
        me, other = pd[rid], pd[partner]
        if label == "nisn_ganda":  # same person, same NISN, another school
            assert me[col["nisn"]] == other[col["nisn"]] and me[col["sekolah_id"]] != other[col["sekolah_id"]]
            assert me[col["nama"]] == other[col["nama"]]
        elif label == "nisn_konflik":  # same NISN, another person
            assert me[col["nisn"]] == other[col["nisn"]] and me[col["nama"]] != other[col["nama"]]
        elif label == "rekaman_duplikat":  # same school, older enrolment
            assert me[col["sekolah_id"]] == other[col["sekolah_id"]]
            assert me[col["tanggal_masuk_sekolah"]] < other[col["tanggal_masuk_sekolah"]]
        elif label == "kemungkinan_orang_sama":  # another NISN, the name written another way
            assert me[col["nisn"]] != other[col["nisn"]] and me[col["tanggal_lahir"]] == other[col["tanggal_lahir"]]
            nama, ibu = varian.split("|")
            kinds[nama.split(":")[0]] += 1
            kinds["ibu " + ibu.split(":")[0]] += 1
            assert me[col["nama"]] != other[col["nama"]]
            assert (me[col["nama_ibu_kandung"]] == other[col["nama_ibu_kandung"]]) == (ibu == "sama")
        elif label == "nama_umum":  # one name, one birth date, two mothers: two children
            assert me[col["nama"]] == other[col["nama"]] and me[col["tanggal_lahir"]] == other[col["tanggal_lahir"]]
            assert not set(me[col["nama_ibu_kandung"]].split()) & set(other[col["nama_ibu_kandung"]].split())
        elif label == "kembar":  # same birth date and mother, another given name
            assert me[col["tanggal_lahir"]] == other[col["tanggal_lahir"]]
            assert (
                me[col["nama_ibu_kandung"]] == other[col["nama_ibu_kandung"]] and me[col["nama"]] != other[col["nama"]]
            )
    # Every kind of the name and of the mother's name is planted (both records carry it).
    assert set(kinds) == set(VARIAN_NAMA) | {"ibu " + k for k in VARIAN_IBU}, kinds
    shared = Counter(pd[rid][col["nomor_hp"]] for _, rid, label, _, _ in rows if label == "nomor_dipakai_bersama")
    assert all(n > 10 for n in shared.values())


def test_phone_numbers_are_typed_the_ways_operators_type_them(tmp_path, storage):
    out = _generate(tmp_path, "x", 21, students=5_000)
    col = CUTOFF_COLUMNS["peserta_didik"].index("nomor_hp")
    typed = [r[col] for r in read_csv(storage, str(out / "peserta_didik.csv.gz"))[1:]]
    forms = Counter()
    for number in typed:
        s = number.strip()
        forms["empty"] += s == ""
        forms["+62"] += s.startswith("+62") or s.startswith("(+62)")
        forms["62"] += s.startswith("628")
        forms["08"] += s.startswith("08")
        forms["8"] += s.startswith("8")
        forms["dash"] += "-" in s
        forms["space"] += " " in s
        forms["letter"] += any(ch.isalpha() for ch in s)
        forms["landline"] += s.startswith("02") or s.startswith("03") or s.startswith("04")
    assert all(forms[k] > 0 for k in ("empty", "+62", "62", "08", "8", "dash", "space", "letter", "landline")), forms
