#!/usr/bin/env bash
# System packages the tests need: espeak-ng makes speech with a known text.
set -euo pipefail
if command -v espeak-ng >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing espeak-ng (speech for the tests)..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng >/dev/null
elif command -v brew >/dev/null 2>&1; then
  brew install espeak-ng
else
  echo "please install espeak-ng with your system's package manager" >&2
  exit 1
fi
