# One image for every process of the suite; the command chooses the process (see docker-compose.yml).
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt requirements.lock ./
RUN pip install -r requirements.txt -c requirements.lock
COPY shared ./shared
COPY services ./services
COPY gateway ./gateway
COPY web ./web
RUN useradd --uid 10001 --no-create-home suite && mkdir -p /app/var && chown suite /app/var
USER 10001
ENV SUITE_VAR_DIR=/app/var
EXPOSE 8080 8081 8082 8083 8084 8085 8086 8087
CMD ["python", "-m", "shared.launcher"]
