# A local stand-in for rayproject/ray:<version>-py311-cpu, for machines that cannot pull it
# (scripts/build_images.sh builds the `ocr` target on it). The same contract KubeRay relies
# on: bash, wget, `ray` and `python` on PATH, user `ray` (uid 1000) with a home directory.
# scripts/build_images.sh passes BASE_IMAGE as the image id of its debootstrapped base.
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
ARG RAY_VERSION=2.60.0
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends wget \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
    && useradd --uid 1000 --create-home --shell /bin/bash ray
RUN --mount=type=secret,id=build-ca \
    if [ -s /run/secrets/build-ca ]; then export PIP_CERT=/run/secrets/build-ca; fi \
    && python3 -m venv /home/ray/venv \
    && /home/ray/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
        "ray[serve]==${RAY_VERSION}" \
    && chown -R ray:ray /home/ray
ENV PATH=/home/ray/venv/bin:$PATH
USER 1000
WORKDIR /home/ray
