# Distroless-like runtime images, in the manner of gcr.io/distroless/*-debian13:nonroot: the files of a few
# Debian packages, three users, a CA bundle and time zones; no shell, no package manager.
# Build with --build-arg PACKAGES="..." and --target static (no packages needed) or --target python3.
# The local Debian 13 stand-in (scripts/base_images.py passes it)
ARG BASE_IMAGE

FROM ${BASE_IMAGE} AS rootfs
ARG PACKAGES
# apt-get download fetches packages without installing them, so none of apt's or dpkg's own files
# and none of the maintainer scripts (which would need a shell) end up in the image
WORKDIR /download
RUN apt-get update -qq \
 && apt-get download -qq tzdata netbase media-types ${PACKAGES} \
 && mkdir /rootfs \
 && for deb in *.deb; do dpkg-deb -x "$deb" /rootfs; done
WORKDIR /rootfs
# Debian 13 keeps programs and libraries under /usr, but binaries still ask for /lib64/ld-linux-*.so
RUN for dir in bin sbin lib lib64; do if [ -d "usr/$dir" ]; then ln -s "usr/$dir" "$dir"; fi; done
# Manuals and bug-report hints are of no use without a shell; the copyright files stay, as distroless keeps them
RUN rm -rf usr/share/man usr/share/info usr/share/lintian usr/share/bug \
 && find usr/share/doc -type f ! -name copyright -delete
COPY distroless/passwd distroless/group distroless/nsswitch.conf etc/
# The CA bundle is the build machine's (it carries the CA of any TLS-inspecting proxy on the way)
RUN mkdir -p etc/ssl/certs tmp root home/nonroot \
 && cp /etc/ssl/certs/ca-certificates.crt etc/ssl/certs/ \
 && cp /usr/lib/os-release etc/os-release \
 && chmod 1777 tmp \
 && chmod 700 root home/nonroot \
 && chown 65532:65532 home/nonroot

FROM scratch AS static
COPY --from=rootfs /rootfs /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /home/nonroot

# PACKAGES names python3.13's packages; like distroless, the interpreter is the entrypoint
FROM static AS python3
ENTRYPOINT ["/usr/bin/python3.13"]
