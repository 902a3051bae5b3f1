#!/usr/bin/env bash
# Install the system packages the tests need, only when they are missing.
set -euo pipefail
need=()
command -v pg_isready >/dev/null 2>&1 || need+=(postgresql-client)
command -v npm >/dev/null 2>&1 || need+=(npm)
# the replay's Spark engine and its parity test
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# the web console's browser tests drive the machine's Chromium (never a downloaded browser)
[ -x /usr/bin/chromium ] || need+=(chromium)
# a CJK font, or headless Chromium draws the console's Chinese as empty boxes in screenshots
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy\|noto sans cjk" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
