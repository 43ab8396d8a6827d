#!/usr/bin/env bash
# The Secrets a development install of charts/ibbase needs, created with random values when
# missing (never overwritten, never printed): <release>-admin (IBBASE_ADMIN_TOKEN) and
# <release>-database (the bundled PostgreSQL's password and URL). skaffold runs it before
# each deploy; usage: dev_secrets.sh NAMESPACE RELEASE.
set -euo pipefail
ns=${1:?namespace}
release=${2:?release name}
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns" >/dev/null

random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

if ! kubectl -n "$ns" get secret "$release-admin" >/dev/null 2>&1; then
  kubectl -n "$ns" create secret generic "$release-admin" --from-literal=token="$(random)" >/dev/null
  echo "created Secret $ns/$release-admin (read it: kubectl -n $ns get secret $release-admin -o jsonpath='{.data.token}' | base64 -d)"
fi
if ! kubectl -n "$ns" get secret "$release-database" >/dev/null 2>&1; then
  password=$(random)
  kubectl -n "$ns" create secret generic "$release-database" \
    --from-literal=password="$password" \
    --from-literal=url="postgresql://ibbase:$password@$release-postgresql:5432/ibbase" >/dev/null
  echo "created Secret $ns/$release-database"
fi
