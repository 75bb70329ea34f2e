"""
### kuota_bulanan: the monthly run of the internet-quota aid programme

It opens one period (`periode`, `YYYY-MM`) on its Dapodik cutoff export. Scheduled at 06:00
WIB on the 12th (the day after the cutoff; backfill over a date range with `airflow backfill
create`), a run is for the month of its logical date and reads the export at `cutoff_uri`
(`{periode}` replaced). The period opens with its deadline for answers (`batas_jawaban`,
default its last day 23:59 WIB) and its stage calendar (`hari_tahap`), stored once.

**Step 1, cutoff snapshot** (`cutoff_snapshot`)
1. `verify_manifest`: `periode` is a month (`YYYY-MM`); a closed period, or a new one whose
   deadline has already passed, is refused before anything is read. The export's
   `manifest.json` lists the three tables and nothing else; every file is present and its
   sha256 matches. A mismatch fails here, naming the file.
2. `load_snapshot`: a period already bound to another cutoff is refused before anything is
   loaded. Each table is streamed into PostgreSQL with `COPY`, type-checked in SQL
   and published, immutable, under its cutoff. Rows that break their type are reported as
   `format_tidak_valid` with their line (see the task log and
   `snapshot.format_tidak_valid`), never dropped. A file that cannot be read (a byte that is
   not UTF-8, a NUL byte, broken quoting or gzip) fails, naming the file, its line and the
   rule, with nothing of it loaded. Re-running is safe: tables already loaded are skipped,
   so a failed run picks up where it stopped.
3. `check_snapshot`: the Great Expectations suite of the loaded tables (keys present and
   unique, codes in their sets, row counts equal to the manifest), and the volume: rows per
   table and province against the previous cutoff, within the policy `ambang_volume_cutoff`
   (default ±20%) unless `pengecualian_volume_cutoff` waives it (README). The first cutoff
   has nothing to compare with and passes, as its log says. Its Data Docs go to
   `<output_uri>/<periode>/data_docs/snapshot/` (a failure names the page).

Contract and quality failures of these steps fail at once (no retry): a broken file does not
heal.

**Step 2, screening** (`screening`): every cutoff record of the period ends in exactly one
state in `kuota.penerima`: `residu` with the first reason that applies (domain.md precedence),
or `siap_validasi`.
1. `record_policies`: the policy values in force on the period's first day (`kuota.kebijakan`),
   recorded once for the period; re-runs and backfills reuse them.
2. `normalize_numbers`: what operators typed becomes an MSISDN, in SQL (`kuota.msisdn`).
3. `screen_records`: K1, K2 (NISN and PTK dedup, then the similarity index for one pupil
   under two NISNs: every scored pair in `kuota.kemiripan`, twins ruled out), numbers
   (provider by effective-dated prefix, shared numbers), K3, packages. Once per period: a
   re-run changes nothing.
4. `check_screening`: the GX suite: the states add up to the cutoff, one known reason per residu,
   every eligible record has its MSISDN, provider and package; Data Docs in
   `<output_uri>/<periode>/data_docs/screening/`.
5. `residu_provinces`, then `residu_to_schools` (a mapped task per province, which workers
   share: `[31 DKI Jakarta]`, ...): `portal/<periode>/residu/<npsn>.csv` (+ manifest) for every
   school with residu, and an empty one for a school whose residu is all resolved since; then
   `residu_rekap`: `portal/<periode>/rekap_residu.csv` (per province, district and school, by
   reason) and the residu naming no school. Only files whose content changed are rewritten.
6. `refresh_cockpit`: the figures of the *Kuota* view (the run's *Kuota* tab and the navigation
   entry) recounted as stage 0, the screening: the funnel and the residu per province,
   district, school and provider.

**Then the stages (tahap)**: this run opens the period. Trigger `kuota_tahap` with the period and
`tahap` 1, 2, ... (in 2020 around the 15th and the 28th): each stage run advances whatever is
ready (corrections, validation with providers, SPTJM, decisions, injection, reconciliation and
the period export) and returns; see that DAG's docs.

`run_summary` prints the counts of the run and the screening funnel. A failed run mails the
operators once (the failure callback; SMTP connection `kuota_smtp`, recipients `KUOTA_ALERT_TO`).

Connections: `kuota_warehouse` (PostgreSQL) and `kuota_s3` (AWS/S3, with `endpoint_url`
in its extra for MinIO or the local stack).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task, task_group

from kuota import periode, summary
from kuota.bulanan import quality, residu, screening, snapshot
from kuota.infra import migrations
from kuota.periode import Period
from kuota_airflow import (
    DAG_DEFAULTS,
    add_verdict,
    dsn,
    final,
    label_province,
    period_params,
    refresh_cockpit,
    run_name,
    run_period,
    run_periode,
    storage,
    strict,
    timetable,
)
from kuota_airflow.alerts import RunFailedAlert


@dag(
    dag_id="kuota_bulanan",
    doc_md=__doc__,
    # The day after Dapodik's cutoff (in 2020: the 11th), 06:00 WIB.
    schedule=timetable("KUOTA_JADWAL_BULANAN", "0 6 12 * *"),
    tags=["kuota", "bulanan"],
    params=period_params(
        cutoff_uri=Param(
            "s3://kuota/dapodik/cutoff-{periode}",
            type="string",
            description="The Dapodik cutoff export: s3://bucket/prefix or a local directory; "
            "{periode} is replaced by the period (YYYY-MM).",
        ),
        batas_jawaban=Param(
            None,
            type=["null", "string"],
            description="The period's deadline for answers, ISO 8601 with offset (e.g. "
            "2020-09-30T23:59:00+07:00), stored once when the period opens. Empty: the "
            "period's last day, 23:59 WIB. A deadline already passed is refused. "
            "Requests unanswered then become residu tanpa_respons_provider.",
        ),
        hari_tahap=Param(
            "15,28",
            type="string",
            pattern=r"^\s*[0-9]{1,2}(\s*,\s*[0-9]{1,2})*\s*$",
            description="The stage calendar, days of the month (1-28) on which kuota_tahap runs a "
            "stage; stored once when the period opens.",
        ),
    ),
    on_failure_callback=RunFailedAlert(),
    **DAG_DEFAULTS,
)
def kuota_bulanan():
    @task
    def prepare_warehouse() -> list[int]:
        """The warehouse's versioned migrations not yet applied (as `kuota migrate`): each
        numbered file once, recorded in kuota.schema_version."""
        return strict(migrations.migrate, dsn(), run_name())

    prepare = prepare_warehouse()

    @task_group(group_id="cutoff_snapshot")
    def cutoff_snapshot():
        @task
        def verify_manifest(params=None) -> dict:
            """The period's opening is checked first (a closed period, a deadline already
            passed), then the export: neither should cost a load."""
            p = run_periode(params)
            opening = strict(periode.check_opening, dsn(), p, params["batas_jawaban"], params["hari_tahap"])
            manifest = strict(snapshot.verify_cutoff, storage(), params["cutoff_uri"].replace("{periode}", p), p)
            return {"manifest": manifest, "opening": opening}

        @task
        def load_snapshot(verified: dict, params=None) -> dict:
            return final(
                snapshot.load_snapshot,
                dsn(),
                storage(),
                verified["manifest"],
                run_periode(params),
                verified["opening"],
                oleh=run_name(),
            )

        @task
        def check_snapshot(loaded: dict, params=None) -> dict:
            return final(
                quality.check_snapshot, dsn(), loaded["cutoff_id"], run_periode(params), docs=run_period(params)
            )

        check_snapshot(load_snapshot(verify_manifest()))

    @task_group(group_id="screening")
    def screening_steps():
        @task
        def record_policies(params=None) -> dict:
            return final(screening.policies, run_period(params))

        @task
        def normalize_numbers(params=None) -> dict:
            return final(screening.normalize_numbers, run_period(params))

        @task
        def screen_records(params=None) -> dict:
            return final(screening.screen, run_period(params))

        @task
        def check_screening(params=None) -> dict:
            return final(quality.check_screening, run_period(params))

        @task
        def residu_provinces(params=None) -> list[str]:
            return final(residu.provinces, run_period(params))

        @task(map_index_template="{{ province_label }}")
        def residu_to_schools(provinsi: str, params=None) -> dict:
            label_province(provinsi)
            return final(residu.write_residu_province, run_period(params), provinsi)

        @task
        def residu_rekap(params=None) -> dict:
            return final(residu.write_residu_rekap, run_period(params))

        provinces = residu_provinces()
        (
            record_policies()
            >> normalize_numbers()
            >> screen_records()
            >> check_screening()
            >> provinces
            >> residu_to_schools.expand(provinsi=provinces)
            >> residu_rekap()
            >> refresh_cockpit("screening", monthly=True)
        )

    @task(trigger_rule="all_done")
    def run_summary(params=None) -> str:
        text = summary.summary(Period(dsn(), run_periode(params)))
        print(text)
        return text

    prepare >> cutoff_snapshot() >> screening_steps() >> run_summary()
    add_verdict()


kuota_bulanan()
