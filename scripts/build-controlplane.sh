#!/usr/bin/env bash
# Builds the e2e control plane — kube-apiserver, kube-controller-manager, kube-scheduler (one pinned
# Kubernetes release), etcd 3.6 and kwok — from the Go modules under e2e/controlplane/, into a cache
# outside the repository keyed by those modules' go.mod and go.sum and this script (its link flags).
# A key already built is reused, so only the first run on a machine pays for the compile.
#
# Prints the bin directory on its last line. Env: KUBESTITCH_CP_CACHE (default
# ~/.cache/kubestitch/controlplane).
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$0")/.."
root=$PWD/e2e/controlplane
# The Go toolchain where the machine installs it, also when a non-login shell left it off PATH.
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin

# The version a module's go.mod requires (single-line or block form).
modver() { sed -nE "s#^[[:space:]]*(require[[:space:]]+)?$2 (v[^ ]+).*#\\2#p" "$root/$1/go.mod" | head -1; }
k8s_version=$(modver kubernetes k8s.io/kubernetes)
key=$(cat "$root"/*/go.mod "$root"/*/go.sum "$self" | sha256sum | cut -c1-16)
cache=${KUBESTITCH_CP_CACHE:-$HOME/.cache/kubestitch/controlplane}
bin=$cache/$k8s_version-$key/bin

build() { # module-dir output-name package [ldflags]
  local dir=$1 out=$2 pkg=$3 ldflags=${4:-}
  [[ -x $bin/$out ]] && return 0
  local start=$SECONDS
  echo "== building $out ($pkg)" >&2
  # A temp name then rename, so an
  # interrupted build never leaves a half-written binary that a later run would take as built.
  (cd "$root/$dir" && go build -ldflags "-s -w $ldflags" -o "$bin/.$out.tmp" "$pkg")
  mv "$bin/.$out.tmp" "$bin/$out"
  echo "== built $out in $((SECONDS - start)) s" >&2
}

mkdir -p "$bin"
minor=${k8s_version#v1.}
minor=${minor%%.*}
# Without these the binaries report v0.0.0-master (--version) and v0.0.0 (the user agents that
# audit records carry); Kubernetes' own build sets both packages so (hack/lib/version.sh).
kver=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kver+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
build kubernetes kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kver"
build kubernetes kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$kver"
build kubernetes kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$kver"
etcd_version=$(modver etcd go.etcd.io/etcd/server/v3)
build etcd etcd go.etcd.io/etcd/server/v3
kwok_version=$(modver kwok sigs.k8s.io/kwok)
build kwok kwok sigs.k8s.io/kwok/cmd/kwok
printf '{"kubernetes":"%s","etcd":"%s","kwok":"%s"}\n' "$k8s_version" "$etcd_version" "$kwok_version" >"$bin/../modules.json"
echo "$bin"
