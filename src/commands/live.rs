//! Reaching live ECR: connecting to the registries of a command and reading them, all
//! registries at once. Errors name the registry and carry the AWS error code and message.
//! Reads show progress bars where the output allows them, and `-v` ends them with a summary
//! of the calls they made.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt;
use futures_util::future::join_all;
use futures_util::stream::FuturesUnordered;

use ecrform_aws::{CallTotals, EcrRegistry, ReadProgress, RegistryTarget};
use ecrform_lifecycle::Image;
use ecrform_model::{
    DesiredState, LifecyclePolicy, RegistryId, RegistryState, RepositoryName, Setting,
};
use ecrform_plan::preview::{self, RepositoryImages};
use ecrform_plan::{ErrorKind, Plan, ReadScope, Registry, RegistryError};
use ecrform_spec::Spec;

use crate::commands::CommandError;
use crate::context::{Context, counted};
use crate::progress::ReadBars;

/// The registries of one command, connected.
pub type Registries = BTreeMap<RegistryId, Arc<EcrRegistry>>;

/// One async runtime per command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub async fn connect(targets: &[RegistryTarget], context: &Context) -> anyhow::Result<Registries> {
    let options = &context.connection;
    // Once, before any client: the SDK would take a URL without a scheme and fail at the
    // first request with a dump of it.
    ecrform_aws::check_endpoint_urls(options.endpoint_url.as_deref())?;
    let clients = join_all(targets.iter().map(|target| async {
        ecrform_aws::connect(target, options)
            .await
            .map_err(|error| read_error(&target.id, &error))
    }));
    clients
        .await
        .into_iter()
        .map(|registry| registry.map(|r| (r.id().clone(), Arc::new(r))))
        .collect()
}

/// The AWS calls of some work and its wall time, from the counts every client adds to: what
/// the `-v` summary line reports.
#[derive(Debug)]
pub struct Stopwatch {
    started: Instant,
    before: CallTotals,
}

impl Stopwatch {
    pub fn start(context: &Context) -> Self {
        Stopwatch {
            started: Instant::now(),
            before: context.connection.calls.totals(),
        }
    }

    /// The calls made and the time passed since the start.
    pub fn elapsed(&self, context: &Context) -> (CallTotals, Duration) {
        (
            context.connection.calls.totals().since(self.before),
            self.started.elapsed(),
        )
    }

    /// Prints the `-v` summary line of `work` (`read 3 registries`).
    pub fn report(&self, context: &Context, work: &str) {
        let (totals, elapsed) = self.elapsed(context);
        context.output.summary(work, totals, elapsed);
    }
}

/// `read 1 registry`, `read 3 registries`.
pub fn read_work(registries: usize) -> String {
    let registries = u64::try_from(registries).unwrap_or(u64::MAX);
    format!("read {}", counted(registries, "registry", "registries"))
}

/// Reads every registry with its scope, concurrently; the first failure names its registry.
pub async fn read(
    registries: &Registries,
    scopes: &BTreeMap<RegistryId, ReadScope>,
    context: &Context,
) -> anyhow::Result<Vec<RegistryState>> {
    read_telling(registries, scopes, context, &|_, _, _| {}).await
}

/// [`read`], telling `repository_read` of every repository as soon as its reads are done,
/// with its live lifecycle policy.
async fn read_telling(
    registries: &Registries,
    scopes: &BTreeMap<RegistryId, ReadScope>,
    context: &Context,
    repository_read: &(dyn Fn(&RegistryId, &RepositoryName, &Setting<LifecyclePolicy>) + Sync),
) -> anyhow::Result<Vec<RegistryState>> {
    let bars = ReadBars::start(&context.output, scopes.keys());
    let bars = bars.as_ref();
    let reads = scopes.iter().map(|(id, scope)| async move {
        let registry = registries
            .get(id)
            .with_context(|| format!("no connection to registry {id}"))?;
        registry
            .read_reporting(scope, &|step| {
                if let ReadProgress::RepositoryRead {
                    name,
                    lifecycle_policy,
                } = &step
                {
                    repository_read(id, name, lifecycle_policy);
                }
                if let Some(bars) = bars {
                    bars.step(id, step);
                }
            })
            .await
            .map_err(|error| read_error(id, &error))
    });
    join_all(reads).await.into_iter().collect()
}

/// Image listings started while the registries were still being read, by repository.
pub type Prefetched = HashMap<(RegistryId, RepositoryName), Result<Vec<Image>, RegistryError>>;

/// Whether the plan will change the lifecycle policy of this repository, as far as its own
/// live policy says: then the preview will want its images. (The plan decides; a guess that
/// is wrong costs one listing, or one made later.)
fn lifecycle_changes(
    desired: &DesiredState,
    id: &RegistryId,
    name: &RepositoryName,
    live: &Setting<LifecyclePolicy>,
) -> bool {
    let Some(wanted) = desired
        .registries
        .iter()
        .find(|registry| registry.state.id() == *id)
        .and_then(|registry| registry.state.repositories.get(name))
    else {
        return false;
    };
    match (&wanted.lifecycle_policy, live) {
        (Setting::Present(wanted), Setting::Present(live)) => {
            wanted.canonical() != live.canonical()
        }
        (Setting::Present(_), _) => true,
        (Setting::Absent, Setting::Present(_)) => true,
        _ => false,
    }
}

/// Reads the registries like [`read`] and, meanwhile, lists the images of every repository
/// whose lifecycle policy the plan is going to change, as soon as that repository is read:
/// the preview's reads overlap the registry reads instead of following them.
async fn read_and_prefetch_images(
    registries: &Registries,
    desired: &DesiredState,
    context: &Context,
) -> (anyhow::Result<Vec<RegistryState>>, Prefetched) {
    let (wanted, mut wanted_rx) = tokio::sync::mpsc::unbounded_channel();
    let scopes = scopes_for(desired);
    let reading = async {
        let tell =
            move |id: &RegistryId, name: &RepositoryName, live: &Setting<LifecyclePolicy>| {
                if lifecycle_changes(desired, id, name, live) {
                    // The receiver lives until every sender is gone.
                    let _ = wanted.send((id.clone(), name.clone()));
                }
            };
        let result = read_telling(registries, &scopes, context, &tell).await;
        drop(tell);
        result
    };
    let listing = async {
        let mut listings = FuturesUnordered::new();
        let mut listed = Prefetched::new();
        loop {
            tokio::select! {
                Some((id, name)) = wanted_rx.recv() => {
                    listings.push(async move {
                        let images = match registries.get(&id) {
                            Some(registry) => registry.list_images(&name).await,
                            None => Ok(Vec::new()),
                        };
                        ((id, name), images)
                    });
                }
                Some((key, images)) = listings.next(), if !listings.is_empty() => {
                    listed.insert(key, images);
                }
                else => break,
            }
        }
        listed
    };
    tokio::join!(reading, listing)
}

/// Reads the images of every repository whose lifecycle policy `plan` changes (and that
/// exists live), concurrently within each registry's `--parallelism` bound, and records on
/// each such change what the new policy would expire or archive.
pub async fn preview_images(
    registries: &Registries,
    plan: &mut Plan,
    mut prefetched: Prefetched,
) -> anyhow::Result<()> {
    let reads = preview::image_reads(plan);
    if reads.is_empty() {
        return Ok(());
    }
    let now = crate::commands::lifecycle::current_time()?;
    let reads: Vec<_> = reads
        .into_iter()
        .map(|key| {
            let early = prefetched.remove(&key);
            (key, early)
        })
        .collect();
    let listed = join_all(reads.into_iter().map(|((id, name), early)| async move {
        let registry = registries
            .get(&id)
            .with_context(|| format!("no connection to registry {id}"))?;
        let images = match early {
            Some(images) => images,
            None => registry.list_images(&name).await,
        };
        let images = images.map_err(|error| {
            anyhow::anyhow!(
                "cannot read the images of {name} in registry {id} for the lifecycle preview: \
                 {error}; pass --no-image-preview to plan without it"
            )
        })?;
        anyhow::Ok(((id, name), images))
    }));
    let images: RepositoryImages = listed.await.into_iter().collect::<anyhow::Result<_>>()?;
    preview::annotate(plan, &images, now);
    Ok(())
}

/// A plan made against live ECR, with what it was made from.
#[derive(Debug)]
pub struct LivePlan {
    pub registries: Registries,
    /// The live state read, the recovery record's entries attached.
    pub live: Vec<RegistryState>,
    pub plan: Plan,
}

/// What `plan` and `apply` share: connect to the registries of `desired`, read what the spec
/// manages, attach what the recovery record keeps, plan, and (unless `preview` is off) read
/// the images of repositories whose lifecycle policy changes to preview what the new policy
/// would expire.
pub async fn plan_live(
    spec: &Spec,
    context: &Context,
    preview: bool,
) -> Result<LivePlan, CommandError> {
    let desired = &spec.desired;
    let stopwatch = Stopwatch::start(context);
    let registries = connect(&targets_for(desired), context).await?;
    let (mut live, prefetched) = if preview {
        let (live, prefetched) = read_and_prefetch_images(&registries, desired, context).await;
        (live?, prefetched)
    } else {
        (
            read(&registries, &scopes_for(desired), context).await?,
            Prefetched::new(),
        )
    };
    super::check_keys(context, spec, &live)?;
    context.recovery_record()?.attach(&mut live);
    let mut plan = ecrform_plan::plan(desired, &live);
    if preview {
        preview_plan(&registries, &mut plan, prefetched).await?;
    }
    stopwatch.report(context, &read_work(registries.len()));
    Ok(LivePlan {
        registries,
        live,
        plan,
    })
}

/// Reads what the gates need to know about the images of `plan`'s repositories: what each
/// lifecycle policy change would expire or archive, and what each delete or replace destroys.
pub async fn preview_plan(
    registries: &Registries,
    plan: &mut Plan,
    prefetched: Prefetched,
) -> anyhow::Result<()> {
    let held_reads = preview::held_image_reads(plan);
    let (previewed, held) = tokio::join!(
        preview_images(registries, plan, prefetched),
        count_held_images(registries, held_reads),
    );
    previewed?;
    preview::annotate_held(plan, &held?);
    Ok(())
}

/// How many images each repository in `reads` holds (and their size), concurrently within
/// each registry's `--parallelism` bound.
async fn count_held_images(
    registries: &Registries,
    reads: Vec<(RegistryId, ecrform_model::RepositoryName)>,
) -> anyhow::Result<preview::HeldByRepository> {
    let counted = join_all(reads.into_iter().map(|(id, name)| async move {
        let registry = registries
            .get(&id)
            .with_context(|| format!("no connection to registry {id}"))?;
        let held = registry.held_images(&name).await.map_err(|error| {
            anyhow::anyhow!(
                "cannot count the images of {name} in registry {id}, which the plan deletes or \
                 replaces: {error}; pass --no-image-preview to plan without reading images"
            )
        })?;
        anyhow::Ok(((id, name), held))
    }));
    counted.await.into_iter().collect()
}

/// Everything about every repository and registry-wide setting of `targets` (export,
/// snapshot). These commands only describe what exists, so a registry-wide setting the
/// endpoint does not implement is left out with a warning instead of failing the command.
///
/// `kms_keys` are key references to resolve per registry (snapshots record those the spec
/// names, so that a plan against the snapshot compares encryption by key).
pub fn read_everything(
    targets: &[RegistryTarget],
    context: &Context,
    kms_keys: &BTreeMap<RegistryId, std::collections::BTreeSet<String>>,
) -> anyhow::Result<Vec<RegistryState>> {
    read_describing(targets, context, |id| {
        let mut scope = ReadScope::everything();
        scope.kms_keys = kms_keys.get(id).cloned().unwrap_or_default();
        scope
    })
}

/// Every policy of every repository of `targets`, and their registry policies and creation
/// templates (`access --live`): what says who can do what, and nothing else. A setting the
/// endpoint does not implement is left out with a warning, as for export.
pub fn read_policies(
    targets: &[RegistryTarget],
    context: &Context,
) -> anyhow::Result<Vec<RegistryState>> {
    read_describing(targets, context, |_| ReadScope {
        other_repositories: ecrform_plan::Aspects {
            repository_policy: true,
            ..ecrform_plan::Aspects::default()
        },
        registry: ecrform_plan::RegistryAspects::only([
            ecrform_model::RegistryWideKind::RegistryPolicy,
            ecrform_model::RegistryWideKind::CreationTemplates,
        ]),
        ..ReadScope::default()
    })
}

/// Reads `targets` with the scope `scope_of` gives each, to describe what exists: a
/// registry-wide setting the endpoint does not implement is left out with a warning.
fn read_describing(
    targets: &[RegistryTarget],
    context: &Context,
    scope_of: impl Fn(&RegistryId) -> ReadScope,
) -> anyhow::Result<Vec<RegistryState>> {
    let scope_of = &scope_of;
    runtime()?.block_on(async {
        let stopwatch = Stopwatch::start(context);
        let registries = connect(targets, context).await?;
        let read_bars = ReadBars::start(&context.output, registries.keys());
        let bars = read_bars.as_ref();
        let reads = registries.iter().map(|(id, registry)| async move {
            let mut scope = scope_of(id);
            let progress = |step| {
                if let Some(bars) = bars {
                    bars.step(id, step);
                }
            };
            loop {
                match registry.read_reporting(&scope, &progress).await {
                    Ok(state) => return Ok(state),
                    Err(RegistryError {
                        kind: ErrorKind::UnsupportedSetting(kind),
                        message,
                        ..
                    }) if scope.registry.leave_out(kind) => {
                        // The error's hint is advice for plans; the fact is the message.
                        context
                            .output
                            .warn(&format_args!("registry {id}: {message}; left out"));
                    }
                    Err(error) => return Err(read_error(id, &error)),
                }
            }
        });
        let live: anyhow::Result<Vec<RegistryState>> = join_all(reads).await.into_iter().collect();
        // The bars are cleared before the summary line is printed.
        drop(read_bars);
        stopwatch.report(context, &read_work(registries.len()));
        live
    })
}

/// The scopes that planning `desired` needs.
pub fn scopes_for(desired: &DesiredState) -> BTreeMap<RegistryId, ReadScope> {
    desired
        .registries
        .iter()
        .map(|registry| (registry.state.id(), ReadScope::for_desired(registry)))
        .collect()
}

pub fn targets_for(desired: &DesiredState) -> Vec<RegistryTarget> {
    desired
        .registries
        .iter()
        .map(RegistryTarget::for_desired)
        .collect()
}

/// One sentence a user can act on.
fn read_error(id: &RegistryId, error: &RegistryError) -> anyhow::Error {
    let hint = match error.kind {
        ErrorKind::Unreachable if error.code == "Timeout" => {
            "; the endpoint took the request and did not answer in time: check it, or raise \
             --attempt-timeout / --operation-timeout"
        }
        ErrorKind::Unreachable => "; check --endpoint-url / AWS_ENDPOINT_URL and the network",
        ErrorKind::Credentials => {
            "; check AWS_PROFILE, the credentials of the default chain and the registry's role_arn"
        }
        ErrorKind::AccessDenied => "; the credentials lack ECR read permissions",
        _ => "",
    };
    anyhow::anyhow!("cannot read registry {id}: {error}{hint}")
}
