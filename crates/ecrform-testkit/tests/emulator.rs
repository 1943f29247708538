//! The emulator harness itself: that each test gets a private, working ECR endpoint that
//! disappears with it, that the AWS CLI reaches it as the default account or as another one,
//! and that nothing of the caller's AWS setup leaks into the children it starts.
//!
//! These tests need the emulator installed (`scripts/emulator install`; `Emulator::start`
//! installs it on first use). When it cannot be, they fail: a skipped emulator test would
//! hide that nothing was tested.

#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use ecrform_testkit::emulator::{DEFAULT_ACCOUNT_ID, REGION};
use ecrform_testkit::fixtures::OTHER_ACCOUNT;
use ecrform_testkit::{Emulator, EmulatorError};

fn start() -> Emulator {
    Emulator::start().unwrap_or_else(|error| panic!("{error}"))
}

fn address(endpoint: &str) -> SocketAddr {
    endpoint.strip_prefix("http://").unwrap().parse().unwrap()
}

/// `scripts/emulator stop` waits for the server to exit, but the kernel may take a moment to
/// release the listening socket after a kill -9.
fn wait_until_refused(address: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn repository_names(answer: &Value) -> Vec<String> {
    answer["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|repository| repository["repositoryName"].as_str().unwrap().to_owned())
        .collect()
}

/// The state directory is the one holding the absent AWS config file.
fn state_dir(emulator: &Emulator) -> PathBuf {
    let env = emulator.env();
    let config = &env
        .iter()
        .find(|(key, _)| key == "AWS_CONFIG_FILE")
        .unwrap()
        .1;
    PathBuf::from(config).parent().unwrap().to_owned()
}

#[test]
fn a_repository_created_with_the_cli_can_be_described_back() {
    let emulator = start();
    assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));

    let created = emulator
        .aws(&[
            "ecr",
            "create-repository",
            "--repository-name",
            "team/app",
            "--image-tag-mutability",
            "IMMUTABLE",
        ])
        .unwrap();
    assert_eq!(created["repository"]["registryId"], DEFAULT_ACCOUNT_ID);

    let described = emulator
        .aws(&[
            "ecr",
            "describe-repositories",
            "--repository-names",
            "team/app",
        ])
        .unwrap();
    assert_eq!(repository_names(&described), ["team/app"]);
    let repository = &described["repositories"][0];
    assert_eq!(repository["imageTagMutability"], "IMMUTABLE");
    assert_eq!(
        repository["repositoryArn"],
        format!("arn:aws:ecr:{REGION}:{DEFAULT_ACCOUNT_ID}:repository/team/app")
    );

    // Commands that answer nothing give Null rather than a JSON error.
    let tagged = emulator
        .aws(&[
            "ecr",
            "tag-resource",
            "--resource-arn",
            repository["repositoryArn"].as_str().unwrap(),
            "--tags",
            "Key=owner,Value=platform",
        ])
        .unwrap();
    assert_eq!(tagged, Value::Null);
}

#[test]
fn a_failing_cli_call_reports_the_cli_error() {
    let emulator = start();
    let error = emulator
        .aws(&[
            "ecr",
            "describe-repositories",
            "--repository-names",
            "missing",
        ])
        .unwrap_err();
    assert!(
        matches!(error, EmulatorError::AwsCliFailed { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("RepositoryNotFoundException"), "{message}");
    assert!(message.contains("describe-repositories"), "{message}");
}

#[test]
fn two_emulators_at_once_do_not_share_repositories() {
    let first = start();
    let second = start();
    assert_ne!(first.endpoint(), second.endpoint());

    first
        .aws(&[
            "ecr",
            "create-repository",
            "--repository-name",
            "only-in-first",
        ])
        .unwrap();

    let in_first = first.aws(&["ecr", "describe-repositories"]).unwrap();
    let in_second = second.aws(&["ecr", "describe-repositories"]).unwrap();
    assert_eq!(repository_names(&in_first), ["only-in-first"]);
    assert!(repository_names(&in_second).is_empty(), "{in_second}");
}

#[test]
fn dropping_the_emulator_stops_the_server_and_removes_its_directory() {
    let emulator = start();
    let address = address(emulator.endpoint());
    let dir = state_dir(&emulator);
    assert!(TcpStream::connect(address).is_ok());
    assert!(dir.is_dir());

    drop(emulator);

    assert!(wait_until_refused(address), "{address} still answers");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn a_panicking_test_still_stops_its_server() {
    let (sender, receiver) = std::sync::mpsc::channel();
    let outcome = std::panic::catch_unwind(move || {
        let emulator = start();
        sender
            .send((address(emulator.endpoint()), state_dir(&emulator)))
            .unwrap();
        panic!("the test failed while the emulator ran");
    });
    assert!(outcome.is_err());

    let (address, dir) = receiver.recv().unwrap();
    assert!(wait_until_refused(address), "{address} still answers");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn assumed_role_credentials_act_in_the_role_account() {
    let emulator = start();
    let assumed = emulator
        .aws(&[
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::{OTHER_ACCOUNT}:role/x"),
            "--role-session-name",
            "test",
        ])
        .unwrap();
    let credentials = &assumed["Credentials"];
    let credential = |field: &str| credentials[field].as_str().unwrap().to_owned();
    let as_other_account = [
        ("AWS_ACCESS_KEY_ID".to_owned(), credential("AccessKeyId")),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            credential("SecretAccessKey"),
        ),
        ("AWS_SESSION_TOKEN".to_owned(), credential("SessionToken")),
    ];

    let before = emulator
        .aws_with_env(&as_other_account, &["ecr", "describe-repositories"])
        .unwrap();
    assert!(repository_names(&before).is_empty(), "{before}");

    let created = emulator
        .aws_with_env(
            &as_other_account,
            &["ecr", "create-repository", "--repository-name", "elsewhere"],
        )
        .unwrap();
    assert_eq!(created["repository"]["registryId"], OTHER_ACCOUNT);

    let described = emulator
        .aws_with_env(&as_other_account, &["ecr", "describe-repositories"])
        .unwrap();
    assert_eq!(repository_names(&described), ["elsewhere"]);
    assert_eq!(described["repositories"][0]["registryId"], OTHER_ACCOUNT);

    // The default account does not see the other account's repository.
    let in_default = emulator.aws(&["ecr", "describe-repositories"]).unwrap();
    assert!(repository_names(&in_default).is_empty(), "{in_default}");
}

#[test]
fn env_for_account_reaches_that_account() {
    let emulator = start();
    let env = emulator.env_for_account(OTHER_ACCOUNT).unwrap();
    let identity = emulator
        .aws_with_env(&env, &["sts", "get-caller-identity"])
        .unwrap();
    assert_eq!(identity["Account"], OTHER_ACCOUNT);
    let keys: Vec<&str> = env.iter().map(|(key, _)| key.as_str()).collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "duplicate variables in {keys:?}");

    let default_identity = emulator.aws(&["sts", "get-caller-identity"]).unwrap();
    assert_eq!(default_identity["Account"], DEFAULT_ACCOUNT_ID);
}

#[test]
fn reset_forgets_every_repository() {
    let emulator = start();
    emulator
        .aws(&["ecr", "create-repository", "--repository-name", "doomed"])
        .unwrap();
    emulator.reset().unwrap();
    let after = emulator.aws(&["ecr", "describe-repositories"]).unwrap();
    assert!(repository_names(&after).is_empty(), "{after}");
}

#[test]
fn children_see_exactly_the_emulator_aws_variables() {
    let emulator = start();
    let output = emulator.command("env").output().unwrap();
    assert!(output.status.success());
    let mut seen: Vec<(String, String)> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("AWS_"))
        .map(|line| {
            let (key, value) = line.split_once('=').unwrap();
            (key.to_owned(), value.to_owned())
        })
        .collect();
    let mut expected = emulator.env();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);

    let value = |key: &str| {
        expected
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .unwrap()
    };
    assert_eq!(value("AWS_ENDPOINT_URL"), emulator.endpoint());
    assert_eq!(value("AWS_DEFAULT_REGION"), REGION);
    assert_eq!(value("AWS_EC2_METADATA_DISABLED"), "true");
    for file in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
        let path = PathBuf::from(value(file));
        assert!(
            !path.exists(),
            "{file} points at an existing {}",
            path.display()
        );
        assert!(path.starts_with(state_dir(&emulator)), "{}", path.display());
    }
}
