#!/usr/bin/env bash
# Fetches other projects' test corpora (real scanned, odd and signed PDFs and images) into
# build/corpora/: the source distributions of OCRmyPDF and pyHanko, unpacked. They are never
# committed. Idempotent and quiet when everything is there; exits 0 with a message when PyPI
# cannot be reached, so a machine without network still sets up.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPORA=build/corpora
SDISTS=(ocrmypdf==17.13.0 pyhanko==0.38.0)
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

all_unpacked=true
for spec in "${SDISTS[@]}"; do
  [ -f "$CORPORA/${spec/==/-}/.unpacked" ] || all_unpacked=false
done
$all_unpacked && exit 0

mkdir -p "$CORPORA/sdists"
exec 9>"$CORPORA/.lock"
flock 9  # test processes running in parallel fetch once
if ! "$PYTHON" -m pip download -q --no-deps --no-binary :all: --disable-pip-version-check \
    "${SDISTS[@]}" -d "$CORPORA/sdists" >"$CORPORA/pip-download.log" 2>&1; then
  echo "fetch_corpora: PyPI cannot be reached; real-file corpora not fetched (see $CORPORA/pip-download.log)"
  exit 0
fi

for spec in "${SDISTS[@]}"; do
  name=${spec%%==*}
  version=${spec##*==}
  target="$CORPORA/$name-$version"
  [ -f "$target/.unpacked" ] && continue
  archive=$(ls "$CORPORA/sdists/$name-$version".tar.gz 2>/dev/null || true)
  if [ -z "$archive" ]; then
    echo "fetch_corpora: $spec was not downloaded; skipped"
    continue
  fi
  rm -rf "$target"
  tar -xzf "$archive" -C "$CORPORA"
  touch "$target/.unpacked"
done
