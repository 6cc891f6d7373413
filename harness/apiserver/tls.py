"""TLS for the server: a throwaway certificate authority and a serving certificate, made fresh at every start.

Why TLS on loopback: kubectl (client-go) sends a kubeconfig's bearer token only over HTTPS, so a plain-HTTP server
could not tell its own clients from anything else on the machine. The authority's certificate goes into the
generated kubeconfig (``certificate-authority-data``); the serving certificate names ``localhost``, the loopback
addresses and the address served on. Keys are ECDSA P-256 and never leave the process except as two 0600 files in
a private temporary folder, which :meth:`Credentials.cleanup` removes.

Not here: the socket handling (:mod:`.http`).
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY: Final = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Credentials:
    ca_pem: bytes
    folder: Path  # holds tls.crt and tls.key (0600)

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.folder / "tls.crt", self.folder / "tls.key")
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rayjob-harness"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _sans(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                     x509.IPAddress(ipaddress.ip_address("::1"))]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host not in ("localhost", ""):
            names.append(x509.DNSName(host))
    else:
        if not address.is_unspecified and x509.IPAddress(address) not in names:
            names.append(x509.IPAddress(address))
    return names


def make_credentials(host: str) -> Credentials:
    """A new authority and a serving certificate for ``host`` (plus localhost and loopback)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("rayjob-harness simulator CA")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(now + VALIDITY)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("rayjob-harness simulator")).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.SubjectAlternativeName(_sans(host)), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="rjh-serve-"))
    (folder / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "tls.key"
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Credentials(ca.public_bytes(serialization.Encoding.PEM), folder)
