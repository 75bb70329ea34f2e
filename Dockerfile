# The Airflow image of the pipeline: the official image plus the pinned requirements.
FROM apache/airflow:3.3.2-python3.11
COPY requirements.txt constraints.txt /opt/kuota/
RUN pip install --no-cache-dir -r /opt/kuota/requirements.txt -c /opt/kuota/constraints.txt
