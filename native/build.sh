#!/usr/bin/env bash
# Builds the sandbox launcher (native/sandbox_exec.c → native/build/agentsys-sandbox-exec) with
# the machine's C compiler; bin/setup runs it. Rebuilds only when the source is newer.
set -euo pipefail
cd "$(dirname "$0")"
out=build/agentsys-sandbox-exec
if [ -x "$out" ] && [ "$out" -nt sandbox_exec.c ] && [ "$out" -nt build.sh ]; then exit 0; fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "native/build.sh: no C compiler ($cc): install gcc to build the sandbox launcher" >&2
  exit 1
fi
mkdir -p build
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -o "$out.tmp" sandbox_exec.c
mv "$out.tmp" "$out"
