#!/usr/bin/env bash
# Runs BioBlend test modules against a running Nebula, for development:
#   NEBULA_URL=http://127.0.0.1:8080 NEBULA_KEY=... scripts/bioblend.sh TestGalaxyHistories [-k name]
set -euo pipefail
module=$1; shift
BIOBLEND_GALAXY_URL=${NEBULA_URL:-http://127.0.0.1:8080} BIOBLEND_GALAXY_API_KEY=${NEBULA_KEY:?set NEBULA_KEY} \
  /usr/bin/python3 -m pytest -o python_files='Test*.py' -p no:cacheprovider -q -rs --tb=short \
  "/usr/lib/python3/dist-packages/bioblend/_tests/$module.py" "$@"
