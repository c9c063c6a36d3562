# Stand-in for debian:13-slim with Debian's Python, and for python:3.13-slim: Python 3.13 at
# /usr/bin/python3.13, the same interpreter the distroless-like python3 runtime carries.
# The local Debian 13 stand-in (scripts/base_images.py passes it)
ARG BASE_IMAGE

FROM ${BASE_IMAGE}
# Installing ca-certificates rewrites the CA bundle from Debian's list; the build machine's bundle
# (which trusts any TLS-inspecting proxy in front of PyPI) is put back afterwards
RUN cp /etc/ssl/certs/ca-certificates.crt /root/host-ca-certificates.crt \
 && apt-get update -qq \
 && apt-get install -qq -y --no-install-recommends python3 python3-venv python-is-python3 ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mv /root/host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
