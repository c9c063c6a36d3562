# The seed's multi-stage Go Dockerfile (2018): golang -> scratch with the plain `go build` binary,
# no strip flags, no CA bundle, running as root. Adapted only as go-single-stage.Dockerfile says.
ARG BUILDER_IMAGE=golang:1.26
FROM ${BUILDER_IMAGE} AS base
COPY . /go/src/github.com/org/helloworld
WORKDIR /go/src/github.com/org/helloworld
RUN go mod download
ENV CGO_ENABLED=0
RUN go build -o HelloWorld .

FROM scratch
COPY --from=base /go/src/github.com/org/helloworld/HelloWorld /usr/bin/HelloWorld
EXPOSE 8080
ENTRYPOINT ["HelloWorld"]
