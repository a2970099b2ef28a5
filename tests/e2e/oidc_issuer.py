"""A small OpenID Connect issuer for the tests: a CA and a server certificate for 127.0.0.1 made
with `cryptography`, a threaded HTTPS server on a free loopback port that serves the discovery
document (`/.well-known/openid-configuration`) and the JWKS (`/keys`), and ID tokens signed with
keys the test made (RS256 or ES256), as GitHub Actions, EKS or Keycloak issue them."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc import jwk, jwt

HOST = "127.0.0.1"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Pki:
    """A CA and a server certificate it issued for 127.0.0.1."""

    ca_key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate
    server_key: ec.EllipticCurvePrivateKey
    server_cert: x509.Certificate

    @classmethod
    def generate(cls, name: str = "sagegate test CA", ca: Pki | None = None) -> Pki:
        """A new CA and server certificate; with `ca`, a server certificate of that CA."""
        now = datetime.now(UTC)
        if ca is None:
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_cert = (
                x509.CertificateBuilder()
                .subject_name(_name(name))
                .issuer_name(_name(name))
                .public_key(ca_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=False,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=True,
                        crl_sign=True,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
                )
                .sign(ca_key, hashes.SHA256())
            )
        else:
            ca_key, ca_cert = ca.ca_key, ca.ca_cert
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(HOST))
            .issuer_name(ca_cert.subject)
            .public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        return cls(ca_key, ca_cert, server_key, server_cert)

    @property
    def ca_thumbprint(self) -> str:
        return hashlib.sha1(self.ca_cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    def server_context(self, directory: Path, chain: list[x509.Certificate] | None = None) -> Any:
        """A TLS server context presenting the server certificate followed by `chain` (by
        default the CA certificate, as servers send their intermediates)."""
        pem = b"".join(
            c.public_bytes(serialization.Encoding.PEM)
            for c in [self.server_cert, *(chain if chain is not None else [self.ca_cert])]
        )
        cert_path = directory / f"chain-{id(self)}.pem"
        key_path = directory / f"key-{id(self)}.pem"
        cert_path.write_bytes(pem)
        key_path.write_bytes(
            self.server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_path, key_path)
        return ctx


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        issuer = self.server.issuer
        issuer.hits.append(self.path)
        if issuer.status != 200:
            self._send(issuer.status, b"{}")
        elif self.path == "/.well-known/openid-configuration":
            doc = {
                "issuer": issuer.url,
                "jwks_uri": issuer.url + "/keys",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
            self._send(200, json.dumps(doc).encode())
        elif self.path == "/keys":
            keys = [k.as_dict(private=False) for k in issuer.published]
            self._send(200, json.dumps({"keys": keys}).encode())
        else:
            self._send(404, b"{}")

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    issuer: Issuer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # handshakes the client abandons on purpose (sagegate's chain probe)


class Issuer:
    """A running OIDC issuer. `published` are the keys its JWKS lists; `token()` signs with
    `signing` (or a given key). `status` other than 200 makes every answer fail."""

    def __init__(self, directory: Path, pki: Pki | None = None, chain: Any = None) -> None:
        self.pki = pki or Pki.generate()
        self.published: list[jwk.Key] = []
        self.signing: jwk.Key = self.add_key("RS256")
        self.status = 200
        self.hits: list[str] = []
        self._server = _Server((HOST, 0), _Handler)
        self._server.issuer = self
        self._server.socket = self.pki.server_context(directory, chain).wrap_socket(
            self._server.socket, server_side=True
        )
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        """The provider URL without `https://`: the prefix of the condition keys."""
        return f"{HOST}:{self.port}"

    def add_key(self, alg: str = "RS256") -> jwk.Key:
        n = len(self.published) + 1
        if alg.startswith("ES"):
            key: jwk.Key = jwk.ECKey.generate_key(
                "P-256", parameters={"kid": f"ec-{n}-{id(self)}", "alg": alg, "use": "sig"}
            )
        else:
            key = jwk.RSAKey.generate_key(
                2048, parameters={"kid": f"rsa-{n}-{id(self)}", "alg": alg, "use": "sig"}
            )
        self.published.append(key)
        return key

    def rotate(self, alg: str = "RS256") -> jwk.Key:
        """Publish a new key, retire all others, sign with the new one."""
        new = self.add_key(alg)
        self.published = [new]
        self.signing = new
        return new

    def token(
        self,
        sub: str = "repo:acme/app:ref:refs/heads/main",
        aud: str | list[str] = "sts.amazonaws.com",
        *,
        key: jwk.Key | None = None,
        alg: str | None = None,
        lifetime: int = 600,
        **claims: Any,
    ) -> str:
        key = key or self.signing
        alg = alg or str(key.as_dict(private=False).get("alg") or "RS256")
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
        return jwt.encode(header, body, key, algorithms=[alg])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@contextmanager
def running_issuer(directory: Path, **kwargs: Any) -> Iterator[Issuer]:
    issuer = Issuer(directory, **kwargs)
    try:
        yield issuer
    finally:
        issuer.stop()
