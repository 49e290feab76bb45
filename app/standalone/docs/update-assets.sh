#!/usr/bin/env bash
# Re-fetches the Swagger UI files that package docs embeds, from the npm
# registry, into assets/ beside this script, and rewrites assets/README.md.
#
# The version and the tarball's integrity are pinned below. To move to another
# release, set VERSION, run the script with INTEGRITY= (empty) to be told the
# new tarball's integrity, check it against `npm view swagger-ui-dist@VERSION
# dist.integrity`, pin it, run again, then `go test ./app/standalone/docs/` and
# look at /docs in a browser.
#
# Only `npm pack` is used: it downloads the tarball without installing it, so
# no package script (such as the @scarf/scarf dependency's) ever runs.
set -euo pipefail

PKG=swagger-ui-dist
VERSION=5.35.0
INTEGRITY=${INTEGRITY-sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==}
# The minimal files: the bundle (with the UI's own dependencies inside), its
# stylesheet, a favicon, and the license texts that must travel with them.
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE)

here=$(cd "$(dirname "$0")" && pwd)
dest="$here/assets"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --json --ignore-scripts "$PKG@$VERSION" >pack.json)
got=$(node -e 'const p = require(process.argv[1])[0]; process.stdout.write(p.integrity)' "$tmp/pack.json")
if [ "$got" != "$INTEGRITY" ]; then
  echo "update-assets: $PKG@$VERSION has integrity $got, pinned $INTEGRITY" >&2
  exit 1
fi
mkdir "$tmp/x"
tar -xzf "$tmp/$PKG-$VERSION.tgz" -C "$tmp/x"
license=$(node -e 'process.stdout.write(require(process.argv[1]).license)' "$tmp/x/package/package.json")

mkdir -p "$dest"
for f in "${FILES[@]}"; do
  install -m 0644 "$tmp/x/package/$f" "$dest/$f"
done

{
  cat <<MD
# Swagger UI assets

Vendored, unmodified files from the npm package \`$PKG\`, embedded into the
standalone binary by package docs (\`../docs.go\`) so that \`/docs\` works with
no network access. Do not edit them by hand: run \`../update-assets.sh\`, which
fetches them with \`npm pack\` and rewrites this file.

- Package: \`$PKG\` version **$VERSION** (exact pin)
- Tarball integrity: \`$INTEGRITY\`
- License: **$license** — see [LICENSE](LICENSE) and [NOTICE](NOTICE); the
  licenses of the libraries bundled into \`swagger-ui-bundle.js\` are in
  [swagger-ui-bundle.js.LICENSE.txt](swagger-ui-bundle.js.LICENSE.txt).

| file | bytes |
| --- | ---: |
MD
  for f in "${FILES[@]}"; do
    printf '| %s | %s |\n' "$f" "$(wc -c <"$dest/$f" | tr -d ' ')"
  done
  cat <<'MD'

Only `swagger-ui-bundle.js`, `swagger-ui.css` and `favicon-32x32.png` are
served (under `/docs/assets/`); the page's own markup and start-up script are
in `../ui/`, not here. The `.map` source maps that the bundle and stylesheet
name are left out on purpose (about 2 MB); a browser asks for them only while
its developer tools are open, and gets a 404.
MD
} >"$dest/README.md"

echo "update-assets: $PKG@$VERSION ($license) copied to $dest" >&2
