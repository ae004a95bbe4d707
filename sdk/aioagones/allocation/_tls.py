"""TLS material for the allocator connection, checked when it is loaded, and what a handshake failure means.

PEM files are read and checked with the standard `ssl` module when the client is made (a
wrong path, a key that does not match its certificate, a CA file that holds no certificate:
each is an `InvalidArgumentError` naming the file), so the first allocation does not fail
with a handshake error that names nothing.

What a failed connection says (grpc's text, lower-cased) decides what it means:
- "tls handshake failed", "certificate_verify_failed", "hostname verification", "wrong_version_number":
  a TLS failure on our side of the handshake; certain, raised at once. An "alert" about a
  certificate is the allocator refusing ours (TLS 1.2 servers, some TLS 1.3 ones): also at once.
- "unwrap failed (tsi_data_corrupted)" while connecting: a TLS 1.3 server's alert right after the
  handshake, which is how Agones' allocator (Go) refuses a missing or untrusted client certificate.
- "socket closed", "broken pipe", "connection reset" while connecting: the allocator tore the
  connection down, which is how a refused client certificate looks (TLS 1.3 checks it after
  the client's half of the handshake) and how a TLS server answers a plaintext client. A
  restarting allocator can look the same once, so it counts only when it happens twice in a row.
- anything else ("connection refused", a name that does not resolve): unreachable, retriable.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from .._errors import InvalidArgumentError
from ._errors import AllocatorTLSError

StrPath = str | PathLike[str]

_HANDSHAKE = ("tls handshake failed", "ssl_error", "certificate_verify_failed", "hostname verification")
_TORN_DOWN = ("socket closed", "broken pipe", "connection reset")
# What grpc reports when a TLS 1.3 server (Go's, as in Agones' allocator) checks the client certificate
# after its half of the handshake and sends an alert: grpc reads the alert as corrupt data.
_ALERT_AFTER_HANDSHAKE = ("tsi_data_corrupted", "unwrap failed")
# An alert the allocator sent about our certificate (e.g. TLSV13_ALERT_CERTIFICATE_REQUIRED, ..._UNKNOWN_CA).
_PEER_REFUSED = ("certificate", "unknown_ca", "access_denied")


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """TLS for the allocator: the CA that signed its certificate (None: the system's), and a client pair for mTLS.

    Values are PEM bytes; `TLSConfig.from_files(ca=..., cert=..., key=...)` reads and checks files and keeps
    their paths, so an error can name the file to fix. `server_name` overrides the name the allocator's
    certificate is checked against (default: the host of the endpoint).
    """

    ca: bytes | None = None
    cert: bytes | None = None
    key: bytes | None = None
    server_name: str | None = None
    ca_path: str | None = None
    cert_path: str | None = None
    key_path: str | None = None

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            missing = "key" if self.key is None else "cert"
            raise InvalidArgumentError(f"TLS: a client certificate needs both cert and key; {missing} is missing")
        if self.ca is not None:
            try:
                ssl.create_default_context(cadata=self.ca.decode("ascii", "replace"))
            except (ssl.SSLError, ValueError) as error:
                raise InvalidArgumentError(f"{self._name('ca')} holds no usable PEM certificate ({error})") from None
        if self.cert is not None and self.key is not None:
            self._check_pair(self.cert, self.key)

    @classmethod
    def from_files(
        cls,
        *,
        ca: StrPath | None = None,
        cert: StrPath | None = None,
        key: StrPath | None = None,
        server_name: str | None = None,
    ) -> TLSConfig:
        """Read PEM files: `ca` (the allocator's CA; None for the system's), `cert` and `key` (mTLS)."""
        return cls(
            ca=_read("ca", ca),
            cert=_read("cert", cert),
            key=_read("key", key),
            server_name=server_name,
            ca_path=None if ca is None else str(ca),
            cert_path=None if cert is None else str(cert),
            key_path=None if key is None else str(key),
        )

    def _name(self, which: str) -> str:
        path = getattr(self, f"{which}_path")
        return f"the {which} file {path!r} ({which}=, --{which})" if path else f"the {which} PEM ({which}=)"

    def _check_pair(self, cert: bytes, key: bytes) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        with tempfile.TemporaryDirectory() as tmp:  # load_cert_chain takes only paths
            cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
            cert_file.write_bytes(cert)
            key_file.touch(mode=0o600)
            key_file.write_bytes(key)
            try:
                context.load_cert_chain(cert_file, key_file)
            except ssl.SSLError as error:
                reason = "they do not match" if "mismatch" in str(error).lower() else str(error)
                raise InvalidArgumentError(
                    f"{self._name('cert')} and {self._name('key')} are not a usable certificate and key: {reason}"
                ) from None

    def failure(self, endpoint: str, text: str, torn_down_before: bool) -> AllocatorTLSError | None:
        """The TLS error that grpc's `text` shows for a TLS connection, or None if it is something else."""
        if "wrong_version_number" in text or "packet_length_too_long" in text:
            return AllocatorTLSError(
                f"{endpoint} does not answer TLS: if the allocator runs without TLS (Agones --disable-tls, "
                "agones-local-allocator without --cert), connect with plaintext=True (--plaintext)",
                setting="plaintext",
            )
        if "hostname verification" in text or "peer name" in text:
            host = self.server_name or endpoint.rsplit(":", 1)[0]
            return AllocatorTLSError(
                f"the allocator's certificate does not name {host!r}: connect by a name or IP it holds, "
                "or set TLSConfig(server_name=...) to the name it holds",
                setting="server_name",
            )
        if "failed to connect" in text and any(word in text for word in _ALERT_AFTER_HANDSHAKE):
            return self._refused_client_certificate(endpoint, "answered the TLS handshake with an alert")
        if "alert" in text and any(word in text for word in _PEER_REFUSED):
            return self._refused_client_certificate(endpoint, "refused it in the TLS handshake")
        if any(word in text for word in _HANDSHAKE):
            where = self._name("ca") if self.ca is not None else "the system's trust store (no ca given)"
            return AllocatorTLSError(
                f"the allocator's certificate is not signed by a CA in {where}: pass the CA of the allocator's "
                "serving certificate (tls-ca.crt of the allocator-tls-ca Secret in agones-system)",
                setting="ca",
                path=self.ca_path,
            )
        if torn_down_before and any(word in text for word in _TORN_DOWN):
            return self._refused_client_certificate(endpoint, "closed the connection in the TLS handshake, every time")
        return None

    def _refused_client_certificate(self, endpoint: str, what: str) -> AllocatorTLSError:
        if self.cert is None:
            return AllocatorTLSError(
                f"{endpoint} {what}: the allocator requires a client certificate (mTLS); "
                "pass cert= and key= (--cert FILE --key FILE)",
                setting="cert",
            )
        return AllocatorTLSError(
            f"{endpoint} {what}: it does not accept {self._name('cert')}; use a client certificate "
            "signed by a CA in the allocator's client CA Secret (allocator-client-ca in agones-system)",
            setting="cert",
            path=self.cert_path,
        )


def torn_down(text: str) -> bool:
    """True if grpc's `text` shows the peer closing a connection while it was being set up."""
    return "failed to connect" in text and any(word in text for word in _TORN_DOWN)


def plaintext_failure(endpoint: str, text: str, torn_down_before: bool) -> AllocatorTLSError | None:
    """The error for a plaintext connection that the allocator keeps tearing down (it serves TLS), or None."""
    if torn_down_before and torn_down(text):
        return AllocatorTLSError(
            f"{endpoint} closed the connection at once, every time: the allocator serves TLS; drop plaintext "
            "(--plaintext) and pass ca (--ca FILE), and cert and key (--cert FILE --key FILE) for mTLS",
            setting="plaintext",
        )
    return None


def _read(which: str, path: StrPath | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise InvalidArgumentError(
            f"cannot read the {which} file {str(path)!r} (--{which}): {error.strerror}"
        ) from None
