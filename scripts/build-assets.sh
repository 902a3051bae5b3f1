#!/usr/bin/env bash
# Build the front-end assets that Tongchou's HTML reports inline.
# ECharts comes from the npm registry, pinned in package.json/package-lock.json;
# never from a CDN. The copied file is a build product (listed in .gitignore).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

src="node_modules/echarts/dist/echarts.min.js"
dest="src/tongchou/web/static/echarts.min.js"

if [ ! -f "$src" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "build-assets: npm is required to fetch echarts (apt-get install npm)" >&2
        exit 1
    fi
    npm ci --no-audit --no-fund
fi

mkdir -p "$(dirname "$dest")"
if ! cmp -s "$src" "$dest"; then
    cp "$src" "$dest"
fi
echo "build-assets: $dest ($(wc -c <"$dest") bytes)"
