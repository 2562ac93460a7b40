#!/bin/sh
# slurm.sh - a private one-node Slurm cluster on 127.0.0.1 for dv's tests and
# benchmarks: munged, slurmctld and slurmd from Debian's packages, started by
# hand (no systemd), with every file (config, state, spool, logs, pids) in
# one directory and ports of its own, so it never meets a packaged
# instance or another test run.
#
#   eval "$(tests/servers/slurm.sh start DIR)"   install if missing, start,
#                                                wait for the node; prints
#                                                export SLURM_CONF=DIR/slurm.conf
#   tests/servers/slurm.sh stop DIR              stop the daemons by pid
#
# SLURMD_HIDE=PATH: slurmd (and so every job) sees an empty directory at
# PATH, as a node without the shared disk would.
#
# A failure to install or start exits 1 with the reason on stderr; exit 77
# means Slurm cannot run on this machine (the caller may skip).
set -eu

say() { echo "slurm.sh: $*" >&2; }
die() { say "$*"; exit 1; }

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

install() {
	command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && return 0
	"$(dirname "$0")/../../contrib/install-deps.sh" >&2 ||
		die "cannot install Slurm (contrib/install-deps.sh failed)"
	command -v slurmctld >/dev/null 2>&1 || { say "Slurm is not installable here"; exit 77; }
}

start_munge() {
	if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
		return 0
	fi
	[ -f /etc/munge/munge.key ] || die "no /etc/munge/munge.key (reinstall the munge package)"
	mkdir -p /run/munge && chown munge:munge /run/munge
	su -s /bin/sh munge -c /usr/sbin/munged || die "munged did not start"
	i=0
	until munge -n 2>/dev/null | unmunge >/dev/null 2>&1; do
		i=$((i + 1)); [ "$i" -lt 50 ] || die "munge does not answer"
		sleep 0.1
	done
}

start() {
	dir=$1
	[ "$(id -u)" -eq 0 ] || { say "starting slurmd needs root"; exit 77; }
	install
	mkdir -p "$dir/state" "$dir/spool" "$dir/log"
	dir=$(cd "$dir" && pwd)
	host=$(hostname -s)
	mem=$(($(free -m | awk '/Mem:/{print $2}') - 1024))
	port=$(free_port)
	port2=$(free_port)
	cat >"$dir/slurm.conf" <<CONF
ClusterName=dvtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/ctld.log
SlurmdLogFile=$dir/log/d.log
SlurmctldPort=$port
SlurmdPort=$port2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
KillWait=2
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
	start_munge
	slurmctld -f "$dir/slurm.conf" || die "slurmctld did not start; see $dir/log/ctld.log"
	if [ -n "${SLURMD_HIDE:-}" ]; then
		# The node does not see this directory (an empty tmpfs over it in
		# slurmd's own mount namespace): a node without the shared disk.
		mkdir -p "$SLURMD_HIDE"
		unshare -m --propagation private sh -c 'mount -t tmpfs dv-hidden "$1" && exec slurmd -f "$2"' \
			sh "$SLURMD_HIDE" "$dir/slurm.conf" || die "slurmd did not start; see $dir/log/d.log"
	else
		slurmd -f "$dir/slurm.conf" || die "slurmd did not start; see $dir/log/d.log"
	fi
	i=0
	until SLURM_CONF=$dir/slurm.conf sinfo -h -o %t 2>/dev/null | grep -q idle; do
		i=$((i + 1)); [ "$i" -lt 60 ] || die "the node did not come up; see $dir/log"
		sleep 0.5
	done
	echo "export SLURM_CONF=$dir/slurm.conf"
}

stop() {
	dir=$1
	for f in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
		[ -f "$f" ] && kill "$(cat "$f" 2>/dev/null)" 2>/dev/null || true
	done
	i=0
	while { [ -f "$dir/slurmd.pid" ] && kill -0 "$(cat "$dir/slurmd.pid" 2>/dev/null)" 2>/dev/null; } ||
		{ [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid" 2>/dev/null)" 2>/dev/null; }; do
		i=$((i + 1)); [ "$i" -lt 50 ] || break
		sleep 0.1
	done
}

case ${1:-} in
start) [ $# -eq 2 ] || die "usage: slurm.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: slurm.sh stop DIR"; stop "$2" ;;
*) die "usage: slurm.sh start DIR | stop DIR" ;;
esac
