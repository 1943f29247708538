//! A private local ECR endpoint for one test: the moto server started by `scripts/emulator`.
//!
//! The in-memory registry answers for ECR's semantics as ecrform understands them; the
//! emulator is an independent implementation reached over HTTP through the real AWS SDK, so
//! tests against it catch what the in-memory registry cannot: request shapes, error codes,
//! credentials and endpoint resolution. moto keeps all state in memory, so every
//! [`Emulator`] is its own server on its own port and tests never see each other's
//! repositories. The server stops when the [`Emulator`] is dropped, also when the test panics.
//!
//! Nothing here skips a test: when the emulator cannot be installed or started,
//! [`Emulator::start`] fails with what went wrong and how to install it.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The account the emulator answers for when the credentials belong to no assumed role.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The region every emulator client is configured for.
pub const REGION: &str = "us-east-1";

/// The dummy credentials the emulator accepts for [`DEFAULT_ACCOUNT_ID`].
const DUMMY_CREDENTIAL: &str = "testing";

/// Long enough for a loaded CI machine, short enough that a wedged server fails the test.
const RESET_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of the server's log a start failure quotes.
const SERVER_LOG_TAIL_LINES: usize = 40;

/// What every failure to install or run the emulator adds, before the install command.
const INSTALL_HINT: &str = "the emulator needs python3 (with venv) and, the first time, network \
                            access to PyPI; install it with";

/// Why the emulator or its AWS CLI could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("could not create the emulator's state directory {path}: {source}")]
    StateDirectory { path: PathBuf, source: io::Error },

    #[error("could not run {script}: {source}; {INSTALL_HINT} `{script} install`")]
    ScriptNotRunnable { script: PathBuf, source: io::Error },

    #[error(
        "`{script} start` failed ({status}).\nscript stderr:\n{stderr}\nserver log:\n{server_log}\n{INSTALL_HINT} `{script} install`"
    )]
    StartFailed {
        script: PathBuf,
        status: ExitStatus,
        stderr: String,
        server_log: String,
    },

    #[error(
        "`scripts/emulator start` succeeded but printed no http://127.0.0.1:PORT endpoint; stdout was {stdout:?}, stderr was {stderr:?}"
    )]
    NoEndpoint { stdout: String, stderr: String },

    #[error("could not run the AWS CLI {program}: {source}; {INSTALL_HINT} `{script} install`")]
    AwsCliNotRunnable {
        program: PathBuf,
        script: PathBuf,
        source: io::Error,
    },

    #[error("`aws {args}` failed ({status}): {stderr}")]
    AwsCliFailed {
        args: String,
        status: ExitStatus,
        stderr: String,
    },

    #[error("`aws {args}` printed output that is not JSON ({source}): {stdout}")]
    AwsCliOutputNotJson {
        args: String,
        stdout: String,
        source: serde_json::Error,
    },

    #[error("`aws {args}` answered without {field}: {output}")]
    AwsCliOutputIncomplete {
        args: String,
        field: &'static str,
        output: Value,
    },

    #[error("could not reset the emulator at {endpoint}: {detail}")]
    ResetFailed { endpoint: String, detail: String },
}

/// One running emulator, private to the test that started it; dropping it stops the server
/// and removes its state directory.
#[derive(Debug)]
pub struct Emulator {
    project_root: PathBuf,
    venv: PathBuf,
    /// Holds the server's pid, url and log, and the never-created AWS config files.
    state_dir: PathBuf,
    endpoint: String,
    address: SocketAddr,
}

impl Emulator {
    /// Installs the emulator if needed (once per virtualenv, see `scripts/emulator install`) and
    /// starts a fresh server on a free 127.0.0.1 port.
    pub fn start() -> Result<Emulator, EmulatorError> {
        let project_root = project_root();
        let venv = venv_dir(&project_root);
        let state_dir = create_state_dir()?;
        let script = emulator_script(&project_root);
        let output = Command::new(&script)
            .arg("start")
            .arg(&state_dir)
            .current_dir(&project_root)
            .output();
        match parse_start_output(&script, &state_dir, output) {
            Ok((endpoint, address)) => Ok(Emulator {
                project_root,
                venv,
                state_dir,
                endpoint,
                address,
            }),
            Err(error) => {
                // A failed start leaves no server, but a start whose output could not be read
                // may have; stop does nothing without the pid file it writes. The start error
                // is what the test needs to see, so a failure to clean up is not reported.
                let _ = Command::new(&script)
                    .arg("stop")
                    .arg(&state_dir)
                    .current_dir(&project_root)
                    .status();
                let _ = std::fs::remove_dir_all(&state_dir);
                Err(error)
            }
        }
    }

    /// The URL to pass as `AWS_ENDPOINT_URL`, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The environment a child process (ecrform, the AWS CLI) needs to talk to this emulator as
    /// [`DEFAULT_ACCOUNT_ID`], and only to it: config and credentials files that do not exist
    /// keep the developer's ~/.aws out, and IMDS is off so that no client waits on it.
    pub fn env(&self) -> Vec<(String, String)> {
        let absent_file = |name: &str| self.state_dir.join(name).to_string_lossy().into_owned();
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), DUMMY_CREDENTIAL.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), DUMMY_CREDENTIAL.into()),
            ("AWS_DEFAULT_REGION".into(), REGION.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_CONFIG_FILE".into(), absent_file("no-aws-config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                absent_file("no-aws-credentials"),
            ),
        ]
    }

    /// [`Emulator::env`] with the credentials of a role assumed in `account_id`: the emulator
    /// attributes every call made with them to that account, which is how tests get a second
    /// (or third) registry.
    pub fn env_for_account(
        &self,
        account_id: &str,
    ) -> Result<Vec<(String, String)>, EmulatorError> {
        let role_arn = format!("arn:aws:iam::{account_id}:role/ecrform-test");
        let args = [
            "sts",
            "assume-role",
            "--role-arn",
            role_arn.as_str(),
            "--role-session-name",
            "ecrform-test",
        ];
        let answer = self.aws(&args)?;
        let credential = |field: &'static str| {
            answer["Credentials"][field]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| EmulatorError::AwsCliOutputIncomplete {
                    args: args.join(" "),
                    field,
                    output: answer.clone(),
                })
        };
        let overrides = [
            ("AWS_ACCESS_KEY_ID", credential("AccessKeyId")?),
            ("AWS_SECRET_ACCESS_KEY", credential("SecretAccessKey")?),
            ("AWS_SESSION_TOKEN", credential("SessionToken")?),
        ];
        let mut env = self.env();
        for (key, value) in overrides {
            env.retain(|(existing, _)| existing != key);
            env.push((key.to_owned(), value));
        }
        Ok(env)
    }

    /// A command for `program` that sees this emulator through [`Emulator::env`] and none of
    /// the caller's AWS_* variables (AWS_PROFILE, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_ECR, ...),
    /// any of which would point the child somewhere else or at other credentials.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AWS_") {
                command.env_remove(key);
            }
        }
        command.envs(self.env());
        command
    }

    /// The AWS CLI installed next to the emulator (`.venv/bin/aws`, or under `$ECRFORM_VENV`).
    pub fn aws_cli(&self) -> PathBuf {
        self.venv.join("bin").join("aws")
    }

    /// Runs the AWS CLI against this emulator as [`DEFAULT_ACCOUNT_ID`] and returns its JSON
    /// answer ([`Value::Null`] for commands that print nothing). Tests use it as a second
    /// client making out-of-band changes.
    pub fn aws(&self, args: &[&str]) -> Result<Value, EmulatorError> {
        self.aws_with_env(&[], args)
    }

    /// [`Emulator::aws`] with `overrides` applied on top of [`Emulator::env`], e.g. the
    /// credentials from [`Emulator::env_for_account`].
    pub fn aws_with_env(
        &self,
        overrides: &[(String, String)],
        args: &[&str],
    ) -> Result<Value, EmulatorError> {
        let program = self.aws_cli();
        let mut command = self.command(&program);
        command
            .envs(overrides.iter().map(|(key, value)| (key, value)))
            // The emulator never throttles and answers HTTP 500 for what it does not implement;
            // retrying that only makes the failing call slow.
            .env("AWS_MAX_ATTEMPTS", "1")
            .arg("--output")
            .arg("json")
            .args(args);
        let output = command
            .output()
            .map_err(|source| EmulatorError::AwsCliNotRunnable {
                program: program.clone(),
                script: emulator_script(&self.project_root),
                source,
            })?;
        let args = args.join(" ");
        if !output.status.success() {
            return Err(EmulatorError::AwsCliFailed {
                args,
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        if stdout.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&stdout).map_err(|source| EmulatorError::AwsCliOutputNotJson {
            args,
            stdout: stdout.into_owned(),
            source,
        })
    }

    /// Forgets every repository, policy and setting in every account, as after a fresh start
    /// but without the cost of one.
    pub fn reset(&self) -> Result<(), EmulatorError> {
        let failed = |detail: String| EmulatorError::ResetFailed {
            endpoint: self.endpoint.clone(),
            detail,
        };
        let mut stream = TcpStream::connect_timeout(&self.address, RESET_TIMEOUT)
            .map_err(|error| failed(format!("connect: {error}")))?;
        stream
            .set_read_timeout(Some(RESET_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(RESET_TIMEOUT)))
            .map_err(|error| failed(format!("set timeouts: {error}")))?;
        // A hand-written request keeps an HTTP client out of the test kit's dependencies; the
        // server closes the connection after answering, which ends the read.
        let request = format!(
            "POST /moto-api/reset HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.address
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|error| failed(format!("send: {error}")))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .map_err(|error| failed(format!("receive: {error}")))?;
        let response = String::from_utf8_lossy(&response);
        let status_line = response.lines().next().unwrap_or_default();
        if status_line.split_whitespace().nth(1) == Some("200") {
            Ok(())
        } else {
            Err(failed(format!("answered {status_line:?}")))
        }
    }

    fn stop(&self) -> io::Result<ExitStatus> {
        Command::new(emulator_script(&self.project_root))
            .arg("stop")
            .arg(&self.state_dir)
            .current_dir(&self.project_root)
            .status()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Drop cannot fail; a server that outlives its test is only a leak, so say so and go on.
        match self.stop() {
            Ok(status) if status.success() => {}
            Ok(status) => eprintln!(
                "emulator: `scripts/emulator stop {}` failed ({status}); the server at {} may still run",
                self.state_dir.display(),
                self.endpoint
            ),
            Err(error) => eprintln!(
                "emulator: could not run `scripts/emulator stop {}` ({error}); the server at {} may still run",
                self.state_dir.display(),
                self.endpoint
            ),
        }
        if let Err(error) = std::fs::remove_dir_all(&self.state_dir) {
            eprintln!(
                "emulator: could not remove {}: {error}",
                self.state_dir.display()
            );
        }
    }
}

/// The workspace root, which holds `scripts/emulator`; canonical where possible so that error
/// messages show a command one can paste.
fn project_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    root.canonicalize().unwrap_or(root)
}

fn emulator_script(project_root: &Path) -> PathBuf {
    project_root.join("scripts").join("emulator")
}

/// The virtualenv `scripts/emulator` installs into, chosen the way the script chooses it: an
/// empty ECRFORM_VENV counts as unset, and a relative one is relative to where the script
/// runs, which is the project root.
fn venv_dir(project_root: &Path) -> PathBuf {
    match std::env::var_os("ECRFORM_VENV") {
        Some(venv) if !venv.is_empty() => project_root.join(venv),
        _ => project_root.join(".venv"),
    }
}

/// A new directory under the system temp dir; the pid, a counter and the time keep
/// concurrent tests, and test binaries run side by side, from sharing one.
fn create_state_dir() -> Result<PathBuf, EmulatorError> {
    static NEXT_DIR: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    loop {
        let path = std::env::temp_dir().join(format!(
            "ecrform-emulator-{}-{}-{nanos}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(EmulatorError::StateDirectory { path, source }),
        }
    }
}

fn parse_start_output(
    script: &Path,
    state_dir: &Path,
    output: io::Result<Output>,
) -> Result<(String, SocketAddr), EmulatorError> {
    let output = output.map_err(|source| EmulatorError::ScriptNotRunnable {
        script: script.to_owned(),
        source,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if !output.status.success() {
        return Err(EmulatorError::StartFailed {
            script: script.to_owned(),
            status: output.status,
            stderr,
            server_log: server_log_tail(state_dir),
        });
    }
    // The endpoint is the last line; anything the installer says goes to stderr.
    let endpoint = stdout.lines().map(str::trim).rfind(|line| !line.is_empty());
    let address = endpoint
        .and_then(|endpoint| endpoint.strip_prefix("http://"))
        .and_then(|authority| authority.parse::<SocketAddr>().ok());
    match (endpoint, address) {
        (Some(endpoint), Some(address)) => Ok((endpoint.to_owned(), address)),
        _ => Err(EmulatorError::NoEndpoint { stdout, stderr }),
    }
}

fn server_log_tail(state_dir: &Path) -> String {
    match std::fs::read_to_string(state_dir.join("server.log")) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(SERVER_LOG_TAIL_LINES)..].join("\n")
        }
        // The script failed before starting a server, e.g. while installing.
        Err(error) if error.kind() == io::ErrorKind::NotFound => "(no server was started)".into(),
        Err(error) => format!("(could not read server.log: {error})"),
    }
}
