"""The provider simulator itself: the partner the tests and the demo play against."""

from __future__ import annotations

import json
import re

import pytest

from kuota import periode
from kuota.bulanan.residu import RESIDU_COLUMNS
from kuota.infra.storage import Storage
from kuota.partners import contract, exchange
from kuota.partners.manifest import file_manifest, manifest_name, now_iso
from kuota_tools import partner_contract
from kuota_tools.simulator import DEFAULT_SHARES, Fault, ProviderSimulator, parse_shares


@pytest.mark.parametrize("seed", [1, 2020, 777])
def test_answers_follow_the_shares_and_never_change_for_a_number(seed):
    sim = ProviderSimulator(Storage(), "s3://unused", "2020-09", seed=seed)
    numbers = [f"62812{n:08d}" for n in range(40_000)]
    answers = [sim.status_of(m) for m in numbers]
    for status, share in DEFAULT_SHARES.items():
        assert abs(answers.count(status) / len(numbers) - share) < 0.01, status
    assert answers == [sim.status_of(m) for m in numbers]
    assert (
        ProviderSimulator(Storage(), "s3://unused", "2020-09", seed=seed, shares=parse_shares("aktif=1")).status_of(
            numbers[0]
        )
        == "aktif"
    )


def test_bad_simulator_options_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="unknown fault"):
        Fault.parse("explode:xl")
    with pytest.raises(ValueError, match="unknown provider"):
        Fault.parse("corrupt:esia")
    assert Fault.parse("no_answer::3") == Fault("no_answer", None, 3)
    with pytest.raises(ValueError, match="add up to"):
        parse_shares("aktif=0.5")
    with pytest.raises(ValueError, match="unknown status"):
        parse_shares("hidup=1")


def test_the_default_deadline_is_the_periods_last_day_at_2359_wib():
    assert periode.parse_deadline("", "2020-09").isoformat() == "2020-09-30T23:59:00+07:00"
    assert periode.parse_deadline(None, "2020-12").isoformat() == "2020-12-31T23:59:00+07:00"
    assert periode.parse_deadline("2020-09-28T12:00:00+07:00", "2020-09").hour == 12
    with pytest.raises(exchange.ContractError, match="offset"):
        periode.parse_deadline("2020-09-28T12:00:00", "2020-09")


def test_the_partners_own_reading_of_the_contract_agrees_with_the_pipelines():
    """partner_contract reads exchange.md apart from kuota.partners: where both follow the
    contract, the same manifest byte for byte, the same names, columns and codes; where they
    read it differently, the difference is the one written down in partner_contract."""
    data = exchange.gzip_bytes(b"request_id,msisdn,status\nB-1,6281234567890,aktif\n")
    created_at = now_iso()
    for name, fields in (
        ("B-1.hasil.csv.gz", {"provider": "xl", "periode": "2020-09", "kind": "validasi", "batch_id": "B-1"}),
        ("20100001-0123456789ab.csv", {"npsn": "20100001"}),
        ("keputusan-0123456789ab.csv", {}),
    ):
        ours = partner_contract.manifest(name, data, 1, created_at, **fields)
        assert ours == file_manifest(name, data, 1, created_at, **fields), name
        assert partner_contract.manifest_name(name) == manifest_name(name)
    with pytest.raises(ValueError, match="not a data file"):
        partner_contract.manifest_name("SPTJM-2020-09-20100001-1.pdf")
    for stamp in (partner_contract.now_iso(), json.loads(partner_contract.manifest("x.csv", b"", 0))["created_at"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamp), stamp
    assert partner_contract.SCHEMA_VERSION == contract.SCHEMA_VERSION
    assert partner_contract.PROVIDERS == contract.PROVIDERS
    assert partner_contract.BATCH_COLUMNS == contract.BATCH_COLUMNS
    assert partner_contract.ANSWER_COLUMNS == contract.ANSWER_COLUMNS
    assert partner_contract.ANSWER_STATUS == contract.ANSWER_STATUS
    assert partner_contract.PORTAL_IN_COLUMNS == contract.PORTAL_IN_COLUMNS
    assert partner_contract.KEPUTUSAN == contract.KEPUTUSAN
    assert partner_contract.RESIDU_COLUMNS == RESIDU_COLUMNS
    # The readings differ on a record whose SPTJM was rejected: the partners read it as still
    # on an SPTJM in the period (exchange.md §3), so locked; the pipeline releases it.
    assert set(contract.CORRECTABLE_REASONS) - set(partner_contract.CORRECTABLE_REASONS) == {"sptjm_ditolak"}
    assert set(partner_contract.CORRECTABLE_REASONS) <= set(contract.CORRECTABLE_REASONS)


def test_a_provider_answers_only_a_batch_its_manifest_agrees_with(tmp_path):
    """exchange.md, Conventions: a data file whose rows or sha256 disagree with its manifest is
    never consumed, in either direction; the provider refuses it once, and answers the batch
    when it is sent again, whole."""
    ex, folder = str(tmp_path), tmp_path / "provider" / "xl" / "2020-09" / "validasi"
    folder.mkdir(parents=True)

    def send(batch_id: str, rows: list[str], manifest_rows: int | None = None, tamper: bytes = b"") -> None:
        data = exchange.gzip_bytes(("request_id,msisdn\n" + "".join(f"{r}\n" for r in rows)).encode())
        fields = {"provider": "xl", "periode": "2020-09", "kind": "validasi", "batch_id": batch_id}
        manifest = file_manifest(
            f"{batch_id}.csv.gz", data, len(rows) if manifest_rows is None else manifest_rows, now_iso(), **fields
        )
        (folder / f"{batch_id}.csv.gz").write_bytes(data + tamper)
        (folder / manifest_name(f"{batch_id}.csv.gz")).write_bytes(manifest)

    rows = [f"{batch}-{n},6281700000{n:03d}" for batch in ("good", "short", "bad") for n in range(3)]
    send("good", rows[:3])
    send("short", rows[3:6], manifest_rows=2)
    send("bad", rows[6:], tamper=b"x")
    sim = ProviderSimulator(Storage(), ex, "2020-09", providers=["xl"])
    events = {e["batch_id"]: e["action"] for e in sim.step()}
    assert events["good"] == "answered 3 rows"
    assert "rows is 2, short.csv.gz has 3" in events["short"] and events["short"].startswith("refused")
    assert "sha256" in events["bad"] and events["bad"].startswith("refused")
    assert sorted(p.name for p in folder.glob("*.hasil.*")) == ["good.hasil.csv.gz", "good.hasil.manifest.json"]
    assert sim.step() == []  # refused once, not again and again
    send("short", rows[3:6])  # sent again, whole
    assert [e["action"] for e in sim.step()] == ["answered 3 rows"]
