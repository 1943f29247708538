//! Just enough HTTP/1.1 for a proxy between an AWS SDK and the emulator, both on loopback:
//! messages framed by Content-Length, chunked transfer coding, or (responses only) the end of
//! the connection; persistent connections. Every message is read whole before it is passed
//! on, because the proxy decides its fate from the whole request and, for a lost response,
//! must have the emulator's answer in hand before it drops it. Bodies are re-sent with a
//! Content-Length, so what goes out is always framed the simple way.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// A request or response head larger than this is refused: the SDK's heads are a few KiB.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A body larger than this is refused: DescribeRepositories of 100,000 repositories is tens
/// of MiB, nothing ecrform sends or receives comes near.
const MAX_BODY_BYTES: usize = 512 * 1024 * 1024;

/// Headers the proxy frames itself; the peer's are dropped when a message is passed on.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// One request, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One response, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The peer said it closes the connection after this response, or framed the body by
    /// closing it.
    pub closes: bool,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

fn has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .flat_map(|(_, value)| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the client keeps the connection open after the answer (HTTP/1.1 does unless
    /// it says `Connection: close`; HTTP/1.0 only when it asks for keep-alive).
    pub fn keeps_alive(&self) -> bool {
        if self.version.eq_ignore_ascii_case("HTTP/1.0") {
            has_token(&self.headers, "connection", "keep-alive")
        } else {
            !has_token(&self.headers, "connection", "close")
        }
    }

    /// The request as sent upstream: the client's head and body, framed by Content-Length,
    /// on a connection kept open.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        encode_headers(&mut out, &self.headers, self.body.len(), false);
        out.extend_from_slice(&self.body);
        out
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// An error answer in the shape of the awsJson1.1 protocol, which the SDK turns into the
    /// named error (`__type`) with its message.
    pub fn aws_error(status: u16, reason: &str, error_type: &str, message: &str) -> Response {
        let body = serde_json::json!({"__type": error_type, "message": message}).to_string();
        Response {
            status,
            reason: reason.to_owned(),
            headers: vec![
                (
                    "Content-Type".to_owned(),
                    "application/x-amz-json-1.1".to_owned(),
                ),
                ("x-amzn-ErrorType".to_owned(), error_type.to_owned()),
                ("x-amzn-RequestId".to_owned(), "ecrform-proxy".to_owned()),
            ],
            body: body.into_bytes(),
            closes: false,
        }
    }

    /// The response as sent to the client, framed by Content-Length; `close` says that the
    /// proxy closes the connection after it.
    pub fn encode(&self, close: bool) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason).into_bytes();
        encode_headers(&mut out, &self.headers, self.body.len(), close);
        out.extend_from_slice(&self.body);
        out
    }
}

fn encode_headers(out: &mut Vec<u8>, headers: &[(String, String)], length: usize, close: bool) {
    for (key, value) in headers {
        if FRAMING_HEADERS
            .iter()
            .any(|framing| key.eq_ignore_ascii_case(framing))
        {
            continue;
        }
        out.extend_from_slice(format!("{key}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// The lines of one message head, without their line ends; `None` when the connection ended
/// before the first byte (a client that is done, or an idle connection the peer closed).
async fn read_head(reader: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Option<Vec<String>>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let read = reader.read_until(b'\n', &mut line).await?;
        if read == 0 {
            if lines.is_empty() && total == 0 {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection ended inside a message head",
            ));
        }
        total += read;
        if total > MAX_HEAD_BYTES {
            return Err(invalid("message head too large"));
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            // Empty lines before a message are tolerated (RFC 9112 section 2.2).
            if lines.is_empty() {
                continue;
            }
            return Ok(Some(lines));
        }
        lines.push(String::from_utf8(line).map_err(|_| invalid("message head is not UTF-8"))?);
    }
}

fn parse_headers(lines: &[String]) -> io::Result<Vec<(String, String)>> {
    lines
        .iter()
        .map(|line| {
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| invalid(format!("malformed header line {line:?}")))?;
            Ok((key.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// How a message's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

fn framing(headers: &[(String, String)], otherwise: Framing) -> io::Result<Framing> {
    if has_token(headers, "transfer-encoding", "chunked") {
        return Ok(Framing::Chunked);
    }
    match header(headers, "content-length") {
        Some(length) => {
            let length: usize = length
                .parse()
                .map_err(|_| invalid(format!("malformed Content-Length {length:?}")))?;
            if length > MAX_BODY_BYTES {
                return Err(invalid("message body too large"));
            }
            Ok(Framing::Length(length))
        }
        None => Ok(otherwise),
    }
}

async fn read_body(
    reader: &mut (impl AsyncBufRead + Unpin),
    framing: Framing,
) -> io::Result<Vec<u8>> {
    match framing {
        Framing::Empty => Ok(Vec::new()),
        Framing::Length(length) => {
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await?;
            Ok(body)
        }
        Framing::UntilClose => {
            let mut body = Vec::new();
            let limit = u64::try_from(MAX_BODY_BYTES).unwrap_or(u64::MAX);
            reader.take(limit).read_to_end(&mut body).await?;
            Ok(body)
        }
        Framing::Chunked => read_chunked(reader).await,
    }
}

async fn read_chunked(reader: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection ended inside a chunked body",
            ));
        }
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("malformed chunk size {size:?}")))?;
        if size == 0 {
            // Trailers, if any, up to the empty line; nothing here needs them.
            loop {
                let mut trailer = String::new();
                let read = reader.read_line(&mut trailer).await?;
                if read == 0 || trailer.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(invalid("message body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await?;
        let mut line_end = String::new();
        reader.read_line(&mut line_end).await?;
    }
}

/// The next request on a client connection, or `None` when the client closed it between
/// requests.
pub(crate) async fn read_request(
    reader: &mut (impl AsyncBufRead + Unpin),
) -> io::Result<Option<Request>> {
    let Some(lines) = read_head(reader).await? else {
        return Ok(None);
    };
    let mut start = lines[0].split_whitespace();
    let (Some(method), Some(target), Some(version)) = (start.next(), start.next(), start.next())
    else {
        return Err(invalid(format!("malformed request line {:?}", lines[0])));
    };
    let headers = parse_headers(&lines[1..])?;
    // A request without a length has no body (RFC 9112 section 6.3).
    let body = read_body(reader, framing(&headers, Framing::Empty)?).await?;
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
        body,
    }))
}

/// The final response to a request sent with `method`; interim (1xx) responses are skipped.
/// `None` when the connection ended before the first byte.
pub(crate) async fn read_response(
    reader: &mut (impl AsyncBufRead + Unpin),
    method: &str,
) -> io::Result<Option<Response>> {
    loop {
        let Some(lines) = read_head(reader).await? else {
            return Ok(None);
        };
        let mut start = lines[0].splitn(3, ' ');
        let version = start.next().unwrap_or_default();
        let status: u16 = start
            .next()
            .and_then(|status| status.parse().ok())
            .ok_or_else(|| invalid(format!("malformed status line {:?}", lines[0])))?;
        let reason = start.next().unwrap_or_default().to_owned();
        let headers = parse_headers(&lines[1..])?;
        if (100..200).contains(&status) {
            continue;
        }
        let bodiless = method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304;
        let framing = if bodiless {
            Framing::Empty
        } else {
            framing(&headers, Framing::UntilClose)?
        };
        let closes = framing == Framing::UntilClose
            || has_token(&headers, "connection", "close")
            || (version.eq_ignore_ascii_case("HTTP/1.0")
                && !has_token(&headers, "connection", "keep-alive"));
        let body = read_body(reader, framing).await?;
        return Ok(Some(Response {
            status,
            reason,
            headers,
            body,
            closes,
        }));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    async fn request(raw: &str) -> io::Result<Option<Request>> {
        read_request(&mut raw.as_bytes()).await
    }

    async fn response(raw: &str, method: &str) -> io::Result<Option<Response>> {
        read_response(&mut raw.as_bytes(), method).await
    }

    #[tokio::test]
    async fn a_request_framed_by_content_length_is_read_whole() {
        let read = request(
            "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: A.B\r\nContent-Length: 2\r\n\r\n{}",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(read.method, "POST");
        assert_eq!(read.header("x-amz-target"), Some("A.B"));
        assert_eq!(read.body, b"{}");
        assert!(read.keeps_alive());
    }

    #[tokio::test]
    async fn a_chunked_request_is_decoded_and_sent_on_with_a_length() {
        let read = request(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(read.body, b"abcde");
        let sent = String::from_utf8(read.encode()).unwrap();
        assert!(sent.contains("Content-Length: 5\r\n"), "{sent}");
        assert!(
            !sent.to_ascii_lowercase().contains("transfer-encoding"),
            "{sent}"
        );
    }

    #[tokio::test]
    async fn a_client_that_closes_between_requests_is_not_an_error() {
        assert_eq!(request("").await.unwrap(), None);
        assert!(request("POST / HTTP/1.1\r\nHost").await.is_err());
    }

    #[tokio::test]
    async fn connection_close_and_http_1_0_end_the_connection() {
        let close = request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap()
            .unwrap();
        assert!(!close.keeps_alive());
        let old = request("GET / HTTP/1.0\r\n\r\n").await.unwrap().unwrap();
        assert!(!old.keeps_alive());
    }

    #[tokio::test]
    async fn a_response_without_length_ends_with_the_connection() {
        let read = response("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nall of it", "POST")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.body, b"all of it");
        assert!(read.closes);
    }

    #[tokio::test]
    async fn interim_responses_are_skipped_and_head_answers_have_no_body() {
        let read = response(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
            "HEAD",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(read.status, 200);
        assert!(read.body.is_empty());
        assert!(!read.closes);
    }

    #[test]
    fn an_aws_error_names_its_type_in_the_body_and_the_header() {
        let encoded =
            Response::aws_error(400, "Bad Request", "ThrottlingException", "Rate exceeded")
                .encode(false);
        let text = String::from_utf8(encoded).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
        assert!(
            text.contains("x-amzn-ErrorType: ThrottlingException\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#),
            "{text}"
        );
    }
}
