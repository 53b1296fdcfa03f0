#!/usr/bin/env bash
# System packages the tests need on a fresh Debian bookworm machine with no GPU:
# Mesa's lavapipe (Vulkan on the CPU) from bookworm-backports, since bookworm's own
# mesa 22.x is too old for Dawn's Vulkan backend, and Chromium for the browser tests.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Reuse the URI of the machine's existing Debian entry.
  uri=$(grep -hs -E '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources | head -n1 | awk '{print $2}')
  if [ -z "$uri" ]; then
    uri=$(grep -hs -E '^deb .*debian/? bookworm' /etc/apt/sources.list | head -n1 | awk '{print $2}')
  fi
  uri=${uri:-http://deb.debian.org/debian}
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
$SUDO apt-get install -y -qq libvulkan1 chromium >/dev/null
