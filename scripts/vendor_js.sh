#!/usr/bin/env bash
# Re-vendors the two npm packages the widget uses, at the pinned versions, from the npm
# registry (npm pack in a temp dir): socket.io-client for the widget (web/vendor/) and
# axe-core for the accessibility tests only (tests/browser/vendor/). Nothing is fetched at
# run time; this script is only for upgrading. Update the pins and web/vendor/README.md
# together; the sha256 checks below fail if a tarball's content differs from the pin.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKETIO_CLIENT=4.8.4
AXE_CORE=4.14.1
SOCKETIO_SHA256=d5d79a35039e860b32bdef4795528b05c2f788d4b2d9dacc913120e2878f7b3f
AXE_SHA256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "socket.io-client@$SOCKETIO_CLIENT" "axe-core@$AXE_CORE" >/dev/null)
mkdir -p "$tmp/sio" "$tmp/axe"
tar xzf "$tmp/socket.io-client-$SOCKETIO_CLIENT.tgz" -C "$tmp/sio"
tar xzf "$tmp/axe-core-$AXE_CORE.tgz" -C "$tmp/axe"
echo "$SOCKETIO_SHA256  $tmp/sio/package/dist/socket.io.min.js" | sha256sum -c --quiet
echo "$AXE_SHA256  $tmp/axe/package/axe.min.js" | sha256sum -c --quiet
cp "$tmp/sio/package/dist/socket.io.min.js" web/vendor/socket.io.min.js
cp "$tmp/sio/package/LICENSE" web/vendor/socket.io-client.LICENSE
cp "$tmp/axe/package/axe.min.js" tests/browser/vendor/axe.min.js
cp "$tmp/axe/package/LICENSE" tests/browser/vendor/axe-core.LICENSE
cp "$tmp/axe/package/LICENSE-3RD-PARTY.txt" tests/browser/vendor/axe-core.LICENSE-3RD-PARTY.txt
echo "vendored socket.io-client $SOCKETIO_CLIENT and axe-core $AXE_CORE"
