-- Step: how many records a period's screening must hold: every loaded student and PTK of its
-- cutoff, plus every distinct readable id reported format_tidak_valid and not loaded.
-- Params: periode.
WITH c AS (SELECT cutoff_id FROM kuota.periode WHERE periode = %(periode)s)
SELECT (SELECT count(*) FROM snapshot.peserta_didik p, c WHERE p.cutoff_id = c.cutoff_id)
     + (SELECT count(*) FROM snapshot.ptk t, c WHERE t.cutoff_id = c.cutoff_id)
     + (SELECT count(DISTINCT (f.tabel, f.id_rekaman)) FROM snapshot.format_tidak_valid f, c
        WHERE f.cutoff_id = c.cutoff_id AND f.tabel IN ('peserta_didik', 'ptk') AND f.id_rekaman IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM snapshot.peserta_didik p
                          WHERE f.tabel = 'peserta_didik' AND p.cutoff_id = c.cutoff_id AND p.peserta_didik_id = f.id_rekaman)
          AND NOT EXISTS (SELECT 1 FROM snapshot.ptk t
                          WHERE f.tabel = 'ptk' AND t.cutoff_id = c.cutoff_id AND t.ptk_id = f.id_rekaman));
