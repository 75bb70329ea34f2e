"""Development tools beside the pipeline, never in its runtime image: the synthetic Dapodik
cutoff (generator, nama_varian), the partners' stand-ins (simulator: the providers,
school_simulator: the schools), the bench and the similarity index's accuracy against
ground truth and against Splink (accuracy, splink_reference). ``python -m kuota_tools``."""
