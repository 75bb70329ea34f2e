-- Step: the files of a kind (koreksi, persetujuan) already loaded in the period, by name with
-- their sha256: the same file again is ignored, the same name with other bytes quarantined.
-- Params: periode, jenis.
SELECT nama, sha256 FROM kuota.berkas_portal WHERE periode = %(periode)s AND jenis = %(jenis)s AND hasil = 'dimuat'
