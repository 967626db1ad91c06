#!/usr/bin/env bash
# Builds the Spark module: target/shallow.jar (the core, when missing or older than its sources), then
# spark/target/shallow-spark.jar, its dependencies in spark/target/lib (Spark 4, from Maven Central on the first build)
# and spark/target/spark.jvm.args. ./shallow puts them on the classpath when --spark is given; target/shallow.jar stays as it is.
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
if [ ! -f target/shallow.jar ] || [ -n "$(find src/main pom.xml -newer target/shallow.jar -print -quit)" ]; then
  mvn -q -B -DskipTests package
fi
cd spark
mvn -q -B -DskipTests package "$@"
touch target/shallow-spark.jar # built now, even when Maven found nothing to repackage (./shallow compares its time with the sources')
