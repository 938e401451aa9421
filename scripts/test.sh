#!/usr/bin/env bash
# Installs the test dependencies, then runs the whole test suite.
# DATABASE_URL picks the database (default: SQLite in ./var/test); extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
exec python3 -m pytest "$@"
