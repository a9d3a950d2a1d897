#!/usr/bin/env bash
# Installs what sohoa needs on a fresh Debian machine; quick and silent when all is there.
# System packages via apt-get (as root, or with sudo), Python packages into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils qpdf fonts-liberation2 ghostscript softhsm2 libnss3-tools wrk chromium)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
# Reinstall when the dependencies or their pinned versions change.
stamp=.venv/.sohoa-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  # constraints.txt: every package at the version the suite passed with, so installs repeat.
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
  # Tesseract in process (the `ocr` extra), from a wheel only: where none fits this machine,
  # sohoa runs the tesseract program instead (slower by the model's load on every page).
  .venv/bin/python -m pip install -q -c constraints.txt --only-binary tesserocr tesserocr \
    || echo "setup: no tesserocr wheel for this machine; Tesseract will run as a program"
  echo "$wanted" > "$stamp"
fi

# Other projects' test corpora (real odd and signed files) for the test suite, cached in build/.
bash scripts/fetch_corpora.sh
