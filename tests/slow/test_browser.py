"""The UI in a browser (Playwright driving Debian's chromium): log in through the simple auth
manager's form, open the stage run's grid and its mapped send_batch instances, which must read
as their batch ids (map_index_template), not 0, 1, 2. The Kuota tab is test_ui_cockpit.py's
(after the redo, when the period has its export)."""

from __future__ import annotations

import re

import pytest

from .conftest import login

SEND = "validation.batch.send_batch"


@pytest.mark.usefixtures("chromium")  # first: no minutes of setup for a missing browser
def test_the_grid_shows_each_mapped_send_batch_by_its_batch_id(airflow, failed_stage, page, tmp_path):
    from playwright.sync_api import expect

    run_id = failed_stage["run_id"]
    # What the API says each instance is: map index -> batch id.
    expected = {ti["map_index"]: ti["rendered_map_index"] for ti in airflow.mapped("kuota_tahap", run_id, SEND)}
    assert len(expected) > 1 and set(expected.values()) == {
        b for (b,) in airflow.query("SELECT batch_id FROM kuota.batch WHERE jenis = 'validasi'")
    }, expected
    login(page, airflow, f"{airflow.url}/dags/kuota_tahap/runs/{run_id}")
    # The run's grid, every task group open: send_batch is a mapped task ("[ ]").
    expect(page.get_by_text("validation", exact=True)).to_be_visible()
    page.get_by_role("button", name="Expand all task groups").click()
    expect(page.get_by_text("send_batch [ ]").first).to_be_visible()
    cell = page.locator(f"a[href$='/runs/{run_id}/tasks/{SEND}/mapped']")
    expect(cell).to_have_count(1)
    page.screenshot(path=tmp_path / "grid.png", full_page=True)

    # Its cell in the run's column opens the mapped instances: each shown by its batch.
    cell.click()
    page.mouse.move(0, 0)  # no tooltip over the table
    page.wait_for_url(re.compile(rf"/tasks/{re.escape(SEND)}/mapped$"))
    for batch in expected.values():
        expect(page.get_by_text(batch, exact=True).first).to_be_visible()
    page.screenshot(path=tmp_path / "send_batch_mapped.png", full_page=True)
    shown = {}
    for link in page.locator(f"a[href*='/tasks/{SEND}/mapped/']").all():
        index = re.search(r"/mapped/(\d+)$", link.get_attribute("href"))
        text = link.inner_text().strip()
        if index:  # a row links its map index and its start date there
            shown.setdefault(int(index[1]), set()).add(text)
    # Each row shows its batch id at its map index, never a bare 0, 1, 2.
    assert sorted(shown) == sorted(expected), (shown, expected)
    assert all(expected[i] in texts and not [t for t in texts if t.isdigit()] for i, texts in shown.items()), shown
    assert (tmp_path / "grid.png").stat().st_size > 10_000
    print(f"screenshots: {tmp_path / 'grid.png'}, {tmp_path / 'send_batch_mapped.png'}")
