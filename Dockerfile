# syntax=docker/dockerfile:1
#
# oneid: a federated identity provider for health care (OpenID Connect provider).
#
#   docker build -t oneid .
#   docker run --rm oneid --help
#
# How to run it in production (volumes, secrets, the overlay, several nodes): docs/deploy.md.

# --- build ---------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder

# OpenSSL is built from source (the `openssl` crate's `vendored` feature): its Configure needs
# the full perl (FindBin, IPC::Cmd), plus make and a C compiler. SQLite is bundled and
# compiled by cc. The rust image has most of this already; this line makes sure of it.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential perl make \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# A Cargo workspace cannot easily be built in two steps (manifests, then sources), so the
# whole tree is copied. .dockerignore keeps target/, data/, keys/ and .git out. The cache
# mounts keep the crate registry and target/ between builds (BuildKit).
COPY . .

# rust-toolchain.toml asks for "stable" with rustfmt and clippy. Build with the toolchain the
# image already has, which is a stable release, instead of letting rustup download another.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    tc="$(rustup default | cut -d' ' -f1)" \
 && if [ -n "$tc" ]; then export RUSTUP_TOOLCHAIN="$tc"; fi \
 && cargo build --release -p oneid --locked \
 && install -m 0755 target/release/oneid /usr/local/bin/oneid

# --- run -----------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates: the SMS/voice gateway (https) and SMTP with TLS verify their servers.
# Nothing else is needed: OpenSSL is linked in statically and SQLite is bundled.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 oneid \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/oneid \
      --shell /usr/sbin/nologin oneid \
 && install -d -o oneid -g oneid -m 0700 /var/lib/oneid /var/lib/oneid/keys

COPY --from=builder /usr/local/bin/oneid /usr/local/bin/oneid
# The production overlay, as a starting point for /etc/oneid/production.toml.
COPY config/production.example.toml /usr/share/doc/oneid/production.example.toml

# Environment variables beat the overlay file (--config / ONEID_CONFIG). Override these with
# `docker run -e` where your overlay says otherwise, e.g.
# -e ONEID__KEYS__KEK_FILE=/run/secrets/oneid-kek.
# Without a KEK at ONEID__KEYS__KEK_FILE (and no ONEID__KEYS__KEK), the first start generates
# one in /var/lib/oneid/keys. That is fine for one node. Give several nodes the same KEK.
ENV ONEID__HTTP__ADDR=0.0.0.0:8080 \
    ONEID__DATA_DIR=/var/lib/oneid \
    ONEID__KEYS__KEK_FILE=/var/lib/oneid/keys/kek.key \
    ONEID__LOG__FORMAT=json

WORKDIR /var/lib/oneid
EXPOSE 8080
USER oneid

# No HEALTHCHECK: the slim image has no curl or wget. Let the orchestrator probe
# GET /healthz (liveness: the process answers) and GET /readyz (readiness: 503 while
# PostgreSQL or Redis is unreachable) on port 8080.
# SIGTERM stops taking new connections and drains the ones in flight.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/oneid"]
CMD ["serve"]
