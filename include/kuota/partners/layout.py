"""Where every exchanged file lives (exchange.md §2-4): the one place the pipeline, the CLI and
the Airflow sensors build an object's key, so that a writer and a reader never disagree.

The simulators build their own paths from the contract on purpose: a misreading of it must not
be shared by the pipeline and the partners' stand-ins it is tested against.
"""

from __future__ import annotations

from ..infra.storage import join
from .manifest import manifest_uri

# -- providers (§2): <exchange>/provider/<provider>/<periode>/<validasi|injeksi>/ ----------


def provider_root(exchange_uri: str, provider: str, periode: str) -> str:
    return join(exchange_uri, "provider", provider, periode)


def provider_folder(exchange_uri: str, provider: str, periode: str, kind: str) -> str:
    """A provider's batches and answers of one kind in the period."""
    return join(provider_root(exchange_uri, provider, periode), kind)


def batch_uri(exchange_uri: str, provider: str, periode: str, kind: str, batch_id: str) -> str:
    return join(provider_folder(exchange_uri, provider, periode, kind), f"{batch_id}.csv.gz")


def answer_uri(exchange_uri: str, provider: str, periode: str, kind: str, batch_id: str) -> str:
    return join(provider_folder(exchange_uri, provider, periode, kind), f"{batch_id}.hasil.csv.gz")


def answer_manifest_uri(exchange_uri: str, provider: str, periode: str, kind: str, batch_id: str) -> str:
    """The answer is complete only once this exists (written last by the provider)."""
    return manifest_uri(answer_uri(exchange_uri, provider, periode, kind, batch_id))


# -- the verification portal (§3): <exchange>/portal/<periode>/ ----------------------------


def portal_root(exchange_uri: str, periode: str) -> str:
    return join(exchange_uri, "portal", periode)


def portal_folder(exchange_uri: str, periode: str, kind: str) -> str:
    """What schools send (``koreksi``, ``persetujuan``) and what they receive (``residu``,
    ``sptjm``)."""
    return join(portal_root(exchange_uri, periode), kind)


def portal_file_uri(exchange_uri: str, periode: str, kind: str, name: str) -> str:
    return join(portal_folder(exchange_uri, periode, kind), name)


def portal_manifest_uri(exchange_uri: str, periode: str, kind: str, name: str) -> str:
    """The manifest of a school's file ``<name>.csv``, named by the file's stem."""
    return join(portal_folder(exchange_uri, periode, kind), f"{name}.manifest.json")


def residu_folder(exchange_uri: str, periode: str) -> str:
    """The schools' residu files, ``<npsn>.csv`` each with its manifest."""
    return portal_folder(exchange_uri, periode, "residu")


def sptjm_uri(exchange_uri: str, periode: str, npsn: str, sptjm_no: str, ext: str = "csv") -> str:
    return join(portal_folder(exchange_uri, periode, "sptjm"), npsn, f"{sptjm_no}.{ext}")


def decisions_folder(exchange_uri: str, periode: str) -> str:
    """Where the principals' SPTJM decisions arrive."""
    return portal_folder(exchange_uri, periode, "persetujuan")


# -- quarantine: <exchange>/karantina/ mirrors where the file came from ----------------------


def answer_quarantine_uri(exchange_uri: str, provider: str, periode: str, kind: str, batch_id: str, tag: str) -> str:
    """The stem an answer is moved to (``.csv.gz``, ``.manifest.json``, ``.error.txt`` appended);
    ``tag``: the first 12 hex digits of its sha256."""
    return join(exchange_uri, "karantina", "provider", provider, periode, kind, f"{batch_id}.hasil-{tag}")


def portal_quarantine_uri(exchange_uri: str, periode: str, kind: str, name: str, tag: str) -> str:
    """The stem a school's file is moved to."""
    return join(exchange_uri, "karantina", "portal", periode, kind, f"{name}-{tag}")


# -- the period export (§4): <output>/<periode>/ -------------------------------------------


def export_folder(output_uri: str, periode: str) -> str:
    return join(output_uri, periode)


def export_uri(output_uri: str, periode: str, name: str) -> str:
    """``status_penerima.csv.gz``, ``rekap.csv``."""
    return join(export_folder(output_uri, periode), name)


def bast_uri(output_uri: str, periode: str, provider: str, ext: str = "csv") -> str:
    return join(export_folder(output_uri, periode), "bast", f"{provider}.{ext}")
