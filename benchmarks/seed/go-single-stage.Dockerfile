# The seed's first Go Dockerfile (2018), as faithfully as today's Go allows: module mode replaces
# `go get -u` (which would also upgrade dependencies past what this Go supports), and the build
# compiles the package rather than main.go alone. Same sources as the template's project.
ARG BUILDER_IMAGE=golang:1.26
FROM ${BUILDER_IMAGE}
COPY . /go/src/github.com/org/helloworld
WORKDIR /go/src/github.com/org/helloworld
RUN go mod download
ENV CGO_ENABLED=0
RUN go build -o HelloWorld .
EXPOSE 8080
ENTRYPOINT ["./HelloWorld"]
