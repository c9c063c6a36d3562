# Stand-in for the official golang image: Debian 13 and the build machine's Go toolchain.
# The build context is that toolchain's GOROOT (for example /usr/local/go).
# The local Debian 13 stand-in (scripts/base_images.py passes it)
ARG BASE_IMAGE

FROM ${BASE_IMAGE}
ARG GOLANG_VERSION
COPY . /usr/local/go
# The same environment as the official image; GOTOOLCHAIN=local stops go from downloading another toolchain
ENV GOLANG_VERSION=${GOLANG_VERSION} \
    GOTOOLCHAIN=local \
    GOPATH=/go \
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
