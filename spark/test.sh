#!/usr/bin/env bash
# Spark equality test (spark/test_equal.py): installs what it needs, then
# checks that spark/dedup.py in local mode finds exactly the clusters of
# `lineage dedup` on the Reuters bodies. Needs ../shared beside the repo
# (or LINEAGE_REUTERS=/path/to/reuters21578).
#
#   Java: a Debian JRE (openjdk-17-jre-headless) when `java` is missing.
#   Python: a virtualenv (LINEAGE_SPARK_VENV, default target/spark-venv)
#   with spark/requirements.txt from PyPI, reused while it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
apt_install() {
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v java >/dev/null 2>&1; then
    echo "spark/test.sh: installing a Java runtime (openjdk-17-jre-headless)"
    apt_install openjdk-17-jre-headless
fi

venv=${LINEAGE_SPARK_VENV:-target/spark-venv}
if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        echo "spark/test.sh: installing python3-venv"
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
fi
stamp="$venv/.lineage-requirements"
if ! cmp -s spark/requirements.txt "$stamp"; then
    echo "spark/test.sh: installing spark/requirements.txt into $venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r spark/requirements.txt
    cp spark/requirements.txt "$stamp"
fi

lineage=$(scripts/lineage_bin.sh debug)
reuters=${LINEAGE_REUTERS:-../shared/data/reuters21578}
if [ ! -d "$reuters" ]; then
    echo "spark/test.sh: no Reuters data at ../shared/data/reuters21578 (set LINEAGE_REUTERS)" >&2
    exit 2
fi
exec "$venv/bin/python" spark/test_equal.py --lineage "$lineage" --reuters "$reuters" --master 'local[2]'
