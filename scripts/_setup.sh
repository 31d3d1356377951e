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
