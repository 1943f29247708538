//! A loopback HTTP endpoint that answers every connection the same way: for the failures a
//! real endpoint gives and neither the emulator nor the recorded responses can, such as an STS
//! that refuses a role or a connection reset in the middle of a request.
//!
//! It listens on a free 127.0.0.1 port, reads each request until its headers (and body) have
//! arrived, answers, and counts the connections, so a test can tell how many attempts a client
//! made. It stops when dropped.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the endpoint does with each connection.
#[derive(Debug, Clone)]
pub enum LoopbackAnswer {
    /// An HTTP/1.1 response.
    Http {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Reads the start of the request, then closes the connection with data unread, which makes
    /// the kernel reset it: the client sees "connection reset by peer".
    Reset,
    /// Reads the request and never answers, holding the connection open until the endpoint is
    /// dropped: an endpoint that accepts and stays silent.
    Silent,
}

impl LoopbackAnswer {
    /// STS's answer to an AssumeRole the caller may not make.
    pub fn sts_access_denied(role_arn: &str) -> Self {
        LoopbackAnswer::Http {
            status: 403,
            content_type: "text/xml",
            body: format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                 <Type>Sender</Type><Code>AccessDenied</Code><Message>User: \
                 arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole \
                 on resource: {role_arn}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
            ),
        }
    }
}

/// A running loopback endpoint.
#[derive(Debug)]
pub struct LoopbackEndpoint {
    url: String,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackEndpoint {
    pub fn start(answer: LoopbackAnswer) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let connections = Arc::clone(&connections);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    if matches!(answer, LoopbackAnswer::Silent) {
                        let stop = Arc::clone(&stop);
                        std::thread::spawn(move || hold_silently(stream, &stop));
                        continue;
                    }
                    // A failed answer is the client's business; the endpoint keeps listening.
                    let _ = answer_one(stream, &answer);
                }
            })
        };
        Ok(LoopbackEndpoint {
            url: format!("http://127.0.0.1:{port}"),
            connections,
            stop,
            port,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for LoopbackEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer_one(mut stream: TcpStream, answer: &LoopbackAnswer) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    match answer {
        LoopbackAnswer::Reset => {
            // Wait for the request to arrive, leave it unread, and close: a reset.
            let mut first = [0_u8; 1];
            stream.peek(&mut first)?;
            drop(stream);
            Ok(())
        }
        LoopbackAnswer::Silent => Ok(()),
        LoopbackAnswer::Http {
            status,
            content_type,
            body,
        } => {
            read_request(&mut stream)?;
            let response = format!(
                "HTTP/1.1 {status} Answer\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes())?;
            stream.flush()?;
            stream.shutdown(Shutdown::Write)
        }
    }
}

/// Takes the request and keeps the connection open without a word until the endpoint stops.
fn hold_silently(mut stream: TcpStream, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut chunk = [0_u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Reads one request: its headers, and as much body as `Content-Length` says.
fn read_request(stream: &mut TcpStream) -> io::Result<()> {
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        received.extend_from_slice(&chunk[..read]);
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
        let length: usize = headers
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        if received.len() >= end + 4 + length {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(url: &str) -> io::Result<String> {
        let address = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address)?;
        stream.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    }

    #[test]
    fn answers_every_connection_and_counts_them() {
        let endpoint = LoopbackEndpoint::start(LoopbackAnswer::sts_access_denied("arn:x")).unwrap();
        for _ in 0..2 {
            let answer = exchange(endpoint.url()).unwrap();
            assert!(answer.starts_with("HTTP/1.1 403 "), "{answer}");
            assert!(answer.ends_with("</ErrorResponse>"), "{answer}");
        }
        assert_eq!(endpoint.connections(), 2);
    }

    #[test]
    fn a_silent_endpoint_takes_the_request_and_never_answers() {
        let endpoint = LoopbackEndpoint::start(LoopbackAnswer::Silent).unwrap();
        let address = endpoint.url().trim_start_matches("http://").to_owned();
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut answer = [0_u8; 16];
        let error = stream.read(&mut answer).unwrap_err();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{error}"
        );
        assert_eq!(endpoint.connections(), 1);
    }

    #[test]
    fn a_reset_endpoint_resets_the_connection() {
        let endpoint = LoopbackEndpoint::start(LoopbackAnswer::Reset).unwrap();
        let error = exchange(endpoint.url()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}");
    }
}
