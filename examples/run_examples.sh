#!/usr/bin/env bash
# Run the Python examples as their users would: in a fresh venv holding the kit's wheel and
# the examples' own test needs (from their pyproject.toml), each from a copy outside the
# repository (so nothing can import the kit from the checkout), with its own pytest settings.
#
#   bash examples/run_examples.sh WHEEL [PYTHON] [EXAMPLE ...]
#
# WHEEL is a built inngest_conformance wheel, PYTHON the interpreter to make the venvs with
# (default python3), EXAMPLE the folders under examples/ to run (default: every folder with
# a pyproject.toml).  Exits non-zero at the first example whose tests fail.
set -euo pipefail

if [[ $# -lt 1 || ! -f $1 ]]; then
    echo "usage: bash examples/run_examples.sh WHEEL [PYTHON] [EXAMPLE ...]" >&2
    exit 2
fi
wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
python=${2:-python3}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -eq 0 ]]; then
    set -- $(cd "$here" && for d in */pyproject.toml; do dirname "$d"; done)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/inngest-conformance-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH VIRTUAL_ENV PYTEST_ADDOPTS

copies=()
for name in "$@"; do
    if [[ ! -f $here/$name/pyproject.toml ]]; then
        echo "run_examples: no example $name (examples/$name/pyproject.toml)" >&2
        exit 2
    fi
    cp -R "$here/$name" "$work/$name"
    rm -rf "$work/$name/.venv" "$work/$name/build" "$work/$name"/*.egg-info
    copies+=("$work/$name[test]")
done

# One venv for all of them: their test needs are the same, and an install is the slow part.
"$python" -m venv "$work/venv"
venv_python=$work/venv/bin/python
"$venv_python" -m pip install -q --disable-pip-version-check "$wheel" "${copies[@]}"
# The kit under test is the wheel's, installed in the venv.
(cd "$work" && "$venv_python" -c '
import pathlib, sys, inngest_conformance
where = pathlib.Path(inngest_conformance.__file__).resolve()
venv = pathlib.Path(sys.prefix).resolve()
sys.exit(0 if venv in where.parents else f"the kit was imported from {where}, not the venv")
')

for name in "$@"; do
    echo "== examples/$name"
    (cd "$work/$name" && "$venv_python" -m pytest -q -p no:cacheprovider)
done
echo "== every example passed: $*"
