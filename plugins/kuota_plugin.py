"""The ``kuota`` Airflow plugin: the cockpit inside the Airflow UI, served by the api-server
itself (no second server). A *Kuota* entry in the navigation, and a *Kuota* tab on every run of
kuota_bulanan and kuota_tahap showing that run's period. The app and its pages live in
kuota_airflow.cockpit; the figures in kuota.cockpit.

The plugins folder holds this file and the package kuota_airflow; .airflowignore keeps the
plugin loader from importing the package's modules one by one (they are imported as a package).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from kuota_airflow.cockpit import app


class KuotaPlugin(AirflowPlugin):
    name = "kuota"
    fastapi_apps = [{"app": app, "url_prefix": "/kuota", "name": "Kuota cockpit"}]
    external_views = [
        {"name": "Kuota", "href": "kuota/", "destination": "nav", "url_route": "kuota"},
        {
            "name": "Kuota",
            "href": "kuota/?dag_id={DAG_ID}&run_id={RUN_ID}",
            "destination": "dag_run",
            "url_route": "kuota_run",
        },
    ]
