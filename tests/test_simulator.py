"""The provider simulator itself: the partner the tests and the demo play against."""

from __future__ import annotations

import pytest

from kuota import periode
from kuota.infra.storage import Storage
from kuota.partners import exchange
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
