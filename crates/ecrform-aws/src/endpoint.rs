//! Endpoint URLs checked before any client is built.
//!
//! The SDK takes an endpoint without a scheme (`--endpoint-url 127.0.0.1:4566`,
//! `AWS_ENDPOINT_URL=localhost:4566`) and fails only at the first request, with a Debug dump of
//! the whole request in its message. An endpoint is a URL that starts with `http://` or
//! `https://` and names a host; every endpoint ecrform would use (the flag, and the standard
//! variables of the services it calls) is checked once, up front, and a wrong one is refused in
//! one line that says what to write instead.

/// The environment variables that set the endpoint of a service ecrform calls (ECR, and STS
/// and KMS on its behalf), as every AWS SDK reads them.
const ENDPOINT_VARIABLES: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_KMS",
];

/// An endpoint URL that cannot be used, and where it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} {url:?} {problem}")]
pub struct EndpointUrlError {
    /// `--endpoint-url` or the variable's name.
    pub source_name: String,
    pub url: String,
    problem: String,
}

/// Checks `--endpoint-url` (when given) and the endpoint variables of the environment (unless
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`, which makes the SDK ignore them).
pub fn check_endpoint_urls(flag: Option<&str>) -> Result<(), EndpointUrlError> {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|value| value.eq_ignore_ascii_case("true"));
    let from_environment = ENDPOINT_VARIABLES
        .iter()
        .filter(|_| !ignored)
        .filter_map(|name| {
            let value = std::env::var(name).ok().filter(|value| !value.is_empty())?;
            Some(((*name).to_owned(), value))
        });
    flag.map(|url| ("--endpoint-url".to_owned(), url.to_owned()))
        .into_iter()
        .chain(from_environment)
        .try_for_each(|(source_name, url)| check(source_name, url))
}

fn check(source_name: String, url: String) -> Result<(), EndpointUrlError> {
    let refuse = |problem: String| {
        Err(EndpointUrlError {
            source_name: source_name.clone(),
            url: url.clone(),
            problem,
        })
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        let bare = url.trim_start_matches('/');
        return refuse(format!(
            "has no scheme; write http://{bare} (or https://{bare})"
        ));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return refuse(format!(
            "has the scheme {scheme:?}; an endpoint starts with http:// or https://"
        ));
    }
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let host_name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    if host_name.is_empty() {
        return refuse("names no host; write it as http://HOST:PORT".to_owned());
    }
    if url.chars().any(char::is_whitespace) {
        return refuse("contains white space".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_an_http_scheme_and_a_host() {
        let cases: &[(&str, Option<&str>)] = &[
            ("http://127.0.0.1:4566", None),
            ("https://ecr.us-east-1.amazonaws.com", None),
            ("HTTP://localhost:4566/", None),
            ("http://[::1]:4566", None),
            (
                "127.0.0.1:4566",
                Some(
                    "--endpoint-url \"127.0.0.1:4566\" has no scheme; write http://127.0.0.1:4566 \
                     (or https://127.0.0.1:4566)",
                ),
            ),
            (
                "localhost",
                Some(
                    "--endpoint-url \"localhost\" has no scheme; write http://localhost (or \
                     https://localhost)",
                ),
            ),
            (
                "ftp://localhost:21",
                Some(
                    "--endpoint-url \"ftp://localhost:21\" has the scheme \"ftp\"; an endpoint \
                     starts with http:// or https://",
                ),
            ),
            (
                "http://:4566",
                Some("--endpoint-url \"http://:4566\" names no host; write it as http://HOST:PORT"),
            ),
            (
                "http://local host",
                Some("--endpoint-url \"http://local host\" contains white space"),
            ),
        ];
        for (url, expected) in cases {
            let result = check("--endpoint-url".to_owned(), (*url).to_owned());
            assert_eq!(
                result.err().map(|error| error.to_string()).as_deref(),
                *expected,
                "{url}"
            );
        }
    }
}
