# Stand-in for the full python:3.13 image the seed's single-stage Dockerfile starts from:
# Python with pip, headers and a C compiler, so pip can build packages from source.
# The local python-builder stand-in (scripts/base_images.py passes it)
ARG BASE_IMAGE

FROM ${BASE_IMAGE}
# As in the python-builder recipe, the build machine's CA bundle survives the ca-certificates package
RUN cp /etc/ssl/certs/ca-certificates.crt /root/host-ca-certificates.crt \
 && apt-get update -qq \
 && apt-get install -qq -y --no-install-recommends build-essential python3-dev python3-pip \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mv /root/host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# The official image lets `pip install` write to the system Python; Debian forbids it (PEP 668) unless
# this marker file is gone
RUN rm /usr/lib/python3.13/EXTERNALLY-MANAGED
