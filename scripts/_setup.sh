# Shared set-up for scripts/serve, scripts/test and scripts/evidence: idempotent, quick when already done.

ensure_ffmpeg() {
    command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ffmpeg (apt)…" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
    else
        echo "ffmpeg is missing: install it (Debian/Ubuntu: sudo apt-get install ffmpeg) and run again" >&2
        exit 1
    fi
}

# uv from PATH, or where an earlier `pip install --user uv` put it (not on PATH in a new shell).
ensure_uv() {
    command -v uv >/dev/null && return
    local dir
    for dir in "$HOME/.local/bin" "$(python3 -m site --user-base 2>/dev/null)/bin"; do
        if [ -x "$dir/uv" ]; then
            export PATH="$dir:$PATH"
            return
        fi
    done
    echo "installing uv (pip)…" >&2
    python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
    export PATH="$HOME/.local/bin:$(python3 -m site --user-base 2>/dev/null)/bin:$PATH"
}

ensure_python_env() {
    ensure_uv
    uv sync --frozen --quiet
}

# Node.js and npm (Debian's packages) for building the web application.
ensure_node() {
    command -v node >/dev/null && command -v npm >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing nodejs and npm (apt)…" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "node and npm are missing: install them (Debian/Ubuntu: sudo apt-get install nodejs npm) and run again" >&2
        exit 1
    fi
}

# Build web/ into web/dist when its sources, lock file or the OpenAPI document changed since the
# last build (a stamp of their hashes sits beside the build); quick when nothing changed.
ensure_web() {
    local stamp=web/dist/.source-hash now
    now=$(cd web && find src index.html package.json package-lock.json vite.config.ts tsconfig.json openapi.json \
              -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$now" ] && return
    ensure_node
    if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        echo "installing the web application's packages (npm ci)…" >&2
        (cd web && npm ci --no-audit --no-fund --loglevel=error)
    fi
    echo "building the web application…" >&2
    (cd web && npm run --silent build >/dev/null)
    echo "$now" > "$stamp"
}

# Debian's Chromium, for the browser tests (Playwright cannot download its own browser here).
ensure_chromium() {
    [ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing chromium (apt)…" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
    else
        echo "chromium is missing: install it (Debian/Ubuntu: sudo apt-get install chromium fonts-wqy-zenhei) and run again" >&2
        exit 1
    fi
}
