# Stand-ins for the official python:<version>-alpine image that the seed's Python Dockerfiles start from.
# What the seed's multi-stage build depends on is that image's layout: the standard library (without
# bytecode) and pip's installs both live under /usr/local/lib/python3.X, so copying that folder into a
# fresh base copies the standard library a second time. Debian keeps its standard library in /usr/lib, so
# both stand-ins move it under /usr/local and leave a link behind, where the interpreter still finds it.
# The local python-build stand-in (Python, pip, a C compiler), and the distroless-like python3 stand-in
# (needed only by the runtime target; scratch lets the build target parse without it)
ARG BASE_IMAGE
ARG RUNTIME_BASE_IMAGE=scratch

# The builder: python:alpine with build-base. Debian compiled bytecode for its standard library when the
# package was installed; the official image ships none, so it goes.
FROM ${BASE_IMAGE} AS build
# (/usr/local/lib/python3.13 exists already, holding Debian's empty dist-packages: merge into it)
RUN mkdir -p /usr/local/lib/python3.13 \
 && cp -a /usr/lib/python3.13/. /usr/local/lib/python3.13/ \
 && rm -rf /usr/lib/python3.13 \
 && ln -s ../local/lib/python3.13 /usr/lib/python3.13 \
 && find /usr/local/lib/python3.13 -name __pycache__ -prune -exec rm -rf {} +

# The fresh runtime: about the size of python:alpine (49 MB), and like the seed's, it runs as root.
# python:alpine has no C++ or OpenMP runtime (distroless python3 has them from distroless cc): they go.
FROM ${RUNTIME_BASE_IMAGE} AS distroless-python
FROM ${BASE_IMAGE} AS relocate
COPY --from=distroless-python / /rootfs
RUN find /rootfs/usr \( -name 'libstdc++*' -o -name 'libgomp*' -o -name libstdcxx \) -prune -exec rm -rf {} + \
 && mkdir -p /rootfs/usr/local/lib/python3.13 /rootfs/usr/local/bin \
 && cp -a /rootfs/usr/lib/python3.13/. /rootfs/usr/local/lib/python3.13/ \
 && rm -rf /rootfs/usr/lib/python3.13 \
 && ln -s ../local/lib/python3.13 /rootfs/usr/lib/python3.13

FROM scratch AS runtime
COPY --from=relocate /rootfs /
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["/usr/bin/python3"]
