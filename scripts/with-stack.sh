#!/usr/bin/env bash
# Run a command with the local stack up and its environment set; stop the stack
# afterwards only if this script started it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
started=0
status=$("$here/stack.sh" status)
if ! grep -q "postgres: up" <<<"$status" || ! grep -q "s3: up" <<<"$status"; then
  "$here/stack.sh" up
  started=1
elif ! grep -q "smtp: up" <<<"$status" || grep -q "redis: down" <<<"$status"; then
  "$here/stack.sh" up  # a stack started before the SMTP sink or Redis existed (or was installed): they join it
fi
trap '[ $started = 1 ] && "$here/stack.sh" down' EXIT
# Captured first, so that a failing `stack.sh env` (say, a cluster of another stack directory
# on this port) stops here with its message.
stack_env=$("$here/stack.sh" env)
eval "$stack_env"
"$@"
