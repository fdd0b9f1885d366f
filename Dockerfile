# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run from a slim Debian with only CA
# certificates, curl (the healthcheck of docker-compose.yml) and the binary, as an
# unprivileged user.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs rustfmt.toml ./
# sqlx-core with the TCP_NODELAY fix, patched in by Cargo.toml.
COPY vendor vendor
COPY src src
COPY migrations migrations
# The live console embeds the stream client apps use.
COPY clients/js/cti-stream.js clients/js/cti-stream.js
RUN cargo build --release --locked --bin cti-server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home cti
COPY --from=build /src/target/release/cti-server /usr/local/bin/cti-server
USER cti
ENV PORT=4000 LOG_FORMAT=json
EXPOSE 4000
ENTRYPOINT ["cti-server"]
CMD ["serve"]
