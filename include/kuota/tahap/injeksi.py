"""The injection group of a stage (exchange.md §2 injeksi): one request per recipient package
on an approved SPTJM (domain.md K5), at most one per recipient in the period (the database
refuses a second). ``berhasil`` is what the BAST pays; ``gagal`` makes the recipient residu
``injeksi_gagal``; a ``berhasil`` reported again is a provider anomaly, never counted twice.
The transport is the provider exchange's, shared with validasi; what an answer does to the
recipients is in sql/tahap/injeksi/."""

from __future__ import annotations

from ..partners.exchange import ProviderExchange

KIND = "injeksi"
# The group's steps (providers, plan, open_batches, recheck, run without Airflow).
EXCHANGE = ProviderExchange(KIND)
