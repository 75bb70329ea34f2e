"""The Kuota view in a browser (Playwright driving Debian's chromium), after the stage run is
green again (test_scheduler.py's redo, or this module's, when run alone): the funnel shown on
the run's Kuota tab equals the period export's counts (rekap.csv, exchange.md §4), in total
and for a province chosen by clicking it; the quarantined batch shows what to do about it.
Screenshots go to KUOTA_SCREENSHOTS (default: the test's tmp dir)."""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from .conftest import login

SEND = "validation.batch.send_batch"


def _green(airflow, stage) -> None:
    """The runbook's redo of the quarantined batch, unless it was done already."""
    dag, run_id = "kuota_tahap", stage["run_id"]
    if airflow.run(dag, run_id)["state"] == "success":
        return
    ((bad,),) = airflow.query(
        "SELECT b.batch_id FROM kuota.jawaban j JOIN kuota.batch b USING (batch_id) WHERE j.hasil = 'dikarantina'"
    )
    (index,) = [ti["map_index"] for ti in airflow.mapped(dag, run_id, SEND) if ti["rendered_map_index"] == bad]
    body = {"dag_run_id": run_id, "task_ids": [[SEND, index]], "include_downstream": True, "only_failed": False}
    airflow.api("POST", f"/api/v2/dags/{dag}/clearTaskInstances", json={**body, "dry_run": False})
    assert airflow.wait(dag, run_id)["state"] == "success"


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


@pytest.mark.usefixtures("chromium")  # first: no minutes of setup for a missing browser
def test_the_kuota_tab_shows_the_funnel_of_the_periods_export(airflow, failed_stage, storage_session, page, tmp_path):
    from playwright.sync_api import expect

    shots = Path(os.environ.get("KUOTA_SCREENSHOTS") or tmp_path)
    run_id, periode = failed_stage["run_id"], failed_stage["periode"]
    _green(airflow, failed_stage)
    # The export's counts: every record of the period once, by province, state and reason.
    text = storage_session.read_bytes(f"{airflow.output_uri}/{periode}/rekap.csv").decode()
    rekap = list(csv.DictReader(io.StringIO(text)))
    cutoff, injected = Counter(), Counter()
    for row in rekap:
        cutoff[row["kode_provinsi"]] += int(row["jumlah"])
        if row["status"] == "berhasil":
            injected[row["kode_provinsi"]] += int(row["jumlah"])
    assert sum(injected.values()) > 0
    province = max(cutoff, key=cutoff.get)

    login(page, airflow, f"{airflow.url}/dags/kuota_tahap/runs/{run_id}")
    # The plugin's tab on the run (a link among the run's tabs), its page in the tab's frame.
    page.locator(f"a[href$='/runs/{run_id}/plugin/kuota_run']").click()
    frame = page.frame_locator("iframe")
    expect(frame.locator("body")).to_have_attribute("data-loaded", periode)
    expect(frame.locator("#periode")).to_have_value(periode)  # the run's own period
    assert _number(frame.locator("[data-step=cutoff]").inner_text()) == sum(cutoff.values())
    assert _number(frame.locator("[data-step=injected]").inner_text()) == sum(injected.values())
    expect(frame.locator("#funnel-chart .main-svg").first).to_be_attached()  # the chart drew
    expect(frame.locator("#karantina [data-column=tindakan]").first).to_contain_text("Done")
    page.screenshot(path=shots / "cockpit-run-tab.png", full_page=True)
    frame.locator("#residu-chart").scroll_into_view_if_needed()
    page.screenshot(path=shots / "cockpit-residu.png")
    frame.locator("#karantina").scroll_into_view_if_needed()
    page.screenshot(path=shots / "cockpit-quarantines.png")

    # Down to the largest province by clicking it: its total is the export's too.
    frame.locator("#funnel a.down", has_text=re.compile(f"^{province}$")).click()
    expect(frame.locator("#provinsi")).to_have_value(province)
    total = frame.locator("#funnel tr.total")
    expect(total.locator("td[data-column=kode]")).to_have_text(province)
    assert _number(total.locator("td[data-column=cutoff]").inner_text()) == cutoff[province]
    assert _number(total.locator("td[data-column=injected]").inner_text()) == injected[province]
    expect(frame.locator("#funnel td[data-column=tingkat]", has_text="kabupaten").first).to_be_visible()
    page.screenshot(path=shots / "cockpit-province.png", full_page=True)

    # The same view from the navigation's Kuota entry.
    page.locator("a[href$='/plugin/kuota']").click()
    expect(page.frame_locator("iframe").locator("[data-step=cutoff]")).to_have_text(re.compile(r"\d"))
    page.screenshot(path=shots / "cockpit-nav.png", full_page=True)
    print(f"screenshots: {', '.join(str(p) for p in sorted(shots.glob('cockpit-*.png')))}")
