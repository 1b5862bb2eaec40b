"""stackful.ssl: TLS over cooperative sockets against a local server with a
self-signed certificate made here (the `cryptography` package if installed, else the
`openssl` command)."""

import datetime
import shutil
import ssl
import subprocess

import pytest

import stackful
from stackful import socket
from stackful import ssl as cossl


def _make_certificate(directory, name):
    cert, key = directory / (name + ".pem"), directory / (name + ".key")
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl command")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(private.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    return _make_certificate(directory, "server"), _make_certificate(directory, "other")


def _contexts(certificates, trusted):
    (cert, key), (other_cert, _) = certificates
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert if trusted else other_cert))
    return server, client


def _serve_tls_echo(listener, context, errors):
    conn, _ = listener.accept()
    try:
        with cossl.wrap_socket(conn, context, server_side=True) as tls:
            while data := tls.recv(65536):
                tls.sendall(data)
    except (ssl.SSLError, OSError) as exc:
        errors.append(exc)
        conn.close()


def _start_server(context):
    """A listening socket with a TLS echo task on it; a client connection to it."""
    listener = socket.create_server(("127.0.0.1", 0))
    errors = []
    server = stackful.spawn(_serve_tls_echo, listener, context, errors)
    raw = socket.create_connection(("127.0.0.1", listener.getsockname()[1]))
    return listener, server, errors, raw


def test_tls_echo_round_trips(certificates):
    server_context, client_context = _contexts(certificates, trusted=True)

    def main():
        listener, server, errors, raw = _start_server(server_context)
        with stackful.timeout(30):
            tls = cossl.wrap_socket(raw, client_context, server_hostname="localhost")
            assert tls.version() in ("TLSv1.2", "TLSv1.3") and tls.cipher()
            assert tls.getpeercert()["subject"] == ((("commonName", "localhost"),),)
            for size in (1, 1000, 100_000):
                message = bytes(range(256)) * (size // 256) + b"!" * (size % 256)
                tls.sendall(message)
                got = bytearray()
                while len(got) < len(message):
                    buffer = bytearray(65536)
                    n = tls.recv_into(buffer)
                    got += buffer[:n]
                assert bytes(got) == message
            plain = tls.unwrap()
            plain.close()
            server.join()
        assert errors == []
        listener.close()

    stackful.run(main)


def test_a_wrong_certificate_fails_the_handshake_on_both_sides_without_hanging(certificates):
    server_context, client_context = _contexts(certificates, trusted=False)

    def main():
        listener, server, errors, raw = _start_server(server_context)
        with stackful.timeout(30):
            with pytest.raises(ssl.SSLCertVerificationError):
                cossl.wrap_socket(raw, client_context, server_hostname="localhost")
            raw.close()
            server.join()
        assert len(errors) == 1 and isinstance(errors[0], (ssl.SSLError, ConnectionError))
        listener.close()

    stackful.run(main)


def test_a_peer_that_closes_during_the_handshake_raises(certificates):
    server_context, _ = _contexts(certificates, trusted=True)

    def main():
        listener, server, errors, raw = _start_server(server_context)
        raw.sendall(b"this is not TLS\r\n\r\n")
        raw.close()
        with stackful.timeout(30):
            server.join()
        assert len(errors) == 1 and isinstance(errors[0], (ssl.SSLError, ConnectionError))
        listener.close()

    stackful.run(main)


def test_wrap_socket_checks_its_arguments(certificates):
    def main():
        a, b = socket.socketpair()
        with pytest.raises(TypeError, match="stackful.socket"):
            cossl.SSLSocket(__import__("socket").socket(), ssl.create_default_context())
        with pytest.raises(TypeError, match="SSLContext"):
            cossl.wrap_socket(a, "not a context")
        a.close()
        b.close()

    stackful.run(main)
