-- Step: an answer moved under karantina/ (exchange.md §2), recorded with its error: a batch
-- whose answer is quarantined and not redone fails the stage's check_exchange, naming it. The
-- same bytes quarantined again only refresh the time. Params: batch_id, sha256, pesan, karantina.
INSERT INTO kuota.jawaban (batch_id, sha256, hasil, pesan, karantina)
VALUES (%(batch_id)s, %(sha256)s, 'dikarantina', %(pesan)s, %(karantina)s)
ON CONFLICT (batch_id, sha256) DO UPDATE SET diterima_at = now()
