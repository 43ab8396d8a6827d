"""Stand-ins for the controllers a real cluster runs beside the operator, acting on the
emulated API server the way they do: an ingress controller that admits Ingresses (a load
balancer address in their status) and cert-manager's ingress-shim, which makes a
Certificate named after each Ingress's TLS secret and marks it Ready once issued. Hosts in
``held`` get no certificate until released, as when an ACME challenge is pending.

Like the real controllers they requeue, rather than fail, when an object they act on is
deleted or changed under them (garbage collection of a deleted channel's children races
with every pass)."""

from __future__ import annotations

import asyncio
from typing import Any

from ibbase_operator.kube import KubeClient, KubeError
from tests.harness import Background


class ClusterControllers(Background):
    def __init__(self, kube: KubeClient, interval_s: float = 0.1) -> None:
        self.kube = kube
        self.interval_s = interval_s
        self.held: set[str] = set()

    async def _pass(self) -> None:
        for ingress in await self.kube.list("networking.k8s.io/v1", "ingresses"):
            meta = ingress["metadata"]
            ns = meta["namespace"]
            if not ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
                await self.kube.merge_patch(
                    "networking.k8s.io/v1",
                    "ingresses",
                    ns,
                    meta["name"],
                    {"status": {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}},
                    subresource="status",
                )
            if "cert-manager.io/cluster-issuer" not in (meta.get("annotations") or {}):
                continue
            for tls in ingress["spec"].get("tls", []):
                if set(tls["hosts"]) & self.held:
                    continue
                await self._issue(ns, tls["secretName"], tls["hosts"], meta)

    async def _issue(self, ns: str, name: str, hosts: list[str], owner: dict[str, Any]) -> None:
        cert = await self.kube.get_or_none("cert-manager.io/v1", "certificates", ns, name)
        if cert is None:
            cert = await self.kube.create(
                "cert-manager.io/v1",
                "certificates",
                ns,
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "Certificate",
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "ownerReferences": [
                            {
                                "apiVersion": "networking.k8s.io/v1",
                                "kind": "Ingress",
                                "name": owner["name"],
                                "uid": owner["uid"],
                            }
                        ],
                    },
                    "spec": {
                        "secretName": name,
                        "dnsNames": hosts,
                        "issuerRef": {
                            "name": owner["annotations"]["cert-manager.io/cluster-issuer"],
                            "kind": "ClusterIssuer",
                        },
                    },
                },
            )
        conditions = (cert.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            await self.kube.merge_patch(
                "cert-manager.io/v1",
                "certificates",
                ns,
                name,
                {
                    "status": {
                        "conditions": [
                            {
                                "type": "Ready",
                                "status": "True",
                                "reason": "Ready",
                                "message": "issued",
                            }
                        ]
                    }
                },
                subresource="status",
            )

    async def _run(self) -> None:
        while True:
            try:
                await self._pass()
            except KubeError as exc:
                if not (exc.not_found or exc.conflict):
                    raise
            await asyncio.sleep(self.interval_s)
