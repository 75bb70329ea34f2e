-- Step: apply a checked corrections file (temp table berkas_masuk) in one transaction
-- (domain.md flow 6): each record's number is normalized and screened again by the number
-- lines (empty, not a mobile number, no partner provider, shared by too many, ownership) and
-- the record re-enters validation in this stage (tahap), or goes back to residu with the new
-- reason. Refused, recorded and reported, never applied: a record of another school than the
-- one that submitted the file (its manifest's npsn: a school corrects only its own records,
-- exchange.md §3), a record on an SPTJM that stands (its number is locked), a residu that no
-- number fixes (format, K1, K2), a correction older than one applied already, and all but the
-- latest correction of a record in the file.
-- Params: periode, berkas, nama, sha256, baris, tahap, correctable, npsn. Returns counts by key
-- (koreksi_sekolah_lain: the refused rows of another school's records, among koreksi_ditolak).
INSERT INTO kuota.berkas_portal (periode, jenis, nama, sha256, hasil, tahap, baris)
VALUES (%(periode)s, 'koreksi', %(nama)s, %(sha256)s, 'dimuat', %(tahap)s, %(baris)s)
-- The same bytes quarantined before for their manifest alone (a wrong row count, a missing
-- field), sent again with a good one: loaded now; the error file stays under karantina/.
ON CONFLICT (periode, jenis, nama, sha256) DO UPDATE
  SET hasil = 'dimuat', tahap = EXCLUDED.tahap, baris = EXCLUDED.baris, pesan = NULL, karantina = NULL,
      diterima_at = now();

CREATE TEMP TABLE koreksi_baru ON COMMIT DROP AS
SELECT m.baris, m.jenis, m.id::uuid AS id, coalesce(m.nomor_hp, '') AS nomor_hp,
       nullif(m.kepemilikan_hp, '') AS kepemilikan_hp, m.waktu_koreksi::timestamptz AS waktu_koreksi,
       kuota.msisdn(coalesce(m.nomor_hp, '')) AS msisdn, coalesce(m.nomor_hp, '') ~ '^\s*$' AS kosong,
       p.status, p.alasan, p.npsn IS DISTINCT FROM %(npsn)s AS sekolah_lain,
       (SELECT sp.sptjm_no FROM kuota.sptjm_penerima sp
        WHERE sp.periode = p.periode AND sp.jenis = p.jenis AND sp.id = p.id AND NOT sp.ditolak) AS sptjm_no,
       (SELECT max(k.waktu_koreksi) FROM kuota.koreksi k
        WHERE k.periode = p.periode AND k.jenis = p.jenis AND k.id = p.id AND k.hasil = 'diterapkan') AS terakhir,
       row_number() OVER (PARTITION BY m.jenis, m.id ORDER BY m.waktu_koreksi::timestamptz DESC, m.baris DESC) AS ke
FROM berkas_masuk m
JOIN kuota.penerima p ON p.periode = %(periode)s AND p.jenis = m.jenis AND p.id = m.id::uuid;

CREATE TEMP TABLE koreksi_putus ON COMMIT DROP AS
SELECT k.*,
       CASE WHEN k.sekolah_lain  -- first: nothing about another school's record is told back
              THEN format('the record is not of school %%s, which submitted the file (its manifest''s npsn): '
                          'a school corrects only its own records', %(npsn)s)
            WHEN k.sptjm_no IS NOT NULL THEN format('the record is on %%s: its number is locked for the period', k.sptjm_no)
            WHEN k.status = 'residu' AND NOT (k.alasan = ANY (%(correctable)s))
              THEN format('residu %%s is not fixed by a number: correct the record in Dapodik', k.alasan)
            WHEN k.ke > 1 THEN 'a later correction of the same record in this file applies'
            WHEN k.waktu_koreksi <= k.terakhir
              THEN format('older than the correction applied already (%%s)', k.terakhir)
       END AS pesan
FROM koreksi_baru k;

INSERT INTO kuota.koreksi (periode, berkas, baris, jenis, id, nomor_hp, kepemilikan_hp, waktu_koreksi, tahap,
                           hasil, pesan)
SELECT %(periode)s, %(berkas)s, baris, jenis, id, nomor_hp, kepemilikan_hp, waktu_koreksi, %(tahap)s,
       CASE WHEN pesan IS NULL THEN 'diterapkan' ELSE 'ditolak' END, pesan
FROM koreksi_putus;

-- The number lines again (domain.md precedence 4-5), for the corrections applied: the provider
-- in force on the period's first day; the shared-number count over the period's records that
-- a number can still make eligible, this one included.
CREATE TEMP TABLE koreksi_nomor ON COMMIT DROP AS
SELECT k.jenis, k.id, k.msisdn, pp.provider,
       CASE WHEN k.kosong THEN 'nomor_kosong'
            WHEN k.msisdn IS NULL THEN 'nomor_tidak_valid'
            WHEN pp.provider IS NULL THEN 'operator_tidak_didukung'
            WHEN 1 + (SELECT count(*) FROM kuota.penerima o
                      WHERE o.periode = %(periode)s AND o.msisdn = k.msisdn AND (o.jenis, o.id) <> (k.jenis, k.id)
                        AND (o.status <> 'residu' OR o.alasan = ANY (%(correctable)s)))
                 > (SELECT (nilai ->> 'batas_nomor_bersama')::int FROM kuota.periode_kebijakan
                    WHERE periode = %(periode)s)
              THEN 'nomor_dipakai_bersama'
            WHEN k.kepemilikan_hp IS NULL THEN 'kepemilikan_kosong'
       END AS alasan
FROM koreksi_putus k
LEFT JOIN kuota.prefix_provider pp
       ON pp.prefix = '0' || substr(k.msisdn, 3, 3) AND pp.berlaku_mulai <= (%(periode)s || '-01')::date
      AND (pp.berlaku_sampai IS NULL OR (%(periode)s || '-01')::date < pp.berlaku_sampai)
WHERE k.pesan IS NULL;

WITH diubah AS (
  UPDATE kuota.penerima p
  SET msisdn = n.msisdn, provider = n.provider,
      status = CASE WHEN n.alasan IS NULL THEN 'siap_validasi' ELSE 'residu' END,
      alasan = n.alasan, tahap = %(tahap)s, diubah_at = now()
  FROM koreksi_nomor n
  WHERE p.periode = %(periode)s AND p.jenis = n.jenis AND p.id = n.id
  RETURNING p.status
)
SELECT 'koreksi_' || CASE WHEN pesan IS NULL THEN 'diterapkan' ELSE 'ditolak' END, count(*) FROM koreksi_putus GROUP BY 1
UNION ALL
SELECT 'koreksi_sekolah_lain', count(*) FROM koreksi_putus WHERE sekolah_lain HAVING count(*) > 0
UNION ALL
SELECT 'penerima_' || status, count(*) FROM diubah GROUP BY 1
ORDER BY 1
