#!/usr/bin/env bash
# Installs and starts what the container and Slurm executors need on a Debian 12 machine,
# as root, and builds the small local image the executor tests run in.
#   scripts/setup-executors.sh            podman, then image, then slurm
#   scripts/setup-executors.sh podman     rootful podman and its two host adjustments
#   scripts/setup-executors.sh image      localhost/orch-python:test from the host's python3
#   scripts/setup-executors.sh slurm      a single-node Slurm cluster (munge, slurmctld, slurmd), no systemd
#   scripts/setup-executors.sh slurm-stop stops the three Slurm daemons
# Every step is idempotent: run again, it only checks.
set -euo pipefail
IMAGE=${ORCH_TEST_IMAGE:-localhost/orch-python:test}
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

need_root() {
  [ "$(id -u)" = 0 ] || { echo "setup-executors: run as root (it installs packages and starts daemons)" >&2; exit 1; }
}

apt_install() {
  "${APT[@]}" update -qq
  "${APT[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
}

podman_step() {
  command -v podman >/dev/null || apt_install podman crun catatonit
  # crun refuses hybrid cgroups while cgroup v2 still owns a controller (hugetlb on these
  # VMs: "cgroups in hybrid mode not supported"); mount each such controller as cgroup v1.
  local unified=/sys/fs/cgroup/unified/cgroup.controllers
  if [ -f "$unified" ]; then
    for controller in $(cat "$unified"); do
      mkdir -p "/sys/fs/cgroup/$controller"
      mountpoint -q "/sys/fs/cgroup/$controller" || mount -t cgroup -o "$controller" cgroup "/sys/fs/cgroup/$controller"
    done
  fi
  # Without CAP_SYS_RESOURCE root cannot raise nofile/nproc to podman's defaults
  # ("setrlimit RLIMIT_NOFILE: Operation not permitted"): pin them to what may be set.
  local nproc
  nproc=$(ulimit -Hu)
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
    "$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >/etc/containers/containers.conf
  echo "podman ready: $(podman --version)"
}

# No registry is reachable from CI: the image is the host's python3, its standard
# library and the shared libraries ldd lists, imported as a root filesystem.
# A JSON line in and out, and libgcc_s, which glibc loads late, when a thread exits.
image_works() {
  local out
  out=$(echo '{"x":1}' | podman run -i --rm --init --network none "$IMAGE" python3 -c \
    'import sys,json,ctypes; ctypes.CDLL("libgcc_s.so.1"); print(json.dumps(json.loads(sys.stdin.readline())))' 2>&1) &&
    [ "$out" = '{"x": 1}' ]
}

image_step() {
  if podman image exists "$IMAGE" && image_works; then echo "image ready: $IMAGE"; return; fi
  local work root python
  work=$(mktemp -d)
  root=$work/root
  python=$(readlink -f /usr/bin/python3)
  mkdir -p "$root/usr/bin" "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64" "$root/etc" "$root/tmp" "$root/work"
  chmod 1777 "$root/tmp"
  ln -s usr/bin "$root/bin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
  cp -a "$python" "$root/usr/bin/"
  ln -s "$(basename "$python")" "$root/usr/bin/python3"
  tar -C / --exclude='*.a' --exclude=test --exclude=idlelib --exclude=tkinter --exclude=dist-packages \
    -cf - "usr/lib/$(basename "$python")" | tar -C "$root" -xf -
  for binary in "$python" /usr/lib/"$(basename "$python")"/lib-dynload/*.so; do ldd "$binary"; done |
    awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u |
    while read -r library; do cp -L "$library" "$root/usr/lib/x86_64-linux-gnu/"; done
  # Not in ldd's list: glibc loads it when a thread exits (pthread_exit).
  cp -L "$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ {print $NF; exit}')" "$root/usr/lib/x86_64-linux-gnu/"
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/usr/lib64/ld-linux-x86-64.so.2"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -cf "$work/rootfs.tar" .
  podman import -q "$work/rootfs.tar" "$IMAGE" >/dev/null
  rm -rf "$work"
  image_works || { echo "setup-executors: the image $IMAGE does not run python3 with threads" >&2; exit 1; }
  echo "image ready: $IMAGE"
}

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

slurm_stop() {
  for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
    if running "$pidfile"; then
      local pid
      pid=$(cat "$pidfile"); kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$pidfile"
  done
}

slurm_step() {
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v srun >/dev/null || ! command -v munged >/dev/null; then
    apt_install slurmctld slurmd slurm-client munge
  fi
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  running /run/munge/munged.pid || runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
  munge -n | unmunge >/dev/null

  local host cpus mem
  host=$(hostname -s)
  # At least 4 CPUs so that `--parallel 4` keeps 4 one-CPU jobs running on a 2-core machine.
  cpus=${SLURM_CPUS:-$(( $(nproc) > 4 ? $(nproc) : 4 ))}
  mem=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 512 ))
  install -d /etc/slurm
  install -d -o slurm -g slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=orch
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=10
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  running /run/slurmctld.pid || slurmctld
  for _ in $(seq 50); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
  running /run/slurmd.pid || slurmd
  for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|alloc)' && break; sleep 0.2; done
  if sinfo -h -o %T | grep -qE 'down|drain'; then scontrol update nodename="$host" state=resume; fi
  local out rc=0
  out=$(echo '{"ping":1}' | srun -N1 -n1 python3 -c 'import sys,json; print(json.dumps({"pong": json.loads(sys.stdin.readline())})); sys.exit(3)') || rc=$?
  [ "$out" = '{"pong": {"ping": 1}}' ] && [ "$rc" = 3 ] || { echo "setup-executors: srun's smoke test gave rc=$rc out=$out" >&2; exit 1; }
  echo "slurm ready: $(srun --version)"
}

need_root
case "${1:-all}" in
  podman) podman_step ;;
  image) image_step ;;
  slurm) slurm_step ;;
  slurm-stop) slurm_stop ;;
  all) podman_step; image_step; slurm_step ;;
  *) echo "setup-executors: unknown step '$1' (expected podman, image, slurm, slurm-stop or nothing for all)" >&2; exit 2 ;;
esac
