"""What every step stands on and no rule of the programme lives in: the warehouse (db) and its
schema's versions (migrations), the object store (storage), the PDF writer, Great
Expectations (suites) and the errors a step raises."""
