# Stand-in for Astral's uv image (ghcr.io/astral-sh/uv:<version>): nothing but the uv and uvx binaries, at the
# root, as the official image has them. They come from uv's musllinux wheel on PyPI, whose binaries are
# statically linked like the official image's, so they run in any builder (the manylinux ones need glibc).
# The local python-build stand-in (it has pip; Debian's pip trusts the system CA bundle, the host's here)
ARG BASE_IMAGE

FROM ${BASE_IMAGE} AS fetch
ARG UV_VERSION
RUN pip download --quiet --no-deps --only-binary=:all: --platform "musllinux_1_1_$(uname -m)" --dest /tmp/wheel \
        "uv==${UV_VERSION}" \
 && python3 -m zipfile -e /tmp/wheel/uv-*.whl /tmp/uv \
 && install -D -m 0755 -t /out /tmp/uv/uv-"${UV_VERSION}".data/scripts/uv /tmp/uv/uv-"${UV_VERSION}".data/scripts/uvx

FROM scratch
COPY --from=fetch /out/ /
