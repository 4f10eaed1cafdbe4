#!/usr/bin/env bash
# The whole test suite: formatting, lints, tests on this machine, and the
# device crates (kernel, agent library, schema) cross-compiled for aarch64
# and run under qemu.
# Installs what it needs on Debian (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

need_pkgs=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need_pkgs+=(qemu-user)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' \
  || rustup target add aarch64-unknown-linux-gnu

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "cargo test (host: $(uname -m))"
cargo test --workspace --locked

log "device crates on aarch64 under qemu"
aarch64=(--locked --target aarch64-unknown-linux-gnu)
cargo clippy "${aarch64[@]}" -p edgebench-kernels -p edgebench-targets --all-targets -- -D warnings
cargo test "${aarch64[@]}" -p edgebench-kernels --lib --tests
# The agent's end-to-end tests spawn the agent binary, which needs binfmt
# to run foreign binaries; the library, meter and protocol tests do not.
cargo test "${aarch64[@]}" -p edgebench-targets -p edgebench-schema --lib \
  --test 'meters_*' --test 'protocol_*' --test 'schema_*'
