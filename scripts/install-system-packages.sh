#!/bin/sh
# The system packages mtls-tui's lab and tests use, on Debian or Ubuntu:
# nginx (the lab's gateway) and its stream module (NGINX Gateway Fabric's passthrough servers), openssl and curl (the seed's commands, benchmarks),
# tmux (trying the screen as a person would), kubectl (tests against the lab's API),
# zsh (printed commands pasted as macOS users paste them),
# chromium (the browser mode, headless).
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openssl nginx-light libnginx-mod-stream tmux curl make python3-venv chromium zsh >/dev/null
command -v kubectl >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
