//! Logs on stderr, for seeing what ecrform does: every AWS call (logged where the clients are
//! built, `ecrform_aws`'s call log), retries and throttling, and what the AWS SDK itself says
//! when a filter asks for it. Nothing is logged unless `-v` or `ECRFORM_LOG` asks (the filter
//! is decided in [`crate::context`]), so stderr stays as it was without them; stdout never
//! carries a log line, so plans and JSON output stay parseable.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;
use crate::context::Logging;

/// Installs the process's log subscriber, when the filter asks for any logs.
pub fn init(logging: &Logging) {
    let Some(filter) = &logging.filter else {
        return;
    };
    // The filter was checked when the context was made.
    let filter = EnvFilter::builder()
        .parse(filter)
        .unwrap_or_else(|_| EnvFilter::new("off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A subscriber is only ever installed here, once; should one exist, logs go to it.
    let _ = match logging.format {
        LogFormat::Text => builder.with_ansi(logging.ansi).try_init(),
        // One flat object a line: the event's fields sit next to `timestamp`, `level`,
        // `target` and `message`, where log search expects them.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
