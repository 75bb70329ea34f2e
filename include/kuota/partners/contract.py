"""The file contracts of ../shared/spec/exchange.md, as data: Dapodik's cutoff (§1), the
providers' batches and answers (§2), the portal's files (§3), and the states and reasons
they carry (domain.md). Where each file lives is kuota.partners.layout.

Partners are written against these layouts: change them only with a new schema_version.
"""

SCHEMA_VERSION = 1

BENTUK_PENDIDIKAN = ("TK", "KB", "SD", "SMP", "SMA", "SMK", "SLB", "PKBM")
STATUS_SEKOLAH = ("aktif", "tutup")
JENIS_KELAMIN = ("L", "P")
STATUS_PD = ("aktif", "keluar", "lulus")
KEPEMILIKAN_HP = ("sendiri", "orang_tua", "wali", "saudara", "lainnya")
JENIS_PTK = ("guru", "kepala_sekolah", "tenaga_administrasi", "operator", "lainnya")
STATUS_PTK = ("aktif", "keluar")
JENIS_KELUAR = ("pensiun", "mengundurkan_diri", "diberhentikan", "meninggal", "mutasi")
# BPS province codes of the 34 provinces of 2020 (the cutoffs this pipeline was built for).
KODE_PROVINSI = (
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "21",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "51",
    "52",
    "53",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "72",
    "73",
    "74",
    "75",
    "76",
    "81",
    "82",
    "91",
    "94",
)
PROVIDERS = ("telkomsel", "indosat", "xl", "axis", "tri", "smartfren")
# Residu reasons screening can give, in precedence order (domain.md, "One reason per record").
SCREENING_REASONS = (
    "format_tidak_valid",
    "sekolah_tidak_aktif",
    "tidak_aktif",
    "bukan_sekolah_induk",
    "jenis_ptk_tidak_berhak",
    "penerima_pkh_pip",
    "nisn_tidak_valid",
    "nisn_konflik",
    "nisn_ganda",
    "rekaman_duplikat",
    "ptk_ganda",
    "kemungkinan_orang_sama",
    "nomor_kosong",
    "nomor_tidak_valid",
    "operator_tidak_didukung",
    "nomor_dipakai_bersama",
    "kepemilikan_kosong",
)
# Every recipient state and residu reason of a period (domain.md): later stages add to
# screening's, so a re-run's checks accept them.
RECIPIENT_STATES = (
    "residu",
    "siap_validasi",
    "dikirim_validasi",
    "valid",
    "sptjm_dicetak",
    "sptjm_disetujui",
    "dikirim_injeksi",
    "berhasil",
)
LATER_REASONS = (
    "nomor_tidak_aktif",
    "masa_tenggang",
    "tidak_dikenal_provider",
    "tanpa_respons_provider",
    "sptjm_ditolak",
    "injeksi_gagal",
)

# Cutoff export (§1): table -> columns in file order.  The first column is the record id.
CUTOFF_COLUMNS = {
    "sekolah": (
        "sekolah_id",
        "npsn",
        "nama",
        "bentuk_pendidikan",
        "status",
        "kode_provinsi",
        "kode_kabupaten",
    ),
    "peserta_didik": (
        "peserta_didik_id",
        "nisn",
        "nik",
        "nama",
        "jenis_kelamin",
        "tanggal_lahir",
        "nama_ibu_kandung",
        "sekolah_id",
        "tingkat_pendidikan",
        "status",
        "nomor_hp",
        "kepemilikan_hp",
        "penerima_pip",
        "penerima_pkh",
        "nomor_kip",
        "nomor_kps",
        "tanggal_masuk_sekolah",
    ),
    "ptk": (
        "ptk_id",
        "nuptk",
        "nik",
        "nama",
        "jenis_kelamin",
        "tanggal_lahir",
        "nama_ibu_kandung",
        "jenis_ptk",
        "sekolah_id",
        "ptk_induk",
        "status",
        "jenis_keluar",
        "nomor_hp",
        "kepemilikan_hp",
    ),
}
# Schools first: the other two tables reference them.
CUTOFF_TABLES = ("sekolah", "peserta_didik", "ptk")


def cutoff_file_name(table: str, names: list[str]) -> str | None:
    """The stored name of a cutoff table's file among ``names`` (plain or gzip)."""
    for candidate in (f"{table}.csv.gz", f"{table}.csv"):
        if candidate in names:
            return candidate
    return None


# Provider exchange (§2): what leaves for a provider and what comes back, per kind.
# Only these columns ever leave: no names, NISN, NIK or school data (data minimisation).
BATCH_COLUMNS = {"validasi": ("request_id", "msisdn"), "injeksi": ("request_id", "msisdn", "paket_gb")}
ANSWER_COLUMNS = {
    "validasi": ("request_id", "msisdn", "status"),
    "injeksi": ("request_id", "msisdn", "status", "alasan", "waktu_injeksi"),
}
ANSWER_STATUS = {
    "validasi": ("aktif", "tidak_aktif", "masa_tenggang", "pascabayar", "tidak_dikenal"),
    "injeksi": ("berhasil", "gagal"),
}
# A validation answer and what it makes of the recipients on that number (domain.md, K4):
# the new state, and the residu reason when it is not valid.
VALIDASI_OUTCOME = {
    "aktif": ("valid", None),
    "pascabayar": ("valid", None),
    "tidak_aktif": ("residu", "nomor_tidak_aktif"),
    "masa_tenggang": ("residu", "masa_tenggang"),
    "tidak_dikenal": ("residu", "tidak_dikenal_provider"),
}


# Verification portal (§3): what schools send, and the SPTJM each school receives.
PORTAL_IN_COLUMNS = {
    "koreksi": ("jenis", "id", "nomor_hp", "kepemilikan_hp", "waktu_koreksi"),
    "persetujuan": ("sptjm_no", "npsn", "keputusan", "waktu"),
}
KEPUTUSAN = ("disetujui", "ditolak")
SPTJM_COLUMNS = ("jenis", "id", "nama", "msisdn", "provider", "paket_gb")
# Reasons a number correction can resolve (domain.md, precedence lines 4-5 and the providers'
# answers); the others (format, K1, K2) are fixed in Dapodik, not in the portal.
CORRECTABLE_REASONS = (
    "nomor_kosong",
    "nomor_tidak_valid",
    "operator_tidak_didukung",
    "nomor_dipakai_bersama",
    "kepemilikan_kosong",
    "nomor_tidak_aktif",
    "masa_tenggang",
    "tidak_dikenal_provider",
    "tanpa_respons_provider",
    "sptjm_ditolak",
)
