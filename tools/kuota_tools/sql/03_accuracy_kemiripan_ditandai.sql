-- Benchmark only: the pairs the similarity index flagged in a period at the period's threshold
-- (the pairs behind kemungkinan_orang_sama), for the accuracy per kind of planted pair.
-- Params: periode.
SELECT k.id_a::text, k.id_b::text
FROM kuota.kemiripan k
JOIN kuota.periode_kebijakan v ON v.periode = k.periode
WHERE k.periode = %(periode)s AND NOT k.kembar AND k.skor >= (v.nilai ->> 'ambang_kemiripan')::real;
