"""What a control plane's identities need, made fresh for each run: a CA and the API
server's serving certificate (trustme), the service-account signing key pair, and the static
bearer tokens of the admin and of kube-controller-manager."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    serving_cert: Path  # certificate chain then key: the API server's --tls-* files
    serving_key: Path
    sa_private_key: Path
    sa_public_key: Path
    token_file: Path  # --token-auth-file
    admin_token: str
    controller_manager_token: str


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="ibbase test control plane")
    serving = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    )
    pki = Pki(
        ca_file=directory / "ca.crt",
        serving_cert=directory / "apiserver.crt",
        serving_key=directory / "apiserver.key",
        sa_private_key=directory / "sa.key",
        sa_public_key=directory / "sa.pub",
        token_file=directory / "tokens.csv",
        admin_token=secrets.token_urlsafe(32),
        controller_manager_token=secrets.token_urlsafe(32),
    )
    ca.cert_pem.write_to_path(str(pki.ca_file))
    serving.private_key_pem.write_to_path(str(pki.serving_key))
    pki.serving_cert.write_bytes(b"".join(blob.bytes() for blob in serving.cert_chain_pems))

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pki.sa_private_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pki.sa_public_key.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    # token,user,uid,"groups": the admin is a cluster admin as kubeadm's admin.conf is; the
    # controller manager runs every controller under its own name in system:masters, as a
    # test control plane may (kubeadm gives each controller a service account instead).
    pki.token_file.write_text(
        f'{pki.admin_token},kubernetes-admin,uid-admin,"system:masters"\n'
        f"{pki.controller_manager_token},system:kube-controller-manager,uid-kcm,"
        '"system:masters"\n'
    )
    return pki
