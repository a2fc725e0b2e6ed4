FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries (harfbuzz-subset: much faster font subsetting) and CJK fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ./ledger
COPY api ./api
COPY projections ./projections
COPY scheduler ./scheduler
COPY templates ./templates
# Editable: the briefing templates are read from /app/templates beside the packages.
RUN pip install -e .

RUN useradd --create-home --uid 10001 taskledger \
    && mkdir -p /app/var \
    && chown taskledger:taskledger /app/var
USER taskledger

EXPOSE 8000
# Only `db init` makes a store (idempotent: a second start writes nothing).
CMD ["sh", "-c", "taskledger db init && exec taskledger serve"]
