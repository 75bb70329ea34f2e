"""One stage (tahap) of an opened period: one module per task group of the ``kuota_tahap`` DAG,
in the order a stage runs them: koreksi (the schools' corrections), validasi (the provider
validation exchange), sptjm (SPTJM issue and the principals' decisions), injeksi (the provider
injection exchange), rekonsiliasi (the reconciliation: the deadline's close, the checks) and ekspor (the period
export and the BAST). The period's own lifecycle (its opening, stages and closing) is
``kuota.periode``, shared with the monthly run that opens it."""
