#!/usr/bin/env bash
# Checks the premise of the Dockerfile's runtime stage without a registry (CI cannot pull
# node:20-slim): the built dist/ starts and runs a program with production dependencies only.
# Run after `npm run build`, with the engine and the sandbox image available.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=$(mktemp -d /tmp/sce-runtime-stage.XXXXXX)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$stage"' EXIT
cp package.json package-lock.json "$stage/"
cp -r dist public "$stage/"
(cd "$stage" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
cd "$stage"
NODE_ENV=production PORT=0 HOST=127.0.0.1 node dist/src/main.js >"$stage/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  url=$(grep -o 'listening on http://[^ ]*' "$stage/service.log" | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { cat "$stage/service.log"; echo "the runtime stage did not start" >&2; exit 1; }
node -e '
  fetch(process.argv[1] + "/run", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: "print(6 * 7)" }),
  })
    .then((r) => r.json())
    .then((body) => {
      if (body.output !== "42") throw new Error(JSON.stringify(body));
      console.log("runtime stage (production dependencies only): POST /run answered 42");
    })
    .catch((error) => { console.error(error); process.exit(1); });
' "$url"
kill -TERM "$pid"
wait "$pid"
