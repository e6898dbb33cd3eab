#!/usr/bin/env bash
# Refreshes GraphiQL's vendored assets from the npm registry at the pinned
# versions below, and their SHA-256 sums (checked by TestVendoredAssets).
# npm verifies each package against the registry's integrity hash.
# Usage: internal/web/refresh-graphiql.sh   (needs npm and network access to
# the registry; commit the result).
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=3.8.3 # the last GraphiQL with a browser bundle (4 and later are ES modules only)
REACT=18.3.1   # the last React with browser bundles (UMD)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
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
echo "GraphiQL $GRAPHIQL and React $REACT vendored in $(pwd)/graphiql"
