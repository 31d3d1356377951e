# One image for api, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg curl \
    && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY evidence ./evidence
COPY api ./api
COPY ingest ./ingest
COPY storage ./storage
COPY workers ./workers
COPY entrypoints ./entrypoints
COPY docking_station ./docking_station
RUN uv sync --frozen --no-dev && useradd --system --home /app evidence && chown -R evidence /app
ENV PATH="/app/.venv/bin:$PATH" EVIDENCE_DATA_DIR=/app/data
USER evidence
CMD ["evidence", "api", "--host", "0.0.0.0", "--port", "8000"]
