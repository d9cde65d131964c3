"""A client's consortium credentials, as ``yrdx pki issue`` writes them into a directory
(``key.pem`` encrypted, ``chain.pem``), and the RFC 7523 client assertions made with them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.pki import CHAIN_FILE, KEY_FILE, ClientIdentity, identity_of, load_certificates, load_private_key
from gateway.tokens import make_client_assertion


@dataclass(frozen=True)
class ClientCredentials:
    """A client's key, certificate chain (leaf first) and the identity the certificate names."""

    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]
    identity: ClientIdentity

    @classmethod
    def load(cls, directory: Path, *, password: bytes) -> ClientCredentials:
        """Open the credentials in ``directory`` with the key's ``password``."""
        chain = tuple(load_certificates(directory / CHAIN_FILE))
        key = load_private_key((directory / KEY_FILE).read_bytes(), password)
        return cls(key=key, chain=chain, identity=identity_of(chain[0]))

    @property
    def client_id(self) -> str:
        return self.identity.client_id

    def assertion(self, audience: str, *, now: dt.datetime | None = None) -> str:
        """A fresh ``private_key_jwt`` client assertion for the gateway ``audience``."""
        return make_client_assertion(self.key, list(self.chain), client_id=self.client_id, audience=audience, now=now)
