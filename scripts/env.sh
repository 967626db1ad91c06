# Sourced by ./shallow, scripts/test.sh and .ci/run: finds a JDK 25 and Maven, installing Maven
# from Debian's packages when it is missing. Exports JAVA_HOME, PATH and JAVA_FLAGS.
find_jdk25() {
  local c
  for c in "${SHALLOW_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    if "$c/bin/java" -version 2>&1 | head -1 | grep -Eq '"(2[5-9]|[3-9][0-9])'; then echo "$c"; return 0; fi
  done
  return 1
}
if ! JAVA_HOME=$(find_jdk25); then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq openjdk-25-jdk-headless) >/dev/null 2>&1 || true
  fi
  JAVA_HOME=$(find_jdk25) || { echo "shallow: no JDK 25 found (set SHALLOW_JAVA_HOME or JAVA_HOME to one)" >&2; exit 1; }
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
if ! command -v mvn >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq maven) >/dev/null 2>&1 || true
  fi
  command -v mvn >/dev/null || { echo "shallow: Maven (mvn) not found and could not be installed" >&2; exit 1; }
fi
export JAVA_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true"
# PyTorch (Debian's python3-torch with OpenBLAS) runs the independent reference in tests and the
# baseline in benchmarks; installed on demand when missing.
ensure_torch() {
  /usr/bin/python3 -c 'import torch' 2>/dev/null && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "shallow: installing python3-torch and libopenblas0-pthread (apt)..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread) >/dev/null 2>&1 || true
  fi
  /usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "shallow: python3-torch is needed and could not be installed" >&2; return 1; }
}
# llama.cpp (prebuilt CPU binaries of the npm package node-llama-cpp, pinned in tools/llamacpp) is the oracle of the
# llama.cpp tests and the baseline of `shallow bench --gguf`; installed on demand by scripts/install_llamacpp.sh.
ensure_llamacpp() {
  bash "$(dirname "${BASH_SOURCE[0]}")/install_llamacpp.sh"
}
