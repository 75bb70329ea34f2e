-- Run once by the postgres image on an empty volume (docker-entrypoint-initdb.d), as the
-- superuser: the Airflow metadata database and the warehouse, each owned by its own login
-- role.  The passwords come from the container's environment (docker-compose.yaml, .env),
-- never from this file.
\set ON_ERROR_STOP on
\getenv airflow_password AIRFLOW_DB_PASSWORD
\getenv kuota_password KUOTA_PG_PASSWORD
\if :{?airflow_password}
\else
  \set airflow_password ''
\endif
\if :{?kuota_password}
\else
  \set kuota_password ''
\endif
SELECT :'airflow_password' <> '' AND :'kuota_password' <> '' AS passwords_set \gset
\if :passwords_set
\else
  DO $$ BEGIN RAISE EXCEPTION 'AIRFLOW_DB_PASSWORD and KUOTA_PG_PASSWORD must be set (see .env.example and README)'; END $$;
\endif
CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
CREATE ROLE kuota LOGIN PASSWORD :'kuota_password';
CREATE DATABASE warehouse OWNER kuota;
