# syntax=docker/dockerfile:1
# One image with every Berth binary: berth-extender, berth-webhooks, berth-controller and
# berth-sim. The Deployments in deploy/ pick one with `command:`.
#
#   docker build -t ghcr.io/berth-dev/berth:0.1.0 .
#
# Build stage: Debian 12 with exactly the packages CI uses (tools/install-deps.sh), so the
# image is built by the same compiler and libraries the test suite ran against.
FROM debian:12 AS build
COPY tools/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG BERTH_JOBS=2
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_TESTS=OFF -DBERTH_WERROR=ON \
 && cmake --build /build -j "${BERTH_JOBS}" \
      --target berth-extender berth-webhooks berth-controller berth-sim \
 && mkdir /out \
 && for b in berth-extender berth-webhooks berth-controller berth-sim; do \
      f="$(find /build -type f -name "$b" -perm -u+x -print -quit)"; \
      if [ -z "$f" ]; then echo "Dockerfile: $b was not built" >&2; exit 1; fi; \
      install -m 0755 -s "$f" "/out/$b"; \
    done

# Runtime stage: the shared libraries the binaries link (cpprestsdk and what it pulls in:
# brotli, zlib; yaml-cpp; OpenSSL 3; libstdc++ comes with the base) and CA certificates for
# HTTPS calls outside the cluster (rollout analysis). Nothing runs a shell: every Deployment
# execs a binary directly and probes over HTTP.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libcpprest2.10 libyaml-cpp0.7 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
# Fail the build, not the pod, if a binary links a library this stage lacks.
RUN if ldd /usr/local/bin/berth-* | grep 'not found'; then exit 1; fi
LABEL org.opencontainers.image.title="berth" \
      org.opencontainers.image.description="Berth: Kubernetes scheduler extender, admission webhooks, controllers and berth-sim"
# Numeric, so runAsNonRoot can verify it without an /etc/passwd entry.
USER 65532:65532
