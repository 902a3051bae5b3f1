#!/usr/bin/env bash
# Build the front-end assets that Tongchou's HTML reports inline.
# ECharts and htmx come from the npm registry, pinned in package.json/package-lock.json;
# never from a CDN. The copied files are build products (listed in .gitignore).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

assets=(
    "node_modules/echarts/dist/echarts.min.js:src/tongchou/web/static/echarts.min.js"
    "node_modules/htmx.org/dist/htmx.min.js:src/tongchou/web/static/htmx.min.js"
)

missing=0
for pair in "${assets[@]}"; do
    [ -f "${pair%%:*}" ] || missing=1
done
if [ "$missing" = 1 ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "build-assets: npm is required to fetch echarts and htmx (apt-get install npm)" >&2
        exit 1
    fi
    npm ci --no-audit --no-fund
fi

for pair in "${assets[@]}"; do
    src="${pair%%:*}"
    dest="${pair#*:}"
    mkdir -p "$(dirname "$dest")"
    if ! cmp -s "$src" "$dest"; then
        cp "$src" "$dest"
    fi
    echo "build-assets: $dest ($(wc -c <"$dest") bytes)"
done
