# sohoa: one image for the API, the queue workers and one-shot maintenance commands.
#   docker build -t sohoa .        (docker compose builds it for you)
FROM python:3.11-slim-bookworm

# Tesseract with Vietnamese and orientation data, poppler (pdftoppm, pdfsig), qpdf, the fonts
# the sample documents and PDF text layers use, ghostscript, and SoftHSM for PKCS#11 signing keys.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils qpdf fonts-liberation2 \
        ghostscript softhsm2 libnss3-tools \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/sohoa
COPY pyproject.toml README.md constraints.txt ./
COPY pipeline ./pipeline
COPY workers ./workers
COPY schemas ./schemas
COPY scripts ./scripts
# The runtime dependencies at the versions the test suite passed with (constraints.txt).
RUN pip install --no-cache-dir -c constraints.txt . \
    && { pip install --no-cache-dir -c constraints.txt --only-binary tesserocr tesserocr \
         || echo "no tesserocr wheel for this platform: Tesseract runs as a program"; }

# The document-type classifier is trained once, at build time, into the image: containers never
# race to train it and never download anything. Reviewers' corrections retrain it in $SOHOA_HOME.
RUN python scripts/train_classifier.py /opt/sohoa/models/type-classifier.pkl

# The container user owns the model: a model made stale by a new version, or retrained with the
# reviewers' corrections, is written back in place instead of failing on a root-owned file.
RUN useradd --create-home --uid 10001 sohoa && mkdir -p /var/lib/sohoa \
    && chown sohoa /var/lib/sohoa && chown -R sohoa /opt/sohoa/models
USER sohoa
ENV SOHOA_HOME=/var/lib/sohoa \
    SOHOA_CLASSIFIER_PATH=/opt/sohoa/models/type-classifier.pkl \
    OMP_THREAD_LIMIT=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/sohoa"]
ENTRYPOINT ["sohoa"]
CMD ["--help"]
