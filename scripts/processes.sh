# Sourced by the run scripts: every process they start goes into `pids`, and Ctrl-C,
# SIGTERM or the script's exit stops them all.
pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
