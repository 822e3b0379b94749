"""The assistant's web page in a real browser (Playwright driving Debian's /usr/bin/chromium) against an
applied modules/inference-api: sign in, ask, read the answer and its sources, say it helped.

``run_session`` is called by the test of the applied inference-api example
(tests/modules/test_inference_api_complete.py), so the suite applies that example once. The sandbox has no
CloudFront edge, so the session serves the site as CloudFront would: a local HTTPS server (a self-signed
certificate the browser is told to accept) on ``origin_port`` (the API's ``cors_allowed_origins`` is
``https://localhost:<origin_port>``: the module takes https origins only) that answers ``GET /path`` with the
file of ``site_dir`` (``config.json`` written for the API's outputs, as modules/static-site writes it) and
adds the headers of the static-site module's response headers policy, so the browser enforces the real CSP.
``policy_headers`` plans modules/static-site (no apply) for those headers: the applied site's bucket policy,
origin access control and headers policy are tests/modules/test_static_site.py's.

Cognito is the sandbox's own: it serves InitiateAuth unsigned and answers the browser's CORS preflight, as
AWS does (``launchpad.sandbox.authz.gate``, ``PUBLIC_COGNITO``).

No ``page.route``: with request interception on, Playwright answers every CORS preflight itself (204, any
origin), so the API's real preflight would never be tested. Screenshots go to ``artifacts``.
"""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launchpad import combined
from launchpad.assistant.client import stage_url
from launchpad.assistant.standin import add_person
from launchpad.aws import AwsTarget
from launchpad.paths import modules_dir
from launchpad.terraform import terraform_env
from tests.chromium import FLAGS, chromium

USER, PASSWORD = "alice@example.org", "Correct-Horse-Battery-9"
QUESTION = "How long should I wash my hands?"
SITE_FILES = ("index.html", "app.js", "styles.css")
CONTENT_TYPES = {
    "css": "text/css; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json",
}


# -- local servers -------------------------------------------------------------------------------------------
def _certificate(folder: Path) -> ssl.SSLContext:
    """A TLS context with a fresh self-signed certificate for localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Never logs: the requests carry a patient's question."""


class Edge(http.server.ThreadingHTTPServer):
    """CloudFront's part: the site's files over HTTPS, with the response headers policy's headers (a missing
    key is S3's 403 through origin access control)."""

    def __init__(
        self,
        context: ssl.SSLContext,
        port: int,
        files: dict[str, bytes],
        headers: list[tuple[str, str]],
    ) -> None:
        super().__init__(("127.0.0.1", port), self.Handler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.files = files
        self.headers = headers
        self.served: list[str] = []

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.server_address[1]}"  # the certificate's name

    class Handler(_Quiet):
        server: Edge

        def do_GET(self) -> None:
            key = self.path.split("?", 1)[0].lstrip("/") or "index.html"  # default_root_object
            self.server.served.append(key)
            if key in self.server.files:
                body = self.server.files[key]
                status, kind = 200, CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
            else:
                status, body, kind = 403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in self.server.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)


def _serve(server: http.server.HTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    return thread


# -- what the static-site module would serve -----------------------------------------------------------------
def site_config(target: AwsTarget, api_outputs: dict[str, Any]) -> dict[str, str]:
    """config.json as modules/static-site writes it for the API applied in the sandbox: the stage on the
    sandbox's data plane, Cognito at the sandbox's endpoint, the web client's API key."""
    assert target.endpoint_url is not None
    return {
        "region": target.region,
        "cognito_endpoint": target.endpoint_url + "/",
        "user_pool_client_id": api_outputs["user_pool_client_id"],
        "api_url": stage_url(target, api_outputs["api_id"], api_outputs["stage_name"]),
        "api_key": api_outputs["api_key_values"]["web"],
    }


def policy_headers(target: AwsTarget, config: dict[str, str], workdir: Path) -> list[tuple[str, str]]:
    """The headers CloudFront adds with the response headers policy modules/static-site plans for ``config``
    (CloudFront Developer Guide, "Understand response headers policies"): one plan, no apply, in ``target``
    (a fresh sandbox account will do: the plan only reads the caller's identity)."""
    call = combined.Call(
        modules_dir() / "static-site",
        {"name": "lp-web-browser", "access_log_bucket": "lp-web-browser-logs", "config": config},
    )
    [part] = combined.plan_together([call], workdir, terraform_env(target.env()))
    [policy] = [
        c["change"]["after"]
        for c in part["resource_changes"]
        if c["address"] == "aws_cloudfront_response_headers_policy.this"
    ]
    [security] = policy["security_headers_config"]
    [csp] = security["content_security_policy"]
    [hsts] = security["strict_transport_security"]
    [frame] = security["frame_options"]
    [referrer] = security["referrer_policy"]
    [custom] = policy["custom_headers_config"]
    return [
        ("Content-Security-Policy", csp["content_security_policy"]),
        (
            "Strict-Transport-Security",
            f"max-age={hsts['access_control_max_age_sec']}"
            + ("; includeSubDomains" if hsts["include_subdomains"] else "")
            + ("; preload" if hsts["preload"] else ""),
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", frame["frame_option"]),
        ("Referrer-Policy", referrer["referrer_policy"]),
        *[(item["header"], item["value"]) for item in custom["items"]],
    ]


# -- the session ---------------------------------------------------------------------------------------------
@dataclass
class Session:
    """What the browser saw: the page's console, failed requests, the files the edge served, the screenshots,
    and the answer shown."""

    origin: str
    console: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    answer: str = ""
    sources: list[str] = field(default_factory=list)
    disclaimer: str = ""
    feedback_status: str = ""
    error: str = ""


def run_session(
    target: AwsTarget,
    api_outputs: dict[str, Any],
    origin_port: int,
    site_dir: Path,
    headers: list[tuple[str, str]],
    artifacts: Path,
    tls_dir: Path,
) -> Session:
    """Serve ``site_dir`` with its config.json for ``api_outputs`` and ``headers`` at
    ``https://localhost:<origin_port>``, create the user, and drive chromium through sign-in, a question,
    the answer (sources, disclaimer) and "Helpful"; screenshots to ``artifacts``. Raises (Playwright's
    ``expect``, AssertionError) at the first step the page does not reach, with the page's error, console and
    failed requests."""
    from playwright.sync_api import expect, sync_playwright

    executable = chromium()
    files = {name: (site_dir / name).read_bytes() for name in SITE_FILES}
    files["config.json"] = json.dumps(site_config(target, api_outputs)).encode()
    edge = Edge(_certificate(tls_dir), origin_port, files, headers)
    _serve(edge)
    session = Session(edge.origin, served=edge.served)
    add_person(target, api_outputs["user_pool_id"], USER, PASSWORD)
    user = USER
    artifacts.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        path = artifacts / name
        page.screenshot(path=str(path), full_page=True)
        session.screenshots.append(path)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=list(FLAGS), headless=True)
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1000, "height": 1100})
            page = context.new_page()
            page.on("console", lambda message: session.console.append(f"{message.type}: {message.text}"))
            page.on("requestfailed", lambda r: session.failures.append(f"{r.method} {r.url}: {r.failure}"))
            try:
                page.goto(edge.origin + "/", wait_until="load")
                expect(page.locator("html[data-ready=true]")).to_have_count(1)
                shot("assistant-signin.png")

                # sign in
                page.get_by_label("Username or email").fill(user)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator("#ask")).to_be_visible()
                expect(page.locator("#status")).to_have_text(f"Signed in as {user}.")
                assert page.evaluate("document.activeElement.id") == "question"
                assert page.evaluate("localStorage.length + sessionStorage.length") == 0
                assert page.evaluate("document.cookie") == ""

                # ask
                page.get_by_label("Your question").fill(QUESTION)
                page.get_by_role("button", name="Ask").click()
                answer = page.locator("#answer")
                page.wait_for_selector("#answer:not([hidden]), #error:not([hidden])", timeout=60_000)
                if page.locator("#error").is_visible():
                    session.error = page.locator("#error").inner_text()
                assert not session.error, (
                    f"the page says: {session.error}; console: {session.console}; "
                    f"failed requests: {session.failures}"
                )
                expect(answer).to_be_visible()
                session.answer = page.locator("#answer-text").inner_text()
                sources = page.locator("#sources li")
                for i in range(sources.count()):
                    item = sources.nth(i)
                    session.sources.append(item.get_attribute("data-passage") or "")
                    assert item.locator(".title").inner_text().strip()
                    link = item.locator("a.title")
                    if link.count():
                        href = link.get_attribute("href") or ""
                        assert href.startswith(("https://", "http://")), href
                        assert link.get_attribute("rel") == "noopener noreferrer"
                session.disclaimer = page.locator("#disclaimer").inner_text()
                assert page.evaluate("document.activeElement.id") == "answer"
                assert answer.get_attribute("aria-live") == "polite"
                shot("assistant-answer.png")

                # helpful
                page.get_by_role("button", name="Helpful", exact=True).click()
                expect(page.locator("#feedback-status")).to_have_text("Thank you: recorded as helpful.")
                expect(page.locator("#helpful")).to_have_attribute("aria-pressed", "true")
                expect(page.locator("#error")).to_be_hidden()
                session.feedback_status = page.locator("#feedback-status").inner_text()
                shot("assistant-feedback.png")
            finally:
                context.close()
                browser.close()
    finally:
        edge.shutdown()
        edge.server_close()
    return session
