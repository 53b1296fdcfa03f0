#!/usr/bin/env bash
# npm run gen [-- --check | --write-polys | --poly NAME | --no-polys | --list]
# Regenerates test/activations.mpmath.json and fits the m_poly_* lines of shaders/lib/math.wgsl
# (scripts/gen/main.py says what each flag does). Python with mpmath and numpy in .venv-gen,
# created here when missing; runs at nice 10 (the fits take a minute of one core).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-gen
if ! "$VENV/bin/python" -c 'import mpmath, numpy' 2>/dev/null; then
  echo "gen: creating $VENV (mpmath, numpy)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r scripts/gen/requirements.txt
fi
exec nice -n 10 "$VENV/bin/python" -B scripts/gen/main.py "$@"
