"""What every stage stands on and no rule of the programme lives in: the warehouse (db), the
object store (storage), manifests, the PDF writer, Great Expectations (gx) and the errors a
step raises."""
