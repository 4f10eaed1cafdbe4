#!/usr/bin/env bash
# The whole test suite: formatting, lints, tests on this machine (with and
# without the agent's llama.cpp runtime), and the device crates (kernel,
# agent library, schema) cross-compiled for aarch64 and run under qemu,
# the agent with llama.cpp included.
# Installs what it needs on Debian (as root, or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

need_pkgs=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need_pkgs+=(qemu-user)
# The HTML report is checked in a real browser.
command -v chromium >/dev/null || need_pkgs+=(chromium)
# The SSH tests run real sshd processes as fake devices, some of them in
# network namespaces.
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
command -v ssh >/dev/null || need_pkgs+=(openssh-client)
command -v ip >/dev/null || need_pkgs+=(iproute2)
# The controller's SSH library (libssh2, built from source) uses OpenSSL.
dpkg -s libssl-dev >/dev/null 2>&1 || need_pkgs+=(libssl-dev)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
# llama.cpp, the agent's optional second runtime, is C++ built with cmake;
# its Rust bindings are generated with libclang.
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v g++ >/dev/null || need_pkgs+=(g++)
command -v aarch64-linux-gnu-g++ >/dev/null || need_pkgs+=(g++-aarch64-linux-gnu)
dpkg -s libclang-dev >/dev/null 2>&1 || need_pkgs+=(libclang-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' \
  || rustup target add aarch64-unknown-linux-gnu

log "cargo fmt --check"
cargo fmt --all --check

log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

log "the agent with llama.cpp (feature llama-cpp)"
# Release, as the controller builds it: the tests below and the harness's
# runs on llama.cpp then find it built.
llama=(--locked --release -p edgebench-targets --features llama-cpp)
cargo build "${llama[@]}" --bin edgebench-agent
cargo clippy "${llama[@]}" --all-targets -- -D warnings
cargo test "${llama[@]}"

log "cargo test (host: $(uname -m))"
# The browser tests fail rather than skip when Chromium is missing here, and
# as root (as in CI) so do the jump-host tests when network namespaces are.
require_netns=0; [ "$(id -u)" -eq 0 ] && require_netns=1
EDGEBENCH_REQUIRE_BROWSER=1 EDGEBENCH_REQUIRE_NETNS=$require_netns cargo test --workspace --locked
echo "report screenshot: target/tmp/report.png"

log "device crates on aarch64 under qemu"
aarch64=(--locked --target aarch64-unknown-linux-gnu)
cargo clippy "${aarch64[@]}" -p edgebench-kernels -p edgebench-targets --all-targets -- -D warnings
cargo test "${aarch64[@]}" -p edgebench-kernels --lib --tests
# The agent's end-to-end tests spawn the agent binary, which needs binfmt
# to run foreign binaries; the library, meter and protocol tests do not.
cargo test "${aarch64[@]}" -p edgebench-targets -p edgebench-schema --lib \
  --test 'meters_*' --test 'protocol_*' --test 'schema_*'

log "edgebench-agent on aarch64 under qemu: one job on a synthetic model"
# The release build: the one the controller deploys (and the SSH lab tests
# already made).
cargo build "${aarch64[@]}" --release -p edgebench-targets --bin edgebench-agent
agent=target/aarch64-unknown-linux-gnu/release/edgebench-agent
qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu max)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --locked -q -p edgebench -- models synth --preset tiny --seed 1 "$work/tiny.gguf" >/dev/null
# The agent runs recipe files as they are, as the controller makes them.
cargo run --locked -q -p edgebench -- models quantize "$work/tiny.gguf" "$work/tiny-q4_0.gguf" \
  --recipe q4_0 >/dev/null
sha=$(sha256sum "$work/tiny-q4_0.gguf" | cut -d' ' -f1)
printf '{"schema_version":2,"cell_id":"aarch64-check","model":{"path":"%s","sha256":"%s"},"recipe":"q4_0","threads":2,"prompt_tokens":16,"gen_tokens":8,"measure":{"warmup_reps":1,"min_reps":2,"min_seconds":0,"idle_seconds":0},"meter":{"kind":"none"}}' \
  "$work/tiny-q4_0.gguf" "$sha" > "$work/job.json"
"${qemu[@]}" "$agent" probe > "$work/probe.json"
"${qemu[@]}" "$agent" run --quiet < "$work/job.json" > "$work/result.json"
grep -q '"status":"ok"' "$work/result.json"
grep -q '"isa":"neon' "$work/result.json"
echo "aarch64 agent: ok ($(grep -o '"isa":"[a-z-]*"' "$work/result.json"))"

log "edgebench-agent with llama.cpp on aarch64 under qemu: one job"
cargo build "${aarch64[@]}" --release -p edgebench-targets --features llama-cpp \
  --bin edgebench-agent
sed 's/"meter":{"kind":"none"}}$/"meter":{"kind":"none"},"runtime":"llama.cpp"}/' \
  "$work/job.json" > "$work/llama-job.json"
grep -q '"runtime":"llama.cpp"' "$work/llama-job.json"
"${qemu[@]}" "$agent" run --quiet < "$work/llama-job.json" > "$work/llama-result.json"
grep -q '"status":"ok"' "$work/llama-result.json"
grep -q '"cpu_backend":"ggml-cpu aarch64 (NEON' "$work/llama-result.json"
echo "aarch64 agent with llama.cpp: ok ($(grep -o '"cpu_backend":"[^"]*"' "$work/llama-result.json"))"
