#!/bin/sh
# Assembles the root file system of the scratch runtime from the build image's own Debian Python:
# the interpreter, the shared libraries it loads, the standard library a web service uses, the CA bundle,
# a non-root user and the package metadata that lets a scanner see them. Nothing else: no shell, no package
# manager, no pip.
#
# Usage: scratch-rootfs.sh PYTHON_VERSION ROOTFS
set -eu

version="$1"
rootfs="$2"
stdlib="/usr/lib/python$version"
dynload="$rootfs$stdlib/lib-dynload"

mkdir -p "$rootfs/usr/bin" "$rootfs/usr/lib" "$rootfs/etc/ssl/certs" "$rootfs/usr/lib/ssl"

# The interpreter. Debian links the whole runtime into this one file, so there is no libpython to copy.
cp "/usr/bin/python$version" "$rootfs/usr/bin/"
ln -s "python$version" "$rootfs/usr/bin/python3"

# The standard library, without what a web service never imports: the IDE, Tk, the pip bootstrapper,
# the REPL, demos, documentation data, CPython's own test suite and test extension modules, terminal
# libraries (curses, readline) and the Berkeley DB module. Debian's bytecode goes too (see the Dockerfile).
cp -a "$stdlib" "$rootfs/usr/lib/"
(
    cd "$rootfs$stdlib"
    rm -rf idlelib tkinter turtle.py turtledemo ensurepip _pyrepl pydoc_data test venv curses \
        EXTERNALLY-MANAGED sitecustomize.py
    find . -name __pycache__ -prune -exec rm -rf {} +
    cd lib-dynload
    rm -f _test*.so _xxtestfuzz*.so xxlimited*.so xxsubtype*.so _ctypes_test*.so \
        _curses*.so readline*.so _dbm*.so _gdbm*.so _tkinter*.so
)

# The shared libraries the interpreter and its extension modules load, found with ldd. Each is copied
# under the name the loader asks for, into the real (merged /usr) directory; /lib and /lib64 become links.
for binary in "$rootfs/usr/bin/python$version" "$dynload"/*.so; do
    ldd "$binary"
done | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' | sort -u | while read -r library; do
    if [ ! -e "$library" ]; then
        echo "scratch-rootfs.sh: $library not found" >&2
        exit 1
    fi
    directory="$(realpath "$(dirname "$library")")"
    mkdir -p "$rootfs$directory"
    cp -L "$library" "$rootfs$directory/"
done
for link in /lib /lib64; do
    if [ -L "$link" ]; then
        cp -P "$link" "$rootfs/"
    fi
done

# TLS: the CA bundle where Debian keeps it, and where OpenSSL looks for it by default.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
ln -s /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/lib/ssl/cert.pem"

# The same users as distroless: root, nobody and nonroot (65532), which the image runs as.
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$rootfs/etc/group"
mkdir -p "$rootfs/home/nonroot"
chown 65532:65532 "$rootfs/home/nonroot"
chmod 700 "$rootfs/home/nonroot"

# Python's tempfile and many libraries expect a world-writable /tmp (a tmpfs when the root is read-only).
mkdir -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"

# Which distribution and release the files come from, as Debian says it: without it a scanner cannot match
# the packages below against Debian's security advisories (Trivy skips them; syft gives them no package URL).
cp /usr/lib/os-release "$rootfs/usr/lib/"
ln -s ../usr/lib/os-release "$rootfs/etc/os-release"
cp /etc/debian_version "$rootfs/etc/"

# Package metadata, so that SBOM tools and vulnerability scanners (syft, Trivy, Grype) know which Debian
# packages, at which versions, the files above came from. Written in distroless's layout, as the build
# image's dpkg database has it: status.d/<package> holds the package's control fields, <package>.md5sums
# the checksums of the files this image ships from it (a few KB each). A package counts when one of its
# files is here as a regular file: not a directory, and not one of the links made above.
statusd="$rootfs/var/lib/dpkg/status.d"
mkdir -p "$statusd"
dpkg-query --show --showformat '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' |
    while read -r package; do
        dpkg-query --listfiles "$package" | while read -r path; do
            if [ -f "$rootfs$path" ] && [ ! -L "$rootfs$path" ]; then
                printf '%s\n' "${path#/}"
            fi
        done >"$statusd/$package.shipped"
        if [ -s "$statusd/$package.shipped" ]; then
            # The status entry without what only a dpkg-managed system has: its state and its conffiles.
            dpkg-query --status "$package" |
                awk '/^[^ ]/ { keep = ($1 != "Status:" && $1 != "Conffiles:") } keep' >"$statusd/$package"
            (cd "$rootfs" && xargs -d '\n' md5sum) <"$statusd/$package.shipped" >"$statusd/$package.md5sums"
        fi
        rm "$statusd/$package.shipped"
    done
