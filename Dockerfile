# The pathways image: the CLI, the flows and the configuration.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .
COPY config ./config
COPY flows ./flows
RUN useradd --create-home pathways && mkdir -p /app/var && chown pathways /app/var
USER pathways
ENTRYPOINT ["pathways"]
CMD ["run"]
