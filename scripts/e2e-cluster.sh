#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the e2e tests and for trying kubestitch by hand:
# etcd, kube-apiserver (audit policy + webhook to kubestitch + log file, tracing to kubestitch's
# OTLP receiver), kube-controller-manager (--use-service-account-credentials: each controller its
# own identity), kube-scheduler, and kwok with fake nodes (e2e/cluster/kwok-*-stages.yaml).
#
#   scripts/e2e-cluster.sh prepare DIR   certificates, keys, kubeconfigs, configs (idempotent)
#   scripts/e2e-cluster.sh up DIR        prepare, then start everything and wait until it serves
#   scripts/e2e-cluster.sh down DIR      stop what `up` started (by the PIDs it wrote)
#
# DIR holds everything (default test-artifacts/e2e/cluster). Ports (loopback only) come from env:
# E2E_ETCD_PORT 23790, E2E_APISERVER_PORT 26443, E2E_WEBHOOK_PORT 28443 and E2E_OTLP_GRPC_PORT 24317
# (where kubestitch listens), E2E_NODES 3. Binaries: scripts/build-controlplane.sh (built if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
dir=$(realpath -m "${2:-$here/test-artifacts/e2e/cluster}")
etcd_port=${E2E_ETCD_PORT:-23790}
api_port=${E2E_APISERVER_PORT:-26443}
webhook_port=${E2E_WEBHOOK_PORT:-28443}
otlp_port=${E2E_OTLP_GRPC_PORT:-24317}
nodes=${E2E_NODES:-3}

log() { echo "e2e-cluster: $*" >&2; }

# A key and a certificate signed by the cluster CA. $1 name, $2 subject, $3 extensions (optional).
issue() {
  local name=$1 subj=$2 ext=${3:-}
  [[ -s $dir/pki/$name.crt ]] && return 0
  openssl genrsa -out "$dir/pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$dir/pki/$name.key" -subj "$subj" -out "$dir/pki/$name.csr" 2>/dev/null
  local extfile=$dir/pki/$name.ext
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n%s\n' "$ext" >"$extfile"
  openssl x509 -req -in "$dir/pki/$name.csr" -CA "$dir/pki/ca.crt" -CAkey "$dir/pki/ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$extfile" -out "$dir/pki/$name.crt" 2>/dev/null
  rm -f "$dir/pki/$name.csr"
}

# A kubeconfig for a client certificate. $1 file, $2 cert name, $3 server.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster:
      server: $3
      certificate-authority: $dir/pki/ca.crt
users:
  - name: $2
    user:
      client-certificate: $dir/pki/$2.crt
      client-key: $dir/pki/$2.key
contexts:
  - name: e2e
    context: { cluster: e2e, user: $2 }
current-context: e2e
EOF
}

prepare() {
  mkdir -p "$dir/pki" "$dir/logs" "$dir/pids" "$dir/etcd"
  chmod 700 "$dir/pki"
  if [[ ! -s $dir/pki/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/pki/ca.key" -out "$dir/pki/ca.crt" \
      -days 30 -subj "/CN=kubestitch-e2e-ca" 2>/dev/null
  fi
  issue apiserver "/CN=kube-apiserver" \
    "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  # kubestitch's audit webhook serves TLS like it would in a cluster; the apiserver trusts the CA.
  issue kubestitch-webhook "/CN=kubestitch" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
  local client="extendedKeyUsage=clientAuth"
  issue admin "/O=system:masters/CN=kubernetes-admin" "$client"
  issue kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  issue kube-scheduler "/CN=system:kube-scheduler" "$client"
  issue kwok "/O=system:masters/CN=kwok-controller" "$client"
  issue kubestitch "/CN=kubestitch" "$client"
  [[ -s $dir/pki/sa.key ]] || openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
  [[ -s $dir/webhook-token ]] || openssl rand -hex 24 >"$dir/webhook-token"

  local server=https://127.0.0.1:$api_port
  for who in admin kube-controller-manager kube-scheduler kwok kubestitch; do
    kubeconfig "$dir/$who.kubeconfig" "$who" "$server"
  done
  cp "$dir/admin.kubeconfig" "$dir/kubeconfig"

  cat >"$dir/audit-webhook.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kubestitch
    cluster:
      server: https://127.0.0.1:$webhook_port/audit
      certificate-authority: $dir/pki/ca.crt
users:
  - name: apiserver
    user:
      token: $(cat "$dir/webhook-token")
contexts:
  - name: default
    context: { cluster: kubestitch, user: apiserver }
current-context: default
EOF
  cat >"$dir/tracing.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: TracingConfiguration
endpoint: 127.0.0.1:$otlp_port
samplingRatePerMillion: 1000000
EOF
  cat "$here/e2e/cluster/kwok-node-stages.yaml" >"$dir/kwok.yaml"
  printf -- '---\n' >>"$dir/kwok.yaml"
  cat "$here/e2e/cluster/kwok-pod-stages.yaml" >>"$dir/kwok.yaml"
}

# Starts a process in the background with its output in logs/, its PID in pids/.
start() {
  local name=$1
  shift
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

wait_for() { # name, command: retries for up to 90 s
  local name=$1
  shift
  for _ in $(seq 1 180); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  log "$name did not come up; last lines of its log:"
  tail -20 "$dir/logs/$name.log" >&2 || true
  return 1
}

up() {
  local bin
  bin=$(bash "$here/scripts/build-controlplane.sh" | tail -1)
  prepare
  local kubectl=$here/.tools/bin/kubectl
  [[ -x $kubectl ]] || bash "$here/scripts/fetch-k8s-tools.sh" >&2
  echo "$bin" >"$dir/bin-dir"

  start etcd "$bin/etcd" --name e2e --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 10))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 10))" \
    --initial-cluster "e2e=http://127.0.0.1:$((etcd_port + 10))" \
    --listen-metrics-urls "http://127.0.0.1:$((etcd_port + 20))" \
    --enable-distributed-tracing --distributed-tracing-address "127.0.0.1:$otlp_port" \
    --distributed-tracing-service-name etcd --distributed-tracing-sampling-rate 1000000
  wait_for etcd curl -sf "http://127.0.0.1:$((etcd_port + 20))/health"

  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --authorization-mode Node,RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --service-cluster-ip-range 10.96.0.0/16 \
    --audit-policy-file "$here/e2e/cluster/audit-policy.yaml" \
    --audit-log-path "$dir/audit.log" --audit-log-format json --audit-log-mode blocking \
    --audit-webhook-config-file "$dir/audit-webhook.kubeconfig" --audit-webhook-mode batch \
    --audit-webhook-batch-max-wait "${E2E_WEBHOOK_BATCH_WAIT:-1s}" --audit-webhook-initial-backoff 1s \
    --tracing-config-file "$dir/tracing.yaml"
  wait_for kube-apiserver "$kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz

  start kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig "$dir/kube-controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
    --use-service-account-credentials \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
    --cluster-name e2e --controllers '*'
  start kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/kube-scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
  start kwok "$bin/kwok" --kubeconfig "$dir/kwok.kubeconfig" --config "$dir/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 10.0.0.1 \
    --server-address 127.0.0.1:0

  "$kubectl" --kubeconfig "$dir/kubeconfig" apply -f "$here/e2e/cluster/rbac.yaml" >/dev/null
  for i in $(seq 0 $((nodes - 1))); do
    "$kubectl" --kubeconfig "$dir/kubeconfig" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: { kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0" }
  labels: { kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, type: kwok }
status:
  allocatable: { cpu: "8", memory: 32Gi, pods: "110" }
  capacity: { cpu: "8", memory: 32Gi, pods: "110" }
EOF
  done
  wait_for kwok bash -c "[[ \$('$kubectl' --kubeconfig '$dir/kubeconfig' get nodes --no-headers 2>/dev/null | grep -c ' Ready') -ge $nodes ]]"
  # The default ServiceAccount must exist before pods can be created in a namespace.
  wait_for kube-controller-manager "$kubectl" --kubeconfig "$dir/kubeconfig" get serviceaccount default -n default
  log "up: kubeconfig $dir/kubeconfig (kubectl --kubeconfig $dir/kubeconfig get nodes)"
}

down() {
  local stopped=0
  # Reverse start order, so no component logs errors about the one below it being gone first.
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    local f=$dir/pids/$name.pid
    [[ -s $f ]] || continue
    local pid
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      stopped=$((stopped + 1))
    fi
    rm -f "$f"
  done
  log "down: stopped $stopped processes"
}

case $cmd in
  prepare) prepare ;;
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 prepare|up|down [DIR]" >&2
    exit 2
    ;;
esac
