#!/usr/bin/env bash
# System packages the tests need: espeak-ng makes speech with a known text; chromium runs
# the web page's browser tests (Playwright drives it; its own browser download is not used).
set -euo pipefail
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing ${missing[*]} (speech and a browser for the tests)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
  for package in "${missing[@]}"; do
    [ "$package" = chromium ] && brew install --cask chromium || brew install "$package"
  done
else
  echo "please install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
