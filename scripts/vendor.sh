#!/usr/bin/env bash
# Fetch the front-end packages named in package.json from the npm registry and copy the files
# the pages load into src/yingji/web/static/vendor/ (git-ignored, never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/yingji/web/static/vendor
if [ -f "$dest/.stamp" ] && [ "$dest/.stamp" -nt package.json ]; then exit 0; fi
npm install --no-package-lock --no-audit --no-fund --silent --ignore-scripts
rm -rf "$dest" && mkdir -p "$dest/htmx" "$dest/leaflet" "$dest/echarts"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images "$dest/leaflet/"
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts/"
touch "$dest/.stamp"
echo "front-end packages installed in $dest"
