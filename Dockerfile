# mediagraph: a static, cgo-free binary on a distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mediagraph ./server && mkdir -p /out/data/media

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mediagraph /mediagraph
# The media volume starts from this directory, owned by the nonroot user.
COPY --from=build --chown=65532:65532 /out/data /data
ENV MEDIA_DIR=/data/media
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/mediagraph"]
