# nlp-service: CPU image. Build: docker build -t nlp-service .  Run: docker run -p 8080:8080 nlp-service
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# The CPU build of torch first (PyPI's default torch wheel is the multi-GB CUDA build),
# then everything else at the versions pinned in constraints.txt.
COPY constraints.txt pyproject.toml README.md ./
COPY nlp_service ./nlp_service
COPY models ./models
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -c constraints.txt . \
    && useradd --create-home --uid 10001 nlp \
    && mkdir -p /app/var && chown 10001 /app/var

USER 10001
# the PHI secret, the API key hashes, the audit log and the rate-limit counters live in /app/var (var/
# under WORKDIR): mount a volume there to keep them across containers. Create keys in the running
# container: docker exec <container> nlp-service keys create --name EHR --scopes records
ENV NLP_SERVICE__SERVICE__HOST=0.0.0.0 \
    NLP_SERVICE__SERVICE__PORT=8080 \
    NLP_SERVICE__PHI__TAGGER_MODEL=/app/models/phi_tagger
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["nlp-service", "serve"]
