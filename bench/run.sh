#!/usr/bin/env bash
# `make bench`: every benchmark's figures, one after the other.
# Pass --cold to include a cold build (about 15 minutes on 2 cores).
set -euo pipefail
here=$(dirname "$0")
echo "== build"
bash "$here/build.sh" "$@"
echo "== lab"
bash "$here/lab.sh"
echo "== log reader"
bash "$here/log-reader.sh"
echo "== recording"
bash "$here/record.sh"
echo "== replay"
bash "$here/replay.sh"
