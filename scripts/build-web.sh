#!/usr/bin/env bash
# Builds the web application (web/) into web/dist, which `cargo build --features web` embeds.
# node_modules and the npm cache live outside the clone (DEMINE_WEB_CACHE, default
# ~/.cache/demine/web): `npm ci` from the committed lockfile runs there, only when the lockfile
# changed, and web/node_modules is a (gitignored) symlink to it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DEMINE_WEB_CACHE:-$HOME/.cache/demine/web}"
command -v npm >/dev/null 2>&1 || { echo "build-web: npm is needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$cache"
if ! cmp -s "$root/web/package-lock.json" "$cache/package-lock.json" || [ ! -d "$cache/node_modules" ]; then
  cp "$root/web/package.json" "$root/web/package-lock.json" "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --cache "$cache/../npm-cache" >&2)
fi
if [ ! -L "$root/web/node_modules" ] || [ "$(readlink "$root/web/node_modules")" != "$cache/node_modules" ]; then
  rm -rf "$root/web/node_modules"
  ln -s "$cache/node_modules" "$root/web/node_modules"
fi
cd "$root/web"
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/vite build --logLevel warn
echo "web app built: $root/web/dist ($(du -sh dist | cut -f1))"
