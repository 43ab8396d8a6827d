"""A real Kubernetes control plane for tests, envtest-style: etcd, kube-apiserver and
kube-controller-manager built from source by ``scripts/build-kube.sh``, started on free
ports of this machine with RBAC and the admission plugins a real cluster runs."""
