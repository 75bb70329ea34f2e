-- The cockpit's aggregates (kuota.cockpit; the plugin's views read only these): the funnel,
-- the residu and the money per level (Indonesia, province, district, school) and provider, per
-- period and stage, as the pipeline's own steps last left them (cockpit/04_refresh_rekap.sql).
-- A view reads a few indexed rows, never the recipients, so it stays fast at national scale;
-- a stage's figures stay as of its end. tahap 0 is the monthly run's screening.
-- Written to be re-applied (IF NOT EXISTS). Applied once, recorded in kuota.schema_version.
CREATE SCHEMA IF NOT EXISTS cockpit;

-- The funnel: records at each step they reached (cutoff, screened, valid, on an approved SPTJM,
-- injected) and the GB injected. kode: '' for Indonesia, the BPS code of a province or district,
-- a school's NPSN, '-' unknown; induk: the level above's kode. provider '*' is every provider,
-- '-' none (a residu before a provider was known).
CREATE TABLE IF NOT EXISTS cockpit.funnel (
    periode          text NOT NULL,
    tahap            int NOT NULL CHECK (tahap >= 0),
    tingkat          text NOT NULL CHECK (tingkat IN ('indonesia', 'provinsi', 'kabupaten', 'sekolah')),
    kode             text NOT NULL,
    induk            text NOT NULL,
    provider         text NOT NULL,
    cutoff           bigint NOT NULL,
    screened         bigint NOT NULL,
    valid            bigint NOT NULL,
    sptjm_disetujui  bigint NOT NULL,
    injected         bigint NOT NULL,
    gb               bigint NOT NULL,
    PRIMARY KEY (periode, tahap, tingkat, induk, kode, provider)
);
CREATE INDEX IF NOT EXISTS funnel_kode ON cockpit.funnel (periode, tahap, tingkat, kode);

-- The residu by reason, per level (Indonesia, province, district, school).
CREATE TABLE IF NOT EXISTS cockpit.residu (
    periode  text NOT NULL,
    tahap    int NOT NULL CHECK (tahap >= 0),
    tingkat  text NOT NULL CHECK (tingkat IN ('indonesia', 'provinsi', 'kabupaten', 'sekolah')),
    kode     text NOT NULL,
    induk    text NOT NULL,
    alasan   text NOT NULL,
    jumlah   bigint NOT NULL CHECK (jumlah > 0),
    PRIMARY KEY (periode, tahap, tingkat, induk, kode, alasan)
);
CREATE INDEX IF NOT EXISTS residu_kode ON cockpit.residu (periode, tahap, tingkat, kode);

-- The money: the BAST per provider and package (tahap/ekspor/04_count_bast.sql's figures).
CREATE TABLE IF NOT EXISTS cockpit.bast (
    periode        text NOT NULL,
    tahap          int NOT NULL CHECK (tahap >= 0),
    provider       text NOT NULL,
    paket_gb       int NOT NULL,
    diminta        bigint NOT NULL,
    berhasil       bigint NOT NULL,
    gb_berhasil    bigint NOT NULL,
    gagal          bigint NOT NULL,
    tanpa_respons  bigint NOT NULL,
    menunggu       bigint NOT NULL,
    anomali        bigint NOT NULL,
    PRIMARY KEY (periode, tahap, provider, paket_gb)
);

-- When each stage's figures were last refreshed, and by which step.
CREATE TABLE IF NOT EXISTS cockpit.dihitung (
    periode  text NOT NULL,
    tahap    int NOT NULL CHECK (tahap >= 0),
    langkah  text NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (periode, tahap)
);
