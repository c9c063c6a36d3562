# The seed's first Python Dockerfile (2018): one python:alpine stage with a compiler toolchain and
# pip installing into the system Python. Adapted: a current Python, and the toolchain is installed
# only when the base lacks one (a local stand-in for python:alpine is Debian-based and carries it).
ARG PYTHON_VERSION=3.13
ARG BUILDER_IMAGE=python:${PYTHON_VERSION}-alpine
FROM ${BUILDER_IMAGE}
RUN command -v gcc || (apk update && apk add build-base)

COPY . /code/
WORKDIR /code
RUN pip install -r requirements.txt

ENTRYPOINT ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]
