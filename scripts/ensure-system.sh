#!/usr/bin/env bash
# Install the system packages a target needs, only when they are missing.
#   ensure-system.sh test   what `make test` needs (the default)
#   ensure-system.sh demo   what `make demo` needs: npm, to fetch the pinned echarts and htmx of the reports
set -euo pipefail
profile="${1:-test}"
need=()
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$profile" = test ]; then
  command -v pg_isready >/dev/null 2>&1 || need+=(postgresql-client)
  # the replay's Spark engine and its parity test
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
  # the web console's browser tests drive the machine's Chromium (never a downloaded browser)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # a CJK font, or headless Chromium draws the console's Chinese as empty boxes in screenshots
  fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy\|noto sans cjk" || need+=(fonts-wqy-microhei)
fi
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "缺少系统软件包：${need[*]}（请用本机的包管理器安装）" >&2
    exit 1
  fi
  echo "安装系统软件包：${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
