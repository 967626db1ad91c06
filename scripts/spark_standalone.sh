#!/usr/bin/env bash
# A Spark standalone cluster on this machine from the Spark module's jars (no Spark download): a master on 127.0.0.1
# and N workers with C cores each, for `--spark spark://127.0.0.1:PORT`. Logs and work directories in spark/target/standalone.
#   bash scripts/spark_standalone.sh start [WORKERS=2] [CORES=1] [PORT=7077]    prints the master URL when the workers are up
#   bash scripts/spark_standalone.sh stop
set -e
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/env.sh"
dir="$root/spark/target/standalone"
case "${1:-}" in
  start)
    workers=${2:-2} cores=${3:-1} port=${4:-7077}
    [ -f "$root/spark/target/shallow-spark.jar" ] || bash "$root/scripts/build_spark.sh"
    mkdir -p "$dir/home/jars"
    # SPARK_HOME/jars is the classpath Spark's launcher gives the executors: the module's libraries (Shallow's own jars
    # are shipped by the driver, spark.jars)
    ln -sf "$root"/spark/target/lib/*.jar "$dir/home/jars/"
    export SPARK_HOME="$dir/home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
    launch() { # name, class, args...
      local name=$1; shift
      nohup "$JAVA_HOME/bin/java" "@$root/spark/target/spark.jvm.args" -Xmx512m -cp "$root/spark/target/lib/*:$root/spark/target/classes" "$@" \
        >"$dir/$name.log" 2>&1 &
      echo $! >"$dir/$name.pid"
    }
    launch master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 8080
    for i in $(seq 1 "$workers"); do
      launch "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$cores" --memory 2g --webui-port $((8080 + i)) \
        --work-dir "$dir/work-$i" "spark://127.0.0.1:$port"
    done
    for _ in $(seq 1 120); do
      if curl -s http://127.0.0.1:8080/json/ | grep -Eq "\"aliveworkers\" *: *$workers"; then echo "spark://127.0.0.1:$port"; exit 0; fi
      sleep 1
    done
    echo "shallow: the cluster did not come up (see $dir/*.log)" >&2; exit 1 ;;
  stop)
    for f in "$dir"/*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      pkill -TERM -P "$pid" 2>/dev/null || true # a worker's executors
      kill "$pid" 2>/dev/null || true
      rm -f "$f"
    done ;;
  *) echo "usage: bash scripts/spark_standalone.sh start [WORKERS] [CORES] [PORT] | stop" >&2; exit 1 ;;
esac
