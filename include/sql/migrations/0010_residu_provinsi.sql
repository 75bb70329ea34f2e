-- The residu files are written a province at a time, each province a mapped task
-- (kuota.bulanan.residu.write_residu_province, docs/national.md): each task reads its
-- province's residu, in school order, through this index instead of every residu row of the
-- period. Partial: only residu rows, a small share of the recipients, keep an entry.
CREATE INDEX IF NOT EXISTS penerima_residu_provinsi
    ON kuota.penerima (periode, kode_provinsi, npsn) WHERE status = 'residu';
