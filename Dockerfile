# The pathways image: the CLI, the flows and the configuration.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# WeasyPrint (PDF documents) needs Pango, HarfBuzz's subsetter and a font at run time.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .
COPY config ./config
COPY flows ./flows
RUN useradd --create-home pathways && mkdir -p /app/var && chown pathways /app/var
USER pathways
ENTRYPOINT ["pathways"]
CMD ["run"]
