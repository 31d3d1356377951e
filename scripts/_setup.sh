# Shared set-up for scripts/serve and scripts/test: idempotent, quick when already done.

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

ensure_python_env() {
    if ! command -v uv >/dev/null; then
        echo "installing uv (pip)…" >&2
        python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
        export PATH="$HOME/.local/bin:$PATH"
    fi
    uv sync --frozen --quiet
}
