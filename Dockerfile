# One image for every GROS service: the web app (gunicorn), the scheduler and the one-shot migration.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Pango and a font for WeasyPrint, which renders the monitor's parliament report as PDF.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install -e . "gunicorn>=22"
EXPOSE 8000
CMD ["gunicorn", "--workers", "2", "engine.web.app:create_app()"]
