#!/usr/bin/env bash
# Refreshes the pages' vendored scripts from the npm registry at the pinned
# versions below — GraphiQL and React for /, Chart.js for /dashboard — and
# their SHA-256 sums (checked by TestVendoredAssets). npm verifies each
# package against the registry's integrity hash.
# Usage: internal/web/refresh-vendored.sh   (needs npm and network access to
# the registry; commit the result).
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.8.3 # the last GraphiQL with a browser bundle (4 and later are ES modules only)
REACT=18.3.1   # the last React with browser bundles (UMD)
CHARTJS=4.5.1  # Chart.js, whose UMD bundle needs nothing else
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "chart.js@$CHARTJS" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT" "chart.js-$CHARTJS"; do
  mkdir -p "$work/$pkg" && tar -xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" graphiql/
cp "$work/react-$REACT/package/umd/react.production.min.js" graphiql/
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" graphiql/
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  cp "$work/$pkg/package/LICENSE" "graphiql/LICENSE.${pkg%-*}"
done
(cd graphiql && sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js > SHA256SUMS)
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" > graphiql/VERSIONS
cp "$work/chart.js-$CHARTJS/package/dist/chart.umd.js" dashboard/
cp "$work/chart.js-$CHARTJS/package/LICENSE.md" dashboard/LICENSE.chart.js
(cd dashboard && sha256sum chart.umd.js > SHA256SUMS)
printf 'chart.js %s\n' "$CHARTJS" > dashboard/VERSIONS
echo "GraphiQL $GRAPHIQL, React $REACT and Chart.js $CHARTJS vendored in $(pwd)"
