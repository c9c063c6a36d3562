# The seed's multi-stage Python Dockerfile (2018): the whole Python library folder and the gunicorn
# script copied into a fresh python:alpine, running as root. Adapted as python-single-stage.Dockerfile says.
ARG PYTHON_VERSION=3.13
ARG BUILDER_IMAGE=python:${PYTHON_VERSION}-alpine
ARG RUNTIME_IMAGE=python:${PYTHON_VERSION}-alpine
FROM ${BUILDER_IMAGE} AS base
ARG PYTHON_VERSION
RUN command -v gcc || (apk update && apk add build-base)

COPY . /code/
WORKDIR /code
RUN pip install -r requirements.txt

FROM ${RUNTIME_IMAGE}
ARG PYTHON_VERSION
COPY --from=base /code/ /code
COPY --from=base /usr/local/lib/python${PYTHON_VERSION} /usr/local/lib/python${PYTHON_VERSION}
COPY --from=base /usr/local/bin/gunicorn /usr/local/bin/gunicorn
WORKDIR /code

ENTRYPOINT ["gunicorn", "-b 0.0.0.0:8000", "app:app"]
