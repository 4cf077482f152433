#!/usr/bin/env python3
"""A SAML 2.0 service provider built on pysaml2, for oneid's end-to-end tests.

The Rust tests start it as a subprocess next to a running oneid, register the metadata it
writes, and then act as the browser between the two (or let headless Chromium do it). Every
SAML message oneid sends is checked here by pysaml2 itself: signatures (through xmlsec1),
decryption, Destination, InResponseTo, audience, validity times.

    sp.py --dir DIR --idp-metadata URL [--name NAME] [--sign-requests]
          [--want-response-signed] [--nameid-format FORMAT] [--slo-binding redirect|post]
          [--host HOST]

--host names the SP in its URLs (default 127.0.0.1; it always listens on 127.0.0.1): with
"localhost" it is another site than an IdP at 127.0.0.1, as a browser sees sites.

On start it writes DIR/sp.xml (its metadata; key pairs in DIR, made on first use) and prints
"READY <base URL>" on standard output. Pages:

    GET  /                  #signed-in with the last sign-in's facts as JSON, or #signed-out
    GET  /login             starts SSO: ?binding=redirect|post, force=1, passive=1,
                            ctx=<AuthnContextClassRef>, comparison=..., relay=...,
                            nameid=<NameIDPolicy Format>
    POST /acs               the assertion consumer: #signed-in and #result (JSON), or 400 #error
    GET  /logout            SP-initiated single logout (?binding=post: by HTTP-POST)
    GET|POST /slo           LogoutResponse (ends SP-initiated SLO) or LogoutRequest (from the IdP)
    GET  /metadata          this SP's metadata
    GET  /sessions          every session's NameID and whether it ended (JSON), for the tests
"""

import argparse
import base64
import datetime
import html
import json
import os
import secrets
import shutil
import sys
import threading
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256


def keypair(directory, name):
    """A 2048-bit RSA key and a self-signed certificate, made once per directory."""
    key_path = os.path.join(directory, f"{name}.key")
    crt_path = os.path.join(directory, f"{name}.crt")
    if os.path.exists(key_path) and os.path.exists(crt_path):
        return key_path, crt_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"oneid test SP {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
    with open(crt_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, crt_path


class SP:
    """The pysaml2 client and this SP's sessions (cookie value -> facts)."""

    def __init__(self, args, base):
        self.args = args
        self.base = base
        self.cookie = "sp" + urllib.parse.urlsplit(base).port.__str__()
        self.sessions = {}
        self.outstanding = {}
        self.lock = threading.Lock()
        d = args.dir
        os.makedirs(d, exist_ok=True)
        sign_key, sign_crt = keypair(d, "signing")
        enc_key, enc_crt = keypair(d, "encryption")
        idp_xml = os.path.join(d, "idp.xml")
        r = requests.get(args.idp_metadata, timeout=10)
        r.raise_for_status()
        with open(idp_xml, "w", encoding="utf-8") as f:
            f.write(r.text)
        slo_bindings = [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST]
        if args.slo_binding == "post":
            slo_bindings = [BINDING_HTTP_POST]
        conf = {
            "entityid": base + "/metadata",
            "name": args.name,
            "description": args.name,
            "key_file": sign_key,
            "cert_file": sign_crt,
            "encryption_keypairs": [{"key_file": enc_key, "cert_file": enc_crt}],
            "xmlsec_binary": shutil.which("xmlsec1"),
            "metadata": {"local": [idp_xml]},
            "accepted_time_diff": 60,
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "name": args.name,
                    "endpoints": {
                        "assertion_consumer_service": [(base + "/acs", BINDING_HTTP_POST)],
                        "single_logout_service": [(base + "/slo", b) for b in slo_bindings],
                    },
                    "authn_requests_signed": args.sign_requests,
                    "logout_requests_signed": True,
                    "logout_responses_signed": True,
                    "want_assertions_signed": True,
                    "want_response_signed": args.want_response_signed,
                    "allow_unsolicited": True,
                    "name_id_format": [args.nameid_format],
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                },
            },
        }
        self.config = SPConfig()
        self.config.load(conf)
        self.client = Saml2Client(config=self.config)
        self.idp = next(iter(self.client.metadata.identity_providers()))
        with open(os.path.join(d, "sp.xml"), "w", encoding="utf-8") as f:
            f.write(create_metadata_string(None, config=self.config, sign=False).decode())


def page(title, body):
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
        + html.escape(title)
        + "</title></head><body><h1>"
        + html.escape(title)
        + "</h1>"
        + body
        + "</body></html>"
    )


class Handler(BaseHTTPRequestHandler):
    sp = None  # set at start

    def log_message(self, fmt, *a):
        sys.stderr.write("sp.py: " + (fmt % a) + "\n")

    # --- plumbing -----------------------------------------------------------
    def send(self, status, body="", headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if body and not any(k.lower() == "content-type" for k, _ in headers):
            self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location, headers=()):
        self.send(303, "", [("Location", location)] + list(headers))

    def query(self):
        q = urllib.parse.urlsplit(self.path).query
        return {k: v[0] for k, v in urllib.parse.parse_qs(q, keep_blank_values=True).items()}

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8")
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def session(self):
        raw = self.headers.get("Cookie") or ""
        for part in raw.split(";"):
            k, _, v = part.strip().partition("=")
            if k == self.sp.cookie:
                return v, self.sp.sessions.get(v)
        return None, None

    def http_args(self, info):
        """Sends what pysaml2's apply_binding returned (a redirect or a POST form)."""
        if info.get("method") == "GET" or info.get("status") == 303:
            loc = dict(info["headers"]).get("Location")
            return self.redirect(loc)
        return self.send(200, info["data"])

    def fail(self, e):
        traceback.print_exc(file=sys.stderr)
        self.send(400, page("Failed", "<pre id=\"error\">" + html.escape(type(e).__name__ + ": " + str(e)) + "</pre>"))

    # --- routes -------------------------------------------------------------
    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == "/":
                return self.home()
            if path == "/login":
                return self.login()
            if path == "/logout":
                return self.logout()
            if path == "/slo":
                return self.slo(self.query(), BINDING_HTTP_REDIRECT)
            if path == "/sessions":
                with self.sp.lock:
                    rows = [
                        {
                            "name_id": s["name_id"].text,
                            "logged_out": bool(s.get("logged_out")),
                            "logged_out_by_idp": bool(s["facts"].get("logged_out_by_idp")),
                        }
                        for s in self.sp.sessions.values()
                    ]
                return self.send(200, json.dumps(rows), [("Content-Type", "application/json")])
            if path == "/metadata":
                with open(os.path.join(self.sp.args.dir, "sp.xml"), encoding="utf-8") as f:
                    return self.send(200, f.read(), [("Content-Type", "application/samlmetadata+xml")])
            return self.send(404, page("Not found", ""))
        except Exception as e:  # noqa: BLE001 - the test reads the error
            return self.fail(e)

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        try:
            if path == "/acs":
                return self.acs(self.form())
            if path == "/slo":
                return self.slo(self.form(), BINDING_HTTP_POST)
            return self.send(404, page("Not found", ""))
        except Exception as e:  # noqa: BLE001
            return self.fail(e)

    def home(self):
        _, s = self.session()
        if s and not s.get("logged_out"):
            body = "<p id=\"signed-in\">Signed in</p><pre id=\"result\">" + html.escape(json.dumps(s["facts"])) + "</pre><a id=\"logout\" href=\"/logout\">Log out</a>"
        else:
            body = "<p id=\"signed-out\">Signed out</p><a id=\"login\" href=\"/login\">Sign in</a>"
        return self.send(200, page(self.sp.args.name, body))

    def login(self):
        q = self.query()
        sp = self.sp
        binding = BINDING_HTTP_POST if q.get("binding") == "post" else BINDING_HTTP_REDIRECT
        kwargs = {}
        if q.get("force") == "1":
            kwargs["force_authn"] = "true"
        if q.get("passive") == "1":
            kwargs["is_passive"] = "true"
        if q.get("nameid"):
            kwargs["nameid_format"] = q["nameid"]
        if q.get("ctx"):
            kwargs["requested_authn_context"] = {
                "authn_context_class_ref": [q["ctx"]],
                "comparison": q.get("comparison", "exact"),
            }
        dest = sp.client.sso_location(sp.idp, binding)
        sign = sp.args.sign_requests
        relay = q.get("relay", "")
        if binding == BINDING_HTTP_REDIRECT:
            reqid, req = sp.client.create_authn_request(dest, sign=False, **kwargs)
            info = sp.client.apply_binding(
                BINDING_HTTP_REDIRECT, str(req), dest, relay, sign=sign, sigalg=SIG_RSA_SHA256
            )
            with sp.lock:
                sp.outstanding[reqid] = "/"
            return self.http_args(info)
        reqid, req = sp.client.create_authn_request(
            dest, sign=sign, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, **kwargs
        )
        with sp.lock:
            sp.outstanding[reqid] = "/"
        b64 = base64.b64encode(str(req).encode("utf-8")).decode()
        body = (
            "<form method=\"post\" action=\"" + html.escape(dest) + "\" id=\"authn\">"
            "<input type=\"hidden\" name=\"SAMLRequest\" value=\"" + b64 + "\">"
            "<input type=\"hidden\" name=\"RelayState\" value=\"" + html.escape(relay) + "\">"
            "<button type=\"submit\" id=\"go\">Go</button></form>"
        )
        return self.send(200, page("Sign in", body))

    def acs(self, form):
        sp = self.sp
        with sp.lock:
            outstanding = dict(sp.outstanding)
        resp = sp.client.parse_authn_request_response(form["SAMLResponse"], BINDING_HTTP_POST, outstanding)
        if resp is None:
            raise ValueError("no response")
        with sp.lock:
            sp.outstanding.pop(resp.in_response_to, None)
        a = resp.assertion
        authn = a.authn_statement[0]
        name_id = resp.name_id
        facts = {
            "name_id": name_id.text,
            "name_id_format": name_id.format,
            "session_index": authn.session_index,
            "authn_context": authn.authn_context.authn_context_class_ref.text,
            "attributes": resp.get_identity(),
            "issuer": resp.issuer(),
            "in_response_to": resp.in_response_to,
            "relay_state": form.get("RelayState"),
            "encrypted": b"EncryptedAssertion>" in base64.b64decode(form["SAMLResponse"]),
            "response_signed": resp.response.signature is not None,
        }
        token = secrets.token_urlsafe(16)
        with sp.lock:
            sp.sessions[token] = {"facts": facts, "name_id": name_id}
        cookie = f"{sp.cookie}={token}; Path=/; HttpOnly; SameSite=Lax"
        body = "<p id=\"signed-in\">Signed in</p><pre id=\"result\">" + html.escape(json.dumps(facts)) + "</pre><a id=\"logout\" href=\"/logout\">Log out</a>"
        return self.send(200, page(sp.args.name, body), [("Set-Cookie", cookie)])

    def logout(self):
        _, s = self.session()
        if not s:
            return self.redirect("/")
        # ?binding=post: the LogoutRequest goes by HTTP-POST (else pysaml2 prefers Redirect).
        binding = BINDING_HTTP_POST if self.query().get("binding") == "post" else None
        idps = self.sp.client.users.issuers_of_info(s["name_id"])
        result = self.sp.client.do_logout(
            s["name_id"],
            idps,
            reason="",
            expire=None,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            expected_binding=binding,
        )
        for _, (binding, info) in result.items():
            return self.http_args(info)
        return self.redirect("/")

    def slo(self, params, binding):
        sp = self.sp
        if "SAMLResponse" in params:
            resp = sp.client.parse_logout_request_response(params["SAMLResponse"], binding)
            status = resp.response.status.status_code.value
            sp.client.handle_logout_response(resp)
            token, s = self.session()
            if s:
                s["logged_out"] = True
            body = "<p id=\"slo-done\">Signed out</p><pre id=\"slo-status\">" + html.escape(status) + "</pre>"
            return self.send(200, page(sp.args.name, body))
        req = sp.client.parse_logout_request(
            params["SAMLRequest"],
            binding,
            relay_state=params.get("RelayState"),
            sigalg=params.get("SigAlg"),
            signature=params.get("Signature"),
        )
        name_id = req.message.name_id
        with sp.lock:
            for s in sp.sessions.values():
                if s["name_id"].text == name_id.text:
                    s["logged_out"] = True
                    s["facts"]["logged_out_by_idp"] = True
        info = sp.client.handle_logout_request(
            params["SAMLRequest"],
            name_id,
            binding,
            sign=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            relay_state=params.get("RelayState"),
            sigalg=params.get("SigAlg"),
            signature=params.get("Signature"),
        )
        return self.http_args(info)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--idp-metadata", required=True)
    ap.add_argument("--name", default="pysaml2 test SP")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--sign-requests", action="store_true")
    ap.add_argument("--want-response-signed", action="store_true")
    ap.add_argument("--nameid-format", default=NAMEID_FORMAT_PERSISTENT)
    ap.add_argument("--slo-binding", choices=["redirect", "post"], default="redirect")
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    base = f"http://{args.host}:{server.server_address[1]}"
    Handler.sp = SP(args, base)
    print("READY " + base, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
