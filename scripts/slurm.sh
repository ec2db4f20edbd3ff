#!/usr/bin/env bash
# Starts or stops a single-node Slurm (munged, slurmctld, slurmd) on this host, for tests and CI.
#
#   scripts/slurm.sh start    # idempotent; waits until `sinfo` shows the node idle
#   scripts/slurm.sh stop
#   scripts/slurm.sh status   # exit 0 when the controller answers and the node is usable
#   scripts/slurm.sh env      # prints `export SLURM_CONF=...` for a shell to eval
#
# Needs the Debian packages `slurm-wlm` and `munge` and root (the daemons run as root, as in
# ../shared/infra/slurm.conf). Everything lives under $NEBULA_SLURM_DIR (default
# /tmp/nebula-slurm); clients find the cluster through SLURM_CONF=$NEBULA_SLURM_DIR/slurm.conf,
# so nothing under /etc/slurm is touched.
set -euo pipefail

DIR="${NEBULA_SLURM_DIR:-/tmp/nebula-slurm}"
CONF="$DIR/slurm.conf"
HOST="$(hostname -s)"
CPUS="${NEBULA_SLURM_CPUS:-16}"
export SLURM_CONF="$CONF"

die() { echo "slurm.sh: $*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 ||
    die "$1 not found: install it with apt-get install -y -o DPkg::Lock::Timeout=600 slurm-wlm munge"
}

write_conf() {
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
  # From ../shared/infra/slurm.conf, with one change: the node advertises $CPUS CPUs
  # (config_overrides keeps slurmd from draining it for having fewer), so a two-core test
  # machine runs ten small jobs at once, as the stateless-monitoring test needs.
  cat >"$CONF" <<EOF
ClusterName=nebula
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
MinJobAge=600
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_munge() {
  if pgrep -x munged >/dev/null 2>&1 && munge -n </dev/null | unmunge >/dev/null 2>&1; then
    return
  fi
  [[ -f /etc/munge/munge.key ]] || {
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  }
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n </dev/null | unmunge >/dev/null 2>&1 && return
    sleep 0.1
  done
  die "munged did not start (see /var/log/munge/munged.log)"
}

node_state() { sinfo --noheader --nodes="$HOST" --format=%T 2>/dev/null | head -n1; }

wait_idle() {
  local state=""
  for _ in $(seq 300); do
    state="$(node_state || true)"
    case "$state" in
      idle | mixed | allocated | completing) return ;;
      down* | drain*)
        scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  die "node $HOST not idle after 60 s (state: '${state:-no answer}'); logs in $DIR/log"
}

start() {
  need sbatch; need slurmctld; need slurmd; need munged
  [[ $(id -u) -eq 0 ]] || die "must run as root (the single-node daemons run as root)"
  write_conf
  start_munge
  # A fresh controller starts with no saved jobs (-c): jobs of a previous run on this machine
  # belong to servers that are gone and would only hold the node's slots.
  pid_alive "$DIR/slurmctld.pid" || slurmctld -c -f "$CONF" || die "slurmctld failed; see $DIR/log/slurmctld.log"
  for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
  scontrol ping >/dev/null 2>&1 || die "slurmctld does not answer; see $DIR/log/slurmctld.log"
  pid_alive "$DIR/slurmd.pid" || slurmd -f "$CONF" || die "slurmd failed; see $DIR/log/slurmd.log"
  wait_idle
  echo "slurm up: SLURM_CONF=$CONF node $HOST $(node_state)"
}

stop_daemon() {
  local pidfile="$1"
  pid_alive "$pidfile" || return 0
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  stop_daemon "$DIR/slurmd.pid"
  stop_daemon "$DIR/slurmctld.pid"
  echo "slurm stopped (munged left running; state kept in $DIR)"
}

status() {
  scontrol ping >/dev/null 2>&1 || { echo "slurmctld not answering"; return 1; }
  local state; state="$(node_state)"
  echo "node $HOST: $state"
  [[ "$state" =~ ^(idle|mixed|allocated|completing)$ ]]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) die "usage: $0 start|stop|status|env" ;;
esac
