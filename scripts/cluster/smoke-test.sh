#!/usr/bin/env bash
# Smoke test of a running scripts/test-cluster cluster, with curl and jq only:
#   scripts/test-cluster up >/dev/null && scripts/cluster/smoke-test.sh
# Creates workloads in a throwaway namespace `tare-smoke` and checks that
# they behave as the test suite expects (see the header of scripts/test-cluster),
# then deletes the namespace. Exit code 0 when every check passed.
set -euo pipefail

CACHE_DIR=${TARE_CACHE_DIR:-$HOME/.cache/tare}
STATE=${TARE_CLUSTER_DIR:-$CACHE_DIR/cluster}
PKI=$STATE/pki
NS=tare-smoke
[[ -f $STATE/ports.env && -f $STATE/kubeconfig ]] || { echo "no running test cluster in $STATE" >&2; exit 1; }
# shellcheck disable=SC1091
source "$STATE/ports.env"
API=https://127.0.0.1:$API_PORT
PASS=0 FAIL=0

as_admin() { curl -sS --max-time 30 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"; }
as_restricted() { curl -sS --max-time 30 --cacert "$PKI/ca.crt" --cert "$PKI/restricted.crt" --key "$PKI/restricted.key" "$@"; }
apply() { # apply <path> <yaml-on-stdin>
  as_admin --fail-with-body -o /dev/null -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
    --data-binary @- "$API$1?fieldManager=smoke&force=true"
}
ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# check <timeout-s> <description> <api path> <jq filter that must yield true>
check() {
  local timeout=$1 what=$2 path=$3 filter=$4 start=$SECONDS out=""
  while ((SECONDS - start < timeout)); do
    out=$(as_admin "$API$path" 2>/dev/null || true)
    if jq -e "$filter" <<<"$out" >/dev/null 2>&1; then
      ok "$what ($((SECONDS - start)) s)"
      return 0
    fi
    sleep 0.5
  done
  nok "$what (timeout ${timeout}s)"
  jq -c '.status // .' <<<"$out" 2>/dev/null | cut -c1-600 || true
  return 0
}
deploy() { # deploy <name> <image> <replicas>
  apply "/apis/apps/v1/namespaces/$NS/deployments/$1" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: $NS}
spec:
  replicas: $3
  progressDeadlineSeconds: 10
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers:
      - {name: main, image: "$2"}
EOF
}

version=$(as_admin "$API/version" | jq -r .gitVersion)
[[ $version == v1.36.3 ]] && ok "/version is $version" || nok "/version is $version"

as_admin -o /dev/null -X DELETE "$API/api/v1/namespaces/$NS" || true
check 60 "old namespace $NS gone" "/api/v1/namespaces/$NS" '.code == 404'
apply "/api/v1/namespaces/$NS" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
EOF
check 30 "ServiceAccount default in $NS" "/api/v1/namespaces/$NS/serviceaccounts/default" '.metadata.name == "default"'

deploy web registry.example/nginx:1.27 2
deploy broken registry.example/nginx:broken 1
deploy crash registry.example/nginx:crash 1
check 60 "Deployment web: availableReplicas 2" "/apis/apps/v1/namespaces/$NS/deployments/web" \
  '.status.availableReplicas == 2 and .status.readyReplicas == 2'
check 60 "Deployment broken: pod waiting in ImagePullBackOff" "/api/v1/namespaces/$NS/pods?labelSelector=app%3Dbroken" \
  '.items | length == 1 and all(.status.phase == "Pending" and .status.containerStatuses[0].state.waiting.reason == "ImagePullBackOff")'
check 60 "Deployment broken: ProgressDeadlineExceeded, 0 available" "/apis/apps/v1/namespaces/$NS/deployments/broken" \
  '(.status.availableReplicas // 0) == 0 and any(.status.conditions[]; .type == "Progressing" and .reason == "ProgressDeadlineExceeded")'
check 5 "Deployment broken: pod still ImagePullBackOff" "/api/v1/namespaces/$NS/pods?labelSelector=app%3Dbroken" \
  '.items | length == 1 and all(.status.containerStatuses[0].state.waiting.reason == "ImagePullBackOff")'
check 60 "Deployment crash: CrashLoopBackOff, restartCount 5" "/api/v1/namespaces/$NS/pods?labelSelector=app%3Dcrash" \
  '.items | length == 1 and all(.status.phase == "Running" and .status.containerStatuses[0].state.waiting.reason == "CrashLoopBackOff" and .status.containerStatuses[0].restartCount == 5 and .status.containerStatuses[0].lastState.terminated.exitCode == 1)'
check 5 "Deployment crash: not available" "/apis/apps/v1/namespaces/$NS/deployments/crash" '(.status.availableReplicas // 0) == 0'

apply "/apis/apps/v1/namespaces/$NS/statefulsets/db" <<EOF
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: $NS}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: main, image: "registry.example/postgres:17"}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
EOF
check 90 "StatefulSet db with PVCs: readyReplicas 2" "/apis/apps/v1/namespaces/$NS/statefulsets/db" \
  '.status.readyReplicas == 2 and .status.availableReplicas == 2'
check 10 "PVCs data-db-0/1 Bound (default StorageClass kwok-volume)" "/api/v1/namespaces/$NS/persistentvolumeclaims" \
  '[.items[] | select(.status.phase == "Bound" and .spec.storageClassName == "kwok-volume")] | length == 2'

apply "/apis/batch/v1/namespaces/$NS/jobs/migrate" <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: $NS}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: "registry.example/migrate:1"}
EOF
apply "/apis/batch/v1/namespaces/$NS/jobs/migrate-fail" <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: migrate-fail, namespace: $NS}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: "registry.example/migrate:fail"}
EOF
check 60 "Job migrate: Complete" "/apis/batch/v1/namespaces/$NS/jobs/migrate" \
  '.status.succeeded == 1 and any(.status.conditions[]; .type == "Complete" and .status == "True")'
check 60 "Job migrate-fail (:fail): Failed" "/apis/batch/v1/namespaces/$NS/jobs/migrate-fail" \
  'any(.status.conditions[]?; .type == "Failed" and .status == "True")'

apply "/apis/apps/v1/namespaces/$NS/daemonsets/agent" <<EOF
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: $NS}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: main, image: "registry.example/agent:1"}
EOF
check 60 "DaemonSet agent: ready on 3 nodes" "/apis/apps/v1/namespaces/$NS/daemonsets/agent" \
  '.status.desiredNumberScheduled == 3 and .status.numberReady == 3 and .status.numberAvailable == 3'

for t in pass:registry.example/test:1:Succeeded fail:registry.example/test:fail:Failed; do
  name=${t%%:*} rest=${t#*:} phase=${t##*:} image=${rest%:*}
  apply "/api/v1/namespaces/$NS/pods/hook-test-$name" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: hook-test-$name
  namespace: $NS
  annotations: {helm.sh/hook: test}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: "$image"}
EOF
  check 60 "bare Pod helm.sh/hook=test, image $image: $phase" "/api/v1/namespaces/$NS/pods/hook-test-$name" \
    ".status.phase == \"$phase\""
done

apply "/api/v1/namespaces/$NS/services/lb" <<EOF
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: $NS}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
EOF
check 30 "LoadBalancer Service gets an ingress IP" "/api/v1/namespaces/$NS/services/lb" \
  '.status.loadBalancer.ingress[0].ip == "127.0.0.2"'

# The restricted user: namespaced rights in tars-system / tars-dataplane only.
code() { as_restricted -o /dev/null -w '%{http_code}' "$@"; }
crd='{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.smoke.tare.dev"},"spec":{"group":"smoke.tare.dev","names":{"kind":"Widget","plural":"widgets"},"scope":"Namespaced","versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}'
c=$(code -X POST -H 'Content-Type: application/json' -d "$crd" "$API/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
[[ $c == 403 ]] && ok "restricted: create CRD -> 403" || nok "restricted: create CRD -> $c"
c=$(code "$API/api/v1/namespaces")
[[ $c == 403 ]] && ok "restricted: list namespaces -> 403" || nok "restricted: list namespaces -> $c"
c=$(code "$API/api/v1/namespaces/$NS/configmaps")
[[ $c == 403 ]] && ok "restricted: configmaps in $NS -> 403" || nok "restricted: configmaps in $NS -> $c"
for ns in tars-system tars-dataplane; do
  c=$(code -X POST -H 'Content-Type: application/json' \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"smoke-"},"data":{"a":"b"}}' \
    "$API/api/v1/namespaces/$ns/configmaps")
  [[ $c == 201 ]] && ok "restricted: create ConfigMap in $ns -> 201" || nok "restricted: create ConfigMap in $ns -> $c"
  c=$(code -X DELETE "$API/api/v1/namespaces/$ns/configmaps?labelSelector=" )
  [[ $c == 200 ]] && ok "restricted: deletecollection ConfigMaps in $ns -> 200" || nok "restricted: deletecollection in $ns -> $c"
  c=$(code "$API/apis/apps/v1/namespaces/$ns/deployments")
  [[ $c == 200 ]] && ok "restricted: list Deployments in $ns -> 200" || nok "restricted: list Deployments in $ns -> $c"
done

as_admin -o /dev/null -X DELETE "$API/api/v1/namespaces/$NS"
check 120 "namespace $NS deleted (pods, PVCs, finalizers all cleaned up)" "/api/v1/namespaces/$NS" '.code == 404'

echo "$PASS passed, $FAIL failed"
((FAIL == 0))
