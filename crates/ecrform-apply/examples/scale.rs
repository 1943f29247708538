//! Scale benchmark: how planning and applying behave on registries with thousands of
//! repositories. Prints figures; asserts nothing (timings belong in a benchmark, not a test).
//!
//!     cargo run --release -p ecrform-apply --example scale
//!
//! Planning is measured on the pure `plan` function over desired and live states where one
//! repository in ten differs (mutability, a tag, a lifecycle rule's count). Applying runs the
//! real executor against the in-memory registry with a fixed latency per call, as a stand-in
//! for ECR's round trips, at several `--parallelism` values.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use ecrform_apply::ApplyOptions;
use ecrform_model::{
    DesiredRegistry, DesiredState, IamPolicy, LifecyclePolicy, RegistryId, RegistryState,
    RepositoryName, RepositoryState, Setting, TagMutability,
};
use ecrform_plan::{ReadScope, Registry};
use ecrform_testkit::InMemoryRegistry;

fn lifecycle(count: u32) -> LifecyclePolicy {
    LifecyclePolicy::from_value(json!({"rules": [
        {"rulePriority": 1, "description": "untagged",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                       "countUnit": "days", "countNumber": 7},
         "action": {"type": "expire"}},
        {"rulePriority": 2,
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                       "countType": "imageCountMoreThan", "countNumber": count},
         "action": {"type": "expire"}}]}))
    .expect("a valid lifecycle policy")
}

fn policy() -> IamPolicy {
    IamPolicy::from_value(json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "Pull", "Effect": "Allow",
        "Principal": {"AWS": ["210987654321", "345678901234"]},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}))
    .expect("a valid policy")
}

/// The documents a spec names: parsed once by the spec loader and shared by every repository
/// that names them.
struct SharedDocuments {
    lifecycle: LifecyclePolicy,
    policy: IamPolicy,
}

fn shared() -> SharedDocuments {
    SharedDocuments {
        lifecycle: lifecycle(30),
        policy: policy(),
    }
}

/// A desired repository: the shared documents.
fn desired_repository(index: usize, documents: &SharedDocuments) -> RepositoryState {
    let mut repository = repository(index, false);
    repository.lifecycle_policy = Setting::Present(documents.lifecycle.clone());
    repository.repository_policy = Setting::Present(documents.policy.clone());
    repository
}

/// A repository with its own documents, as a read from ECR produces them.
fn repository(index: usize, drifted: bool) -> RepositoryState {
    let mut tags = BTreeMap::from([
        ("team".to_owned(), format!("team-{}", index % 40)),
        ("env".to_owned(), "prod".to_owned()),
    ]);
    if drifted {
        tags.insert("hotfix".to_owned(), "yes".to_owned());
    }
    RepositoryState {
        image_tag_mutability: Some(if drifted {
            TagMutability::Mutable
        } else {
            TagMutability::Immutable
        }),
        image_tag_mutability_exclusions: Some(Vec::new()),
        scan_on_push: Some(true),
        tags: Some(tags),
        lifecycle_policy: Setting::Present(lifecycle(if drifted { 20 } else { 30 })),
        repository_policy: Setting::Present(policy()),
        ..RepositoryState::default()
    }
}

fn name(index: usize) -> RepositoryName {
    RepositoryName::parse(&format!("team-{}/service-{index}", index % 40)).expect("a valid name")
}

fn registry_id() -> RegistryId {
    RegistryId::parse("123456789012/us-east-1").expect("a valid registry id")
}

fn desired(count: usize) -> DesiredState {
    let mut state = RegistryState::empty(registry_id());
    let documents = shared();
    state.repositories = (0..count)
        .map(|i| (name(i), desired_repository(i, &documents)))
        .collect();
    DesiredState {
        registries: vec![DesiredRegistry {
            state,
            role_arn: None,
            profile: None,
            prune: false,
            prune_force_delete: false,
            owner: ecrform_model::OwnerId::legacy(),
            drift: Default::default(),
        }],
    }
}

fn live(count: usize) -> RegistryState {
    let mut state = RegistryState::empty(registry_id());
    state.repositories = (0..count)
        .map(|i| (name(i), repository(i, i % 10 == 0)))
        .collect();
    state
}

/// Peak resident memory of this process so far, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn bench_plan() {
    println!("plan (pure function, 1 in 10 repositories drifted in 3 fields)");
    println!(
        "{:>12} {:>10} {:>12} {:>14}",
        "repositories", "changes", "plan time", "per repository"
    );
    for count in [1_000, 5_000, 20_000] {
        let desired = desired(count);
        let live = vec![live(count)];
        let start = Instant::now();
        let plan = ecrform_plan::plan(&desired, &live);
        let elapsed = start.elapsed();
        println!(
            "{count:>12} {:>10} {:>10.1}ms {:>12.1}µs",
            plan.changes.len(),
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e6 / count as f64
        );
    }
}

async fn bench_apply() {
    const COUNT: usize = 2_000;
    const LATENCY: Duration = Duration::from_millis(10);
    println!();
    println!(
        "apply: create {COUNT} repositories with a lifecycle and a repository policy each \
         ({} calls), {}ms per call",
        COUNT * 3,
        LATENCY.as_millis()
    );
    println!(
        "{:>12} {:>10} {:>12} {:>14}",
        "parallelism", "wall time", "calls/s", "second apply"
    );
    for parallelism in [1, 16, 64] {
        if parallelism == 1 {
            // A full serial run would take a minute; measure a tenth and scale.
            let figure = serial_estimate(COUNT / 10, LATENCY).await;
            println!(
                "{parallelism:>12} {:>9.1}s {:>12.0} {:>14}",
                figure * 10.0,
                (COUNT / 10 * 3) as f64 / figure,
                "-"
            );
            continue;
        }
        let registry = Arc::new(InMemoryRegistry::new(registry_id()).with_latency(LATENCY));
        let registries = BTreeMap::from([(registry_id(), Arc::clone(&registry))]);
        let desired = desired(COUNT);
        let scope = ReadScope::for_desired(&desired.registries[0]);
        let live = registry
            .read(&scope)
            .await
            .expect("the in-memory registry reads");
        let plan = ecrform_plan::plan(&desired, &[live]);
        let options = ApplyOptions {
            parallelism,
            ..ApplyOptions::default()
        };
        let start = Instant::now();
        let report = ecrform_apply::apply(&plan, &registries, &options).await;
        let elapsed = start.elapsed().as_secs_f64();
        assert!(report.is_success(), "the benchmark's apply failed");
        let live = registry
            .read(&scope)
            .await
            .expect("the in-memory registry reads");
        let again = ecrform_plan::plan(&desired, &[live]);
        println!(
            "{parallelism:>12} {elapsed:>9.1}s {:>12.0} {:>8} writes",
            report.writes as f64 / elapsed,
            again.changes.len()
        );
    }
}

async fn serial_estimate(count: usize, latency: Duration) -> f64 {
    let registry = Arc::new(InMemoryRegistry::new(registry_id()).with_latency(latency));
    let registries = BTreeMap::from([(registry_id(), Arc::clone(&registry))]);
    let desired = desired(count);
    let plan = ecrform_plan::plan(&desired, &[RegistryState::empty(registry_id())]);
    let options = ApplyOptions {
        parallelism: 1,
        ..ApplyOptions::default()
    };
    let start = Instant::now();
    ecrform_apply::apply(&plan, &registries, &options).await;
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    bench_plan();
    if let Some(peak) = peak_rss_mib() {
        println!("peak resident memory after planning: {peak:.0} MiB");
    }
    bench_apply().await;
    if let Some(peak) = peak_rss_mib() {
        println!("peak resident memory after applying: {peak:.0} MiB");
    }
}
