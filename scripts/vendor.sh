#!/usr/bin/env bash
# Copy the front-end packages pinned in package.json / package-lock.json into
# the repo, so that running Teamwork never needs npm or a network (no CDN).
#
#   scripts/vendor.sh
#
# - installs exactly the locked versions (npm ci, no install scripts) into a
#   temporary directory, never into the repo's node_modules/;
# - copies the few files the app and tests use, each with its licence:
#     static/vendor/pico/       pico.min.css            (served)
#     static/vendor/socket.io/  socket.io.min.js (+map) (served)
#     static/vendor/lucide/     the few icons used      (served: the vote thumbs, hand, lock, bell,
#                               drawn as CSS masks so they never depend on an emoji font)
#     tests/vendor/axe-core/    axe.min.js              (tests only, not served)
# - writes static/vendor/VERSIONS.txt (package@version, one per line).
# Safe to run again: each target directory is replaced as a whole.
# To upgrade a package: change its exact version in package.json, run
# `npm install --package-lock-only --ignore-scripts`, then this script, and
# commit package.json, package-lock.json and the copied files together.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

command -v npm >/dev/null 2>&1 || { echo "vendor.sh: npm is required (node 20+)" >&2; exit 1; }
for f in package.json package-lock.json; do
  [[ -f "$f" ]] || { echo "vendor.sh: missing $repo/$f" >&2; exit 1; }
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/teamwork-vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cp package.json package-lock.json "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
nm="$tmp/node_modules"

# copy_pkg PACKAGE DEST_DIR FILE... : FILE paths are relative to the package.
copy_pkg() {
  local pkg="$1" dest="$2"; shift 2
  local src="$nm/$pkg" f
  [[ -d "$src" ]] || { echo "vendor.sh: $pkg not installed" >&2; exit 1; }
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in "$@"; do
    [[ -f "$src/$f" ]] || { echo "vendor.sh: $pkg has no $f" >&2; exit 1; }
    cp "$src/$f" "$dest/$(basename "$f")"
  done
}

version_of() {
  node -p "require(process.argv[1]).version" "$nm/$1/package.json"
}

copy_pkg @picocss/pico    static/vendor/pico \
  css/pico.min.css LICENSE.md
copy_pkg socket.io-client static/vendor/socket.io \
  dist/socket.io.min.js dist/socket.io.min.js.map LICENSE
copy_pkg lucide-static   static/vendor/lucide \
  icons/thumbs-up.svg icons/thumbs-down.svg icons/hand.svg icons/lock.svg icons/bell.svg LICENSE
copy_pkg axe-core         tests/vendor/axe-core \
  axe.min.js LICENSE LICENSE-3RD-PARTY.txt

# One package@version per line (written by this script; do not edit by hand).
{
  for pkg in @picocss/pico socket.io-client lucide-static axe-core; do
    echo "$pkg@$(version_of "$pkg")"
  done
} > static/vendor/VERSIONS.txt

echo "vendor.sh: done"
cat static/vendor/VERSIONS.txt
