# syntax=docker/dockerfile:1
# Multi-stage build of every AIStudio binary; one runtime image, the command picks the process.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bins -p aistudio-api -p aistudio-worker -p aistudio-sim \
 && mkdir -p /out \
 && cp target/release/aistudio-api target/release/aistudio-worker target/release/aistudio-sim /out/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app aistudio
WORKDIR /app
COPY --from=build /out/ /usr/local/bin/
COPY config/files /app/config/files
ENV AISTUDIO_CONFIG_DIR=/app/config/files
USER aistudio
CMD ["aistudio-api"]
