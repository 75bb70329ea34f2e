"""Pipeline of the internet-quota aid programme (kuota belajar).

A plain package: nothing here imports Airflow, so every step is tested without it.
The DAGs in ``dags/`` only wire tasks to these functions.
"""

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
