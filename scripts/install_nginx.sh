#!/usr/bin/env bash
# Installs Debian's nginx for the production profile's load balancer (scripts/run_prod.sh lb),
# idempotent: nothing to do when nginx is on the PATH. Needs root or sudo on a fresh machine.
# nginx-light is enough (proxy, upstream, map); the package's own service is not used.
set -euo pipefail
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_nginx: need root (or sudo) to apt-get install nginx" >&2; exit 1; }
  SUDO="sudo"
fi
echo "Installing Debian's nginx for the load balancer..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
  || $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
[ -x /usr/sbin/nginx ] || { echo "install_nginx: nginx still missing after apt-get" >&2; exit 1; }
