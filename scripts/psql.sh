#!/usr/bin/env bash
# psql on the warehouse of $KUOTA_WAREHOUSE_DSN, as in README's "Inspecting a run". The DSN is
# handed to libpq through its environment (PGHOST ... PGPASSWORD), never as an argument: a
# password in psql's argv shows in ps. Usage: scripts/psql.sh [psql options], e.g. -c "select 1".
set -euo pipefail
: "${KUOTA_WAREHOUSE_DSN:?not set: eval \"\$(scripts/stack.sh env)\" first (or export it, README)}"
eval "$(python3 - <<'PY'
import os, shlex
from urllib.parse import unquote, urlsplit

dsn = urlsplit(os.environ["KUOTA_WAREHOUSE_DSN"])
parts = {
    "PGHOST": dsn.hostname,
    "PGPORT": dsn.port,
    "PGUSER": unquote(dsn.username or ""),
    "PGPASSWORD": unquote(dsn.password or ""),
    "PGDATABASE": unquote(dsn.path.lstrip("/")),
}
for name, value in parts.items():
    if value:
        print(f"export {name}={shlex.quote(str(value))}")
PY
)"
exec psql "$@"
