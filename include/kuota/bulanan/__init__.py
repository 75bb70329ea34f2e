"""The monthly run (``kuota_bulanan``) of a period, in the order it runs: snapshot (the cutoff
verified and loaded, the period opened), nomor (the numbers normalized), screening (every
record in one state, the similarity index), quality (the suites of each step) and residu (the
files back to the schools)."""
