//! `rcollect serve` over TLS and HTTP/2 (issue 23), end to end: the real
//! binary, certificates made in the test (rcgen: a CA and the leaves it
//! signs, so clients verify for real), real sockets and real clients: the
//! `h2` crate over tokio-rustls (it shows a `103 Early Hints` before the
//! response it precedes), raw HTTP/1.1 over tokio-rustls, and, `#[ignore]`d
//! as external tools, curl and headless Chromium.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common as support;
use support::{Server, run, start, write};

#[cfg(unix)]
use support::chromium;

// ---------------------------------------------------------------------------
// Certificates

/// A CA whose leaves the test clients trust.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    dir: PathBuf,
}

/// One leaf: its files and its DER (to tell which one the server shows).
struct Leaf {
    cert: PathBuf,
    key: PathBuf,
    der: Vec<u8>,
    /// base64 SHA-256 of its SubjectPublicKeyInfo (Chromium's
    /// `--ignore-certificate-errors-spki-list`).
    spki_sha256: String,
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rcollect test CA");
        let ca =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
        Pki {
            ca,
            dir: dir.to_path_buf(),
        }
    }

    /// A leaf for `localhost` and 127.0.0.1, written as `<name>.pem` (the
    /// chain: leaf, then CA) and `<name>.key`.
    fn leaf(&self, name: &str) -> Leaf {
        use rcgen::PublicKeyData;
        use sha2::Digest;
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("params");
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        let (cert_path, key_path) = (
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}.key")),
        );
        std::fs::write(&cert_path, cert.pem() + &self.ca.pem()).expect("write");
        std::fs::write(&key_path, key.serialize_pem()).expect("write");
        let spki = sha2::Sha256::digest(key.subject_public_key_info());
        Leaf {
            cert: cert_path,
            key: key_path,
            der: cert.der().to_vec(),
            spki_sha256: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, spki),
        }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A client that trusts the CA and offers `alpn`.
    fn connector(&self, alpn: &[&[u8]]) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca.der().to_vec()))
            .expect("root");
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

// ---------------------------------------------------------------------------
// The project

const CSS: &str = "@font-face { font-family: f; src: url(../fonts/f.woff2) }\n\
    body { background: url(../img/bg.svg) } /* padding so that brotli pays */\n";

/// A collected project (`out/`, with `rcollect.toml`): `page.html` loads a
/// stylesheet (which uses a font and an image), a module (which imports
/// another) and an image; `public/index.html` (`root_dir`) loads the same
/// by their unhashed absolute URLs; `big.png` is 8 MB that do not compress.
fn project() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(
        &d.join("assets/page.html"),
        "<!doctype html><html><head><meta charset=utf-8>\n\
         <link rel=stylesheet href=\"css/app.css\">\n\
         <script type=module src=\"js/app.js\"></script>\n\
         </head><body><div id=out>not run</div><img src=\"img/logo.svg\" alt=\"\"></body></html>\n",
    );
    write(&d.join("assets/css/app.css"), CSS.repeat(8));
    write(&d.join("assets/fonts/f.woff2"), b"wOF2 not really a font");
    write(
        &d.join("assets/img/bg.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(
        &d.join("assets/img/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- logo --></svg>",
    );
    write(
        &d.join("assets/js/app.js"),
        "import { dep } from \"./dep.js\";\n\
         document.getElementById(\"out\").textContent = \"ran \" + dep();\n",
    );
    write(
        &d.join("assets/js/dep.js"),
        "export function dep() { return \"dep\"; }\n",
    );
    let big: Vec<u8> = (0u32..2_000_000)
        .flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes())
        .collect();
    write(&d.join("assets/big.png"), big);
    write(
        &d.join("public/index.html"),
        "<!doctype html><link rel=stylesheet href=\"/static/css/app.css\">\
         <script type=module src=\"/static/js/app.js\"></script>",
    );
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"assets\"]\nroot_dir = \"public\"\n",
    );
    let out = run(d, &["collectstatic", "--no-input", "-q", "--no-cache"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

/// The hashed URL of a logical path.
fn url_of(dir: &Path, logical: &str) -> String {
    let m = rcollect_core::Manifest::load(
        &dir.join("out"),
        rcollect_core::manifest::MAX_MANIFEST_BYTES,
    )
    .expect("load")
    .expect("manifest");
    format!("/static/{}", m.paths[logical])
}

/// `rcollect serve` over TLS with `leaf`, plus `extra` flags.
fn serve_tls(dir: &Path, leaf: &Leaf, extra: &[&str]) -> Server {
    let (cert, key) = (
        leaf.cert.display().to_string(),
        leaf.key.display().to_string(),
    );
    let mut args = vec!["--tls-cert", &cert, "--tls-key", &key];
    args.extend_from_slice(extra);
    start(dir, &args)
}

// ---------------------------------------------------------------------------
// Clients

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

async fn tls_connect(addr: std::net::SocketAddr, connector: &tokio_rustls::TlsConnector) -> Tls {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    tokio::time::timeout(Duration::from_secs(20), connector.connect(name, tcp))
        .await
        .expect("handshake in time")
        .expect("handshake")
}

/// An HTTP/2 client connection; the task driving it ends when the server
/// closes the connection.
struct H2 {
    send: h2::client::SendRequest<Bytes>,
    driver: tokio::task::JoinHandle<Result<(), h2::Error>>,
}

async fn h2_client<T>(io: T) -> H2
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (send, conn) = h2::client::handshake(io).await.expect("h2 handshake");
    H2 {
        send,
        driver: tokio::spawn(conn),
    }
}

/// An HTTP/2 response: the informational responses before it, its head
/// and its body.
struct H2Reply {
    informational: Vec<Response<()>>,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl H2Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii").to_string())
    }
}

impl H2 {
    /// Sends a request and waits for the response head (and the 1xx
    /// before it), without reading the body.
    async fn head(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (Vec<Response<()>>, Response<h2::RecvStream>) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(()).expect("request");
        let mut send = self.send.clone().ready().await.expect("ready");
        let (mut fut, _) = send.send_request(req, true).expect("send");
        let mut informational = Vec::new();
        while let Some(r) = std::future::poll_fn(|cx| fut.poll_informational(cx)).await {
            informational.push(r.expect("informational"));
        }
        let res = tokio::time::timeout(Duration::from_secs(20), fut)
            .await
            .expect("response in time")
            .expect("response");
        (informational, res)
    }

    async fn get(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> H2Reply {
        let (informational, res) = self.head(method, path, headers).await;
        let (head, mut body) = res.into_parts();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.expect("body");
            let _ = body.flow_control().release_capacity(chunk.len());
            bytes.extend_from_slice(&chunk);
        }
        H2Reply {
            informational,
            status: head.status.as_u16(),
            headers: head.headers,
            body: bytes,
        }
    }
}

/// One HTTP/1.1 request (`Connection: close`) over `io`, read to the end.
async fn h1<T>(mut io: T, path: &str, headers: &str) -> support::Reply
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n");
    io.write_all(req.as_bytes()).await.expect("send");
    let mut buf = Vec::new();
    // The server may end without close_notify; what arrived is the answer.
    let _ = tokio::time::timeout(Duration::from_secs(20), io.read_to_end(&mut buf)).await;
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    support::Reply {
        status,
        head,
        body: buf[end + 4..].to_vec(),
    }
}

/// Runs `rcollect serve` with `args`, expecting it to fail at start; one
/// that starts serving instead is stopped and the test fails.
fn serve_fails(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rcollect"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env_remove("RCOLLECT_STATIC_ROOT")
        .env_remove("RCOLLECT_STATIC_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve {args:?} started instead of failing");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn signal(server: &Server, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
}

fn link_targets(link: &str) -> Vec<String> {
    link.split(", ")
        .filter_map(|l| l.strip_prefix('<')?.split_once('>'))
        .map(|(url, _)| url.to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_speaks_http2_and_http11_with_the_same_headers() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let server = serve_tls(t.path(), &leaf, &[]);
    let css = url_of(t.path(), "css/app.css");
    // The collected stylesheet (its references rewritten).
    let css_bytes =
        std::fs::read(t.path().join("out").join(&css["/static/".len()..])).expect("read");

    let io = tls_connect(server.addr, &pki.connector(&[b"h2", b"http/1.1"])).await;
    assert_eq!(io.get_ref().1.alpn_protocol(), Some(b"h2".as_slice()));
    let mut c = h2_client(io).await;
    let br = [("accept-encoding", "gzip, br")];
    let r = c.get("GET", &css, &br).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding").as_deref(), Some("br"));
    assert_eq!(r.header("vary").as_deref(), Some("Accept-Encoding"));
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(r.header("content-length"), Some(r.body.len().to_string()));
    assert!(r.header("date").is_some());
    assert!(r.informational.is_empty(), "a stylesheet gets no 103");
    let etag = r.header("etag").expect("etag");
    assert!(etag.ends_with("-br\""), "{etag}");

    // The same ETag over HTTP/1.1 on the same port (ALPN http/1.1).
    let io = tls_connect(server.addr, &pki.connector(&[b"http/1.1"])).await;
    assert_eq!(io.get_ref().1.alpn_protocol(), Some(b"http/1.1".as_slice()));
    let r1 = h1(io, &css, "Accept-Encoding: gzip, br\r\n").await;
    assert_eq!(r1.status, 200, "{}", r1.head);
    assert_eq!(r1.header("etag"), Some(etag.clone()));
    assert_eq!(r1.body, r.body);

    // 304, 206, HEAD, 405 and 404 over HTTP/2.
    let r = c
        .get(
            "GET",
            &css,
            &[("accept-encoding", "br"), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(etag.clone()));
    assert!(r.body.is_empty());
    let identity = c.get("GET", &css, &[]).await;
    assert_eq!(identity.body, css_bytes);
    let r = c.get("GET", &css, &[("range", "bytes=0-3")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &css_bytes[..4]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-3/{}", css_bytes.len()))
    );
    let r = c.get("HEAD", &css, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(css_bytes.len().to_string())
    );
    assert!(r.body.is_empty());
    assert_eq!(c.get("POST", &css, &[]).await.status, 405);
    assert_eq!(c.get("GET", "/static/nope.css", &[]).await.status, 404);
    // A large file, streamed under flow control, arrives whole.
    let big = c.get("GET", &url_of(t.path(), "big.png"), &[]).await;
    assert_eq!(big.status, 200);
    assert_eq!(
        big.body,
        std::fs::read(t.path().join("assets/big.png")).expect("read")
    );
    // Many streams at once on the one connection.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (mut send, css) = (c.send.clone(), css.clone());
        tasks.push(tokio::spawn(async move {
            let req = Request::get(format!("https://localhost{css}"))
                .body(())
                .expect("request");
            send = send.ready().await.expect("ready");
            let (fut, _) = send.send_request(req, true).expect("send");
            let mut body = fut.await.expect("response").into_body();
            let mut n = 0;
            while let Some(chunk) = body.data().await {
                let chunk = chunk.expect("chunk");
                let _ = body.flow_control().release_capacity(chunk.len());
                n += chunk.len();
            }
            n
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), css_bytes.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_gets_103_early_hints_then_the_same_link_header() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let server = serve_tls(t.path(), &leaf, &[]);
    let d = t.path();
    let page = url_of(d, "page.html");
    let mut c = h2_client(tls_connect(server.addr, &pki.connector(&[b"h2"])).await).await;

    for path in [page.as_str(), "/static/page.html"] {
        let r = c.get("GET", path, &[]).await;
        assert_eq!(r.status, 200, "{path}");
        let [hints] = r.informational.as_slice() else {
            panic!("{path}: one 103 expected, got {:?}", r.informational);
        };
        assert_eq!(hints.status().as_u16(), 103);
        let link = hints.headers()["link"].to_str().expect("ascii").to_string();
        assert_eq!(
            r.header("link"),
            Some(link.clone()),
            "the final response repeats it"
        );
        // The page's stylesheet, module and image, and what they load.
        let targets = link_targets(&link);
        for logical in [
            "css/app.css",
            "js/app.js",
            "js/dep.js",
            "img/logo.svg",
            "img/bg.svg",
            "fonts/f.woff2",
        ] {
            assert!(
                targets.contains(&url_of(d, logical)),
                "{logical} missing from {link}"
            );
        }
        assert!(link.contains(&format!(
            "<{}>; rel=modulepreload; crossorigin",
            url_of(d, "js/dep.js")
        )));
        assert!(link.contains(&format!(
            "<{}>; rel=preload; as=font; crossorigin",
            url_of(d, "fonts/f.woff2")
        )));
        assert!(link.contains(&format!(
            "<{}>; rel=preload; as=style,",
            url_of(d, "css/app.css")
        )));
    }
    // Not for a HEAD, a 304 keeps the Link, other files get none.
    let r = c.get("HEAD", &page, &[]).await;
    assert!(r.informational.is_empty() && r.header("link").is_none());
    let etag = c.get("GET", &page, &[]).await.header("etag").expect("etag");
    let r = c.get("GET", &page, &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.header("link").is_some());
    // root_dir's index.html: the files it names, by the URLs it names them
    // (unhashed), then what they load (hashed).
    let r = c.get("GET", "/index.html", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.informational.len(), 1);
    let targets = link_targets(&r.header("link").expect("link"));
    assert_eq!(
        targets.get(..2),
        Some(
            [
                "/static/css/app.css".to_string(),
                "/static/js/app.js".to_string()
            ]
            .as_slice()
        ),
        "{targets:?}"
    );
    assert!(targets.contains(&url_of(d, "js/dep.js")), "{targets:?}");

    // HTTP/1.1: the Link header, no 103 (browsers ignore it there).
    let r = h1(
        tls_connect(server.addr, &pki.connector(&[b"http/1.1"])).await,
        &page,
        "",
    )
    .await;
    assert!(r.head.starts_with("HTTP/1.1 200"), "{}", r.head);
    assert!(
        r.header("link")
            .is_some_and(|l| l.contains("modulepreload"))
    );

    // The cap: a small one keeps the nearest scripts and stylesheets; 0 none.
    drop(server);
    let server = serve_tls(d, &leaf, &["--link-max-bytes", "150"]);
    let mut c = h2_client(tls_connect(server.addr, &pki.connector(&[b"h2"])).await).await;
    let r = c.get("GET", &page, &[]).await;
    let link = r.header("link").expect("link");
    assert!(link.len() <= 150, "{link}");
    assert!(!link.contains("as=image"), "code first: {link}");
    drop(server);
    let server = serve_tls(d, &leaf, &["--link-max-bytes", "0"]);
    let mut c = h2_client(tls_connect(server.addr, &pki.connector(&[b"h2"])).await).await;
    let r = c.get("GET", &page, &[]).await;
    assert!(r.informational.is_empty() && r.header("link").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_tls_port_closes_that_connection_only() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let server = serve_tls(t.path(), &leaf, &["--header-timeout", "1"]);
    let css = url_of(t.path(), "css/app.css");
    let mut kept = h2_client(tls_connect(server.addr, &pki.connector(&[b"h2"])).await).await;
    assert_eq!(kept.get("GET", &css, &[]).await.status, 200);

    let noise: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for bytes in [
        b"GET /static/ HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        noise,
        // A TLS record header announcing more than ever comes.
        vec![0x16, 0x03, 0x01, 0x40, 0x00, 0x01],
        Vec::new(),
    ] {
        let mut s = TcpStream::connect(server.addr).await.expect("connect");
        s.write_all(&bytes).await.expect("write");
        let start = Instant::now();
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await;
        assert!(
            read.is_ok(),
            "not closed: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(!String::from_utf8_lossy(&got).contains("HTTP/"), "{got:?}");
    }
    // The others are still served: the open connection and a new one.
    assert_eq!(kept.get("GET", &css, &[]).await.status, 200);
    let mut fresh = h2_client(tls_connect(server.addr, &pki.connector(&[b"h2"])).await).await;
    assert_eq!(fresh.get("GET", &css, &[]).await.status, 200);
}

#[test]
fn a_missing_or_bad_certificate_is_a_clear_error() {
    let t = project();
    let d = t.path();
    let pki = Pki::new(&d.join("pki"));
    let leaf = pki.leaf("a");
    let other = pki.leaf("b");
    let serve = |args: &[&str]| serve_fails(d, args);
    let (cert, key) = (
        leaf.cert.display().to_string(),
        leaf.key.display().to_string(),
    );
    let missing = d.join("nope.pem").display().to_string();

    let (code, err) = serve(&["--tls-cert", &missing, "--tls-key", &key]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot read the TLS certificate") && err.contains(&missing),
        "{err}"
    );
    let (code, err) = serve(&["--tls-cert", &cert, "--tls-key", &missing]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("TLS private key") && err.contains(&missing),
        "{err}"
    );
    write(&d.join("garbage.pem"), "not a certificate\n");
    let garbage = d.join("garbage.pem").display().to_string();
    let (code, err) = serve(&["--tls-cert", &garbage, "--tls-key", &key]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&garbage) && err.contains("CERTIFICATE"),
        "{err}"
    );
    let other_key = other.key.display().to_string();
    let (code, err) = serve(&["--tls-cert", &cert, "--tls-key", &other_key]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("do not go together"), "{err}");
    let (code, err) = serve(&["--tls-cert", &cert]);
    assert_eq!(code, Some(2), "a usage error: {err}");
    assert!(err.contains("tls-key"), "{err}");

    // In rcollect.toml, relative to it; `rcollect check` says the same.
    write(
        &d.join("rcollect.toml"),
        "static_root = \"out\"\ndirs = [\"assets\"]\n[serve]\ntls_cert = \"pki/missing.pem\"\ntls_key = \"pki/a.key\"\n",
    );
    let (code, err) = serve(&[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&d.join("pki/missing.pem").display().to_string()),
        "{err}"
    );
    let out = run(d, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("E015") && text.contains("missing.pem"),
        "{text}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_loads_a_new_certificate_and_keeps_open_connections() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let a = pki.leaf("live");
    let server = serve_tls(t.path(), &a, &[]);
    let css = url_of(t.path(), "css/app.css");
    let connector = pki.connector(&[b"h2"]);
    let shown = |io: &Tls| io.get_ref().1.peer_certificates().expect("certs")[0].to_vec();

    let io = tls_connect(server.addr, &connector).await;
    assert_eq!(shown(&io), a.der);
    let mut open = h2_client(io).await;
    assert_eq!(open.get("GET", &css, &[]).await.status, 200);

    // A new certificate at the same paths, then SIGHUP.
    let b = pki.leaf("live");
    assert_ne!(a.der, b.der);
    signal(&server, "-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let io = tls_connect(server.addr, &connector).await;
        if shown(&io) == b.der {
            let mut c = h2_client(io).await;
            assert_eq!(c.get("GET", &css, &[]).await.status, 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not load the new certificate"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connection opened before is still served.
    assert_eq!(open.get("GET", &css, &[]).await.status, 200);
    assert!(!open.driver.is_finished());

    // A broken certificate: the reload fails, the last good one stays.
    write(&b.cert, "-----BEGIN CERTIFICATE-----\nbroken\n");
    signal(&server, "-HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let io = tls_connect(server.addr, &connector).await;
    assert_eq!(shown(&io), b.der);
    assert_eq!(h2_client(io).await.get("GET", &css, &[]).await.status, 200);
    assert_eq!(open.get("GET", &css, &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_with_prior_knowledge_on_the_plain_port() {
    let t = project();
    let server = start(t.path(), &[]);
    let page = url_of(t.path(), "page.html");
    let mut c = h2_client(TcpStream::connect(server.addr).await.expect("connect")).await;
    let r = c.get("GET", &page, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.informational.len(), 1, "103 over h2c too");
    // HTTP/1.1 on the same port as before.
    let r = h1(
        TcpStream::connect(server.addr).await.expect("connect"),
        &page,
        "",
    )
    .await;
    assert!(r.head.starts_with("HTTP/1.1 200"), "{}", r.head);
    // A client that sends only part of the preface, then nothing, is closed.
    drop(server);
    let server = start(t.path(), &["--header-timeout", "1"]);
    let mut s = TcpStream::connect(server.addr).await.expect("connect");
    s.write_all(b"PRI * HTTP/2").await.expect("write");
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "a partial preface is not kept open");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_limits_streams_header_size_timeouts_and_sigterm() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let connector = pki.connector(&[b"h2"]);
    let css = url_of(t.path(), "css/app.css");
    let big = url_of(t.path(), "big.png");
    let server = serve_tls(
        t.path(),
        &leaf,
        &[
            "--max-streams",
            "3",
            "--send-timeout",
            "1",
            "--keepalive-timeout",
            "4",
        ],
    );
    let mut c = h2_client(tls_connect(server.addr, &connector).await).await;
    assert_eq!(c.get("GET", &css, &[]).await.status, 200);
    assert_eq!(
        c.send.current_max_send_streams(),
        3,
        "SETTINGS_MAX_CONCURRENT_STREAMS"
    );

    // Request headers over 32 KiB: 431.
    let huge = "a".repeat(40 * 1024);
    let r = c.get("GET", &css, &[("x-huge", &huge)]).await;
    assert_eq!(r.status, 431);

    // A stream whose window the client never opens is reset after the
    // send timeout; the connection goes on.
    let (_, res) = c.head("GET", &big, &[]).await;
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut body = res.into_body();
    let mut got = 0usize;
    let mut reset = false;
    while let Some(chunk) = body.data().await {
        match chunk {
            Ok(chunk) => {
                got += chunk.len();
                let _ = body.flow_control().release_capacity(chunk.len());
            }
            Err(_) => {
                reset = true;
                break;
            }
        }
    }
    assert!(reset, "not reset: {got} bytes arrived");
    assert!(got < 8_000_000);
    assert_eq!(c.get("GET", &css, &[]).await.status, 200);

    // Idle (no stream) for the keep-alive timeout: GOAWAY, closed.
    let closed = tokio::time::timeout(Duration::from_secs(10), &mut c.driver).await;
    assert!(closed.is_ok(), "the idle connection was not closed");

    // SIGTERM with an open connection: a clean exit.
    let mut server = server;
    let mut open = h2_client(tls_connect(server.addr, &connector).await).await;
    assert_eq!(open.get("GET", &css, &[]).await.status, 200);
    signal(&server, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let closed = tokio::time::timeout(Duration::from_secs(5), &mut open.driver).await;
    assert!(closed.is_ok(), "the connection outlived the server");
}

#[test]
#[ignore = "needs curl with HTTP/2 (nghttp2); .ci/run runs the ignored tests"]
fn curl_over_https_http2_and_http11_sees_the_same_etag_and_the_103() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let server = serve_tls(t.path(), &leaf, &[]);
    let port = server.addr.port();
    let curl = |proto: &str, path: &str| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "-v",
                "-o",
                "/dev/null",
                proto,
                "-H",
                "Accept-Encoding: br",
            ])
            .arg("--cacert")
            .arg(pki.ca_file())
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}{path}"))
            .output()
            .expect("curl (Debian package curl)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let etag = |verbose: &str| {
        verbose
            .lines()
            .find_map(|l| {
                l.strip_prefix("< etag: ")
                    .or_else(|| l.strip_prefix("< ETag: "))
            })
            .map(|v| v.trim().to_string())
    };
    let css = url_of(t.path(), "css/app.css");
    let h2 = curl("--http2", &css);
    let h11 = curl("--http1.1", &css);
    assert!(h2.contains("< HTTP/2 200"), "{h2}");
    assert!(h11.contains("< HTTP/1.1 200"), "{h11}");
    assert!(etag(&h2).is_some_and(|e| e.ends_with("-br\"")), "{h2}");
    assert_eq!(etag(&h2), etag(&h11));

    let page = curl("--http2", &url_of(t.path(), "page.html"));
    let hints = page.find("< HTTP/2 103").expect(&page);
    let ok = page.find("< HTTP/2 200").expect(&page);
    assert!(hints < ok, "the 103 comes first:\n{page}");
    let between = &page[hints..ok];
    for logical in ["css/app.css", "js/app.js", "js/dep.js"] {
        assert!(
            between.contains(&url_of(t.path(), logical)),
            "{logical}:\n{page}"
        );
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium (Debian package `chromium`); .ci/run runs it where Chromium installs"]
async fn chromium_runs_the_page_over_https_and_http2_with_its_early_hints() {
    let t = project();
    let pki = Pki::new(&t.path().join("pki"));
    let leaf = pki.leaf("a");
    let server = serve_tls(t.path(), &leaf, &[]);
    let profile = tempfile::tempdir().expect("profile");
    let netlog = profile.path().join("netlog.json");
    let url = format!("https://localhost:{}/static/page.html", server.addr.port());
    let flags = [
        // Trusted (as a CA would make it), so that Chromium caches and uses
        // what the 103 preloaded; --ignore-certificate-errors would not cache.
        format!("--ignore-certificate-errors-spki-list={}", leaf.spki_sha256),
        "--host-resolver-rules=MAP localhost 127.0.0.1".to_string(),
        format!("--log-net-log={}", netlog.display()),
    ];
    let browser = chromium::chromium();
    let profile_dir = profile.path().to_path_buf();
    let dom = tokio::task::spawn_blocking(move || {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        chromium::run_chromium(&browser, &profile_dir, &url, &flags)
    })
    .await
    .expect("join");
    assert!(
        dom.contains("<div id=\"out\">ran dep</div>"),
        "the page did not run:\n{dom}"
    );
    // What crossed the wire, from Chromium's NetLog: HTTP/2, a 103 before
    // the page, and every file the page loads once from the network.
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&netlog).expect("netlog")).expect("json");
    let names: std::collections::HashMap<u64, String> = log["constants"]["logEventTypes"]
        .as_object()
        .expect("event types")
        .iter()
        .filter_map(|(k, v)| Some((v.as_u64()?, k.clone())))
        .collect();
    let mut statuses = Vec::new();
    let mut paths = Vec::new();
    for e in log["events"].as_array().expect("events") {
        let name = e["type"].as_u64().and_then(|ty| names.get(&ty));
        let headers = e["params"]["headers"].as_array();
        match (name.map(String::as_str), headers) {
            (Some("HTTP2_SESSION_RECV_HEADERS"), Some(h)) => statuses.extend(
                h.iter()
                    .filter_map(|v| v.as_str()?.strip_prefix(":status: "))
                    .map(str::to_string),
            ),
            (Some("HTTP2_SESSION_SEND_HEADERS"), Some(h)) => paths.extend(
                h.iter()
                    .filter_map(|v| v.as_str()?.strip_prefix(":path: "))
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
    assert_eq!(
        statuses.first().map(String::as_str),
        Some("103"),
        "{statuses:?}"
    );
    for logical in ["css/app.css", "js/app.js", "js/dep.js", "img/logo.svg"] {
        let u = url_of(t.path(), logical);
        assert_eq!(
            paths.iter().filter(|p| **p == u).count(),
            1,
            "{logical} not requested exactly once over HTTP/2: {paths:?}"
        );
    }
}
