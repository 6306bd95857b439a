//! Just enough HTTP/1.1 for a loopback test server, std only: one request per connection
//! (`Connection: close`), a request head of at most [`MAX_HEAD_LEN`] bytes, no request bodies,
//! timeouts on every read and write. Whatever bytes arrive, the answer is a response or a closed
//! connection, never a panic.
//!
//! Not a production server: no TLS, no keep-alive, one connection at a time.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// The longest request head read (request line and headers), in bytes: room for a 4 KiB
/// `Authorization` value and ordinary client headers. A longer head is answered 431.
pub const MAX_HEAD_LEN: usize = 16 * 1024;

/// The most header lines read; more are answered 431.
pub const MAX_HEADERS: usize = 64;

/// How long a read or a write may block before the connection is dropped.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target as sent (origin form: a path and maybe a query).
    pub target: String,
    /// The header fields in order, names as sent, values with surrounding blanks removed.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// Every value of header `name` (compared ASCII case-insensitively), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields; `Content-Length` and `Connection: close` are added when sending.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A plain-text response (the server's own errors: not found, bad request, ...).
    pub fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![(
                "Content-Type".to_owned(),
                "text/plain; charset=utf-8".to_owned(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Answers the connections of `listener` one after the other, for ever.
pub fn serve(listener: &TcpListener, handler: &dyn Fn(&Request) -> Response) {
    // A failed accept (the peer gave up already) or a failed exchange concerns only that
    // connection.
    for mut stream in listener.incoming().flatten() {
        let _ = exchange(&mut stream, handler);
    }
}

/// Reads one request from `stream`, answers it with `handler` (or with the server's own 4xx/5xx
/// when the head cannot be read), and closes the connection.
pub fn exchange(stream: &mut TcpStream, handler: &dyn Fn(&Request) -> Response) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let response = match read_head(stream)? {
        Some(head) => match parse_head(&head) {
            // The handler is the crate's code, which promises not to panic; a test server still
            // answers 500 rather than die if it did.
            Ok(request) => catch_unwind(AssertUnwindSafe(|| handler(&request)))
                .unwrap_or_else(|_| Response::text(500, "the handler panicked\n")),
            Err(refusal) => refusal,
        },
        None => Response::text(431, "request head too large\n"),
    };
    write_response(stream, &response)?;
    stream.flush()?;
    // Closing a socket with unread input makes the kernel send a reset, which can destroy the
    // response before the peer reads it: half-close, then drain what is left for a moment.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 1 << 20 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

/// The bytes of the head up to and including the blank line, or `None` when it is longer than
/// [`MAX_HEAD_LEN`]. An early end of input is an error.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let searched_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_blank_line(&head[searched_from..]) {
            head.truncate(searched_from + end);
            return Ok((head.len() <= MAX_HEAD_LEN).then_some(head));
        }
        if head.len() > MAX_HEAD_LEN {
            return Ok(None);
        }
    }
}

/// The end (exclusive) of the first `\r\n\r\n` in `bytes`.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Parses a request head (ending with the blank line). Refusals are ready to send.
pub fn parse_head(head: &[u8]) -> Result<Request, Response> {
    let bad = |why: &str| Response::text(400, &format!("bad request: {why}\n"));
    let text = std::str::from_utf8(head).map_err(|_| bad("the head is not UTF-8"))?;
    let text = text
        .strip_suffix("\r\n\r\n")
        .ok_or_else(|| bad("no blank line"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return Err(bad("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(bad("the method is not a token"));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("the target is not a path"));
    }
    if !matches!(*version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(Response::text(505, "HTTP/1.1 only\n"));
    }
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == MAX_HEADERS {
            return Err(Response::text(431, "too many header fields\n"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("a header line without a colon"))?;
        // An empty name also refuses obsolete line folding (a line starting with a blank).
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(bad("a header name is not a token"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(bad("a header value has a control character"));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    let request = Request {
        method: (*method).to_owned(),
        target: (*target).to_owned(),
        headers,
    };
    // No request bodies: nothing here reads one, and an unread body must not pass for the next
    // request.
    let has_body = request
        .header_values("Content-Length")
        .iter()
        .any(|v| v.trim() != "0")
        || !request.header_values("Transfer-Encoding").is_empty();
    if has_body {
        return Err(bad("request bodies are not accepted"));
    }
    Ok(request)
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn write_response(stream: &mut TcpStream, response: &Response) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let ok = parse_head(b"GET /a?b HTTP/1.1\r\nHost: x\r\nAuthorization:  Bearer  t \r\n\r\n");
        let ok = ok.unwrap();
        assert_eq!((ok.method.as_str(), ok.target.as_str()), ("GET", "/a?b"));
        assert_eq!(ok.header_values("authorization"), ["Bearer  t"]);
        for bad in [
            &b"GET /\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET http://x/ HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: \xff\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
            b"\r\n\r\n",
        ] {
            assert!(parse_head(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
