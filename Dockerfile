# The Airflow image of the pipeline: the official image plus the pinned requirements and the
# kuota package (its `kuota` CLI is the runbook's, e.g. `kuota redo-batch`). The development
# tools (tools/: generator, simulators, bench) are not copied: the runtime never imports them.
FROM apache/airflow:3.3.2-python3.11
# The SPTJM's and BAST's font (include/kuota/infra/pdf.py): Unicode names, printed whole.
USER root
RUN apt-get update -q && apt-get install -y -q --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY requirements.txt constraints.txt /opt/kuota/
RUN pip install --no-cache-dir -r /opt/kuota/requirements.txt -c /opt/kuota/constraints.txt
# Editable, from /opt/airflow: the package finds its SQL beside it (include/sql), and
# docker-compose.yaml mounts the working tree's include/ over this copy, so the CLI and the
# DAGs run the same code.  The airflow user owns the copy because the install writes
# include/kuota.egg-info.
COPY --chown=airflow:0 pyproject.toml /opt/airflow/
COPY --chown=airflow:0 include /opt/airflow/include
RUN pip install --no-cache-dir --no-deps -e /opt/airflow
