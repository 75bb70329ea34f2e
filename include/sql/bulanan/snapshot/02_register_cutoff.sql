-- Step: register a cutoff export once per content.  Params: cutoff_date, content_sha256,
-- source_uri, manifest.  Returns the cutoff's row (new or existing) for that content.
INSERT INTO snapshot.cutoff (cutoff_date, content_sha256, source_uri, manifest)
VALUES (%(cutoff_date)s, %(content_sha256)s, %(source_uri)s, %(manifest)s)
ON CONFLICT DO NOTHING;

SELECT cutoff_id, cutoff_date::text, content_sha256
FROM snapshot.cutoff
WHERE content_sha256 = %(content_sha256)s OR cutoff_date = %(cutoff_date)s;
