#!/usr/bin/env bash
# Ensure Debian's Chromium (and fonts for Chinese text and emoji, so screenshots are legible) is
# installed for the browser tests (Playwright drives it; no test tool downloads a browser).
# Installs with apt when run as root; else says how.
set -euo pipefail
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
packages=(chromium fonts-wqy-microhei fonts-noto-color-emoji)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
(( ${#missing[@]} == 0 )) && exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "kefu: installing ${missing[*]} for the browser tests (once per machine)..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } > /tmp/kefu-chromium.log 2>&1 \
    || { tail -5 /tmp/kefu-chromium.log >&2; kefu_die "installing chromium failed (log: /tmp/kefu-chromium.log)"; }
else
  kefu_die "the browser tests need: sudo apt-get install ${missing[*]} (Debian/Ubuntu)."
fi
