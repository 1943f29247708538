//! Validation: the raw structs of every spec file checked and combined into one
//! [`DesiredState`].
//!
//! Files are combined here. `defaults` may be written once across all files. A registry
//! (account + region) may be listed in several files so that, say, each team keeps its
//! repositories in its own file; each registry-level key (`role_arn`, `prune`, `replication`,
//! ...) may be set in only one of those places, and each repository defined once. A second
//! definition is an error at the second place that names the first.

use std::collections::BTreeMap;

use ecrform_model::shown::quoted;
use ecrform_model::{
    DesiredRegistry, DesiredState, OwnerId, RegistryId, RegistryState, RepositoryName,
};

use crate::patterns;
use crate::policies::PolicyKind;
use crate::raw::{Field, OrNone, RawFile, RawRegistry};
use crate::report::{FileId, Location};
use crate::settings::{BlockKind, SettingsBlock};
use crate::validator::{OnceKeys, Validator};
use ecrform_guardrails::Aspect;

impl Validator<'_> {
    /// Checks every file and combines them.
    pub(crate) fn desired_state(&mut self, files: &[RawFile]) -> DesiredState {
        let defaults = self.defaults(files);
        let owner = self.owner(files);

        let mut entries_by_registry: BTreeMap<RegistryId, Vec<&RawRegistry>> = BTreeMap::new();
        for registry in files.iter().flat_map(|file| &file.registries) {
            match self.registry_id(registry) {
                Some(id) => entries_by_registry.entry(id).or_default().push(registry),
                // Its identity is broken, but everything else in it can still be checked.
                None => {
                    self.registry(None, &[registry], &defaults);
                }
            }
        }
        let registries: Vec<DesiredRegistry> = entries_by_registry
            .into_iter()
            .filter_map(|(id, entries)| self.registry(Some(id), &entries, &defaults))
            .map(|registry| DesiredRegistry {
                owner: owner.clone().unwrap_or_default(),
                ..registry
            })
            .collect();
        if owner.is_none() {
            self.warn_prune_without_owner(files);
        }
        self.cross_account_replication(files, &registries);
        DesiredState { registries }
    }

    /// The spec's owner id, declared once across its files; `None` when none declares it
    /// (the legacy owner).
    fn owner(&mut self, files: &[RawFile]) -> Option<OwnerId> {
        let mut first: Option<(FileId, &Field<String>)> = None;
        let mut owner = None;
        for file in files {
            let Some(declared) = &file.owner else {
                continue;
            };
            if let Some((first_file, first_declared)) = first {
                let other = self
                    .report
                    .describe(Location::new(first_file, first_declared.key_at));
                self.error(
                    file.file,
                    declared.key_at,
                    format!("owner is declared twice; also declared at {other}"),
                );
                continue;
            }
            first = Some((file.file, declared));
            match OwnerId::parse(&declared.value) {
                Ok(id) => owner = Some(id),
                Err(error) => self.error(file.file, declared.at, error.to_string()),
            }
        }
        owner
    }

    /// Without an owner id, every spec that shares a registry and declares none is the same
    /// (legacy) owner, and their prunes delete each other's repositories.
    fn warn_prune_without_owner(&mut self, files: &[RawFile]) {
        for registry in files.iter().flat_map(|file| &file.registries) {
            if let Some(prune) = &registry.prune
                && prune.value.enabled
            {
                self.report.warning(
                    Location::new(registry.file, prune.key_at),
                    "prune without an owner id: specs that share this registry and declare none \
                     are one owner, so each one's prune deletes the repositories the others \
                     created; declare `owner: ID` at the top of the spec",
                );
            }
        }
    }

    /// The one `defaults` block, checked once.
    fn defaults(&mut self, files: &[RawFile]) -> SettingsBlock {
        let mut first: Option<(FileId, &Field<_>)> = None;
        for file in files {
            let Some(defaults) = &file.defaults else {
                continue;
            };
            match first {
                None => first = Some((file.file, defaults)),
                Some((first_file, first_defaults)) => {
                    let other = self
                        .report
                        .describe(Location::new(first_file, first_defaults.key_at));
                    self.error(
                        file.file,
                        defaults.key_at,
                        format!("defaults are defined twice; also defined at {other}"),
                    );
                }
            }
        }
        match first {
            Some((file, defaults)) => {
                self.settings_block(file, &defaults.value, BlockKind::Defaults)
            }
            None => SettingsBlock::default(),
        }
    }

    fn registry_id(&mut self, registry: &RawRegistry) -> Option<RegistryId> {
        let account = registry
            .account
            .as_ref()
            .and_then(|account| self.account_id(registry.file, account));
        let region = registry
            .region
            .as_ref()
            .and_then(|region| self.region(registry.file, region));
        Some(RegistryId::new(account?, region?))
    }

    /// Checks the entries of one registry and combines them; `id` is `None` when the account
    /// or region is invalid, and then nothing is returned.
    fn registry(
        &mut self,
        id: Option<RegistryId>,
        entries: &[&RawRegistry],
        defaults: &SettingsBlock,
    ) -> Option<DesiredRegistry> {
        let registry_name = id.as_ref().map(ToString::to_string);
        let mut state = id.clone().map(RegistryState::empty);
        let mut role_arn = None;
        let mut profile = None;
        let mut prune = false;
        let mut prune_force_delete = false;
        let mut drift = ecrform_model::DriftIgnores::default();
        let mut once = OnceKeys::new(registry_name.clone());

        for entry in entries {
            let file = entry.file;
            if let (Some(name), Some(account)) = (&registry_name, &entry.account) {
                self.report.note_place(
                    name,
                    None,
                    Aspect::Repository,
                    Location::new(file, account.at),
                );
                let registry_wide = [
                    (entry.prune.as_ref().map(|f| f.key_at), Aspect::Prune),
                    (
                        entry.replication.as_ref().map(|f| f.key_at),
                        Aspect::Replication,
                    ),
                    (
                        entry.registry_policy.as_ref().map(|f| f.key_at),
                        Aspect::RegistryPolicy,
                    ),
                    (entry.scanning.as_ref().map(|f| f.key_at), Aspect::Scanning),
                ];
                for (at, aspect) in registry_wide {
                    if let Some(at) = at {
                        self.report
                            .note_place(name, None, aspect, Location::new(file, at));
                    }
                }
            }
            if let Some(field) = &entry.role_arn
                && once.first_time(self, "role_arn", file, field.key_at)
            {
                if patterns::is_iam_role_arn(&field.value) {
                    role_arn = Some(field.value.clone());
                } else {
                    self.error(
                        file,
                        field.at,
                        format!(
                            "role_arn {} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                            quoted(&field.value)
                        ),
                    );
                }
            }
            if let Some(field) = &entry.profile
                && once.first_time(self, "profile", file, field.key_at)
            {
                if field.value.trim().is_empty() {
                    self.error(file, field.at, "profile must not be empty");
                } else {
                    profile = Some(field.value.clone());
                }
            }
            if let Some(field) = &entry.prune
                && once.first_time(self, "prune", file, field.key_at)
            {
                prune = field.value.enabled;
                if let Some(at) = field.value.force_delete {
                    if field.value.enabled {
                        prune_force_delete = true;
                    } else {
                        self.error(
                            file,
                            at,
                            "prune force_delete applies only to a registry that prunes; set \
                             enabled: true or leave force_delete out",
                        );
                    }
                }
            }
            self.registry_wide(id.as_ref(), entry, &mut once, state.as_mut());
            self.drift_rules(entry, &mut drift);
        }

        let enhanced_scanning = state.as_ref().is_some_and(|state| {
            state
                .scanning
                .present()
                .is_some_and(|scanning| scanning.scan_type == ecrform_model::ScanType::Enhanced)
        });
        let repositories = self.repositories(
            registry_name.as_deref(),
            entries,
            defaults,
            enhanced_scanning,
        );
        let mut state = state?;
        state.repositories = repositories;
        self.library.place_in_partition(&mut state);
        Some(DesiredRegistry {
            state,
            role_arn,
            profile,
            prune,
            prune_force_delete,
            owner: OwnerId::legacy(),
            drift,
        })
    }

    /// `ignore_unmanaged` and `drift_ignore` of one entry, added to the registry's rules (a
    /// registry split over files gathers the rules of every entry).
    fn drift_rules(&mut self, entry: &RawRegistry, drift: &mut ecrform_model::DriftIgnores) {
        let file = entry.file;
        for raw in &entry.ignore_unmanaged {
            match ecrform_model::NamePattern::parse(&raw.value) {
                Ok(pattern) => drift.unmanaged.push(pattern),
                Err(problem) => self.error(
                    file,
                    raw.at,
                    format!("ignore_unmanaged {}: {problem}", quoted(&raw.value)),
                ),
            }
        }
        for rule in &entry.drift_ignore {
            let pattern = match ecrform_model::NamePattern::parse(&rule.address.value) {
                Ok(pattern) => pattern,
                Err(problem) => {
                    self.error(
                        file,
                        rule.address.at,
                        format!(
                            "drift_ignore address {}: {problem}",
                            quoted(&rule.address.value)
                        ),
                    );
                    continue;
                }
            };
            let kinds = ecrform_model::drift::address_kinds();
            if let Some(kind) = pattern.literal_kind()
                && !kinds.contains(&kind)
            {
                self.error(
                    file,
                    rule.address.at,
                    format!(
                        "drift_ignore address {} does not start with an address kind (KIND/NAME, \
                         KIND one of {}){}",
                        quoted(&rule.address.value),
                        crate::suggest::comma_separated(&kinds),
                        crate::suggest::did_you_mean(kind, kinds.iter().copied())
                    ),
                );
                continue;
            }
            if rule.reason.value.trim().is_empty() {
                self.error(
                    file,
                    rule.reason.at,
                    "drift_ignore reason must not be empty: say why this drift is accepted",
                );
                continue;
            }
            drift.managed.push(ecrform_model::DriftIgnore {
                pattern,
                reason: rule.reason.value.clone(),
            });
        }
    }

    /// Registry-wide settings of one entry, each at most once per registry.
    fn registry_wide(
        &mut self,
        id: Option<&RegistryId>,
        entry: &RawRegistry,
        once: &mut OnceKeys,
        mut state: Option<&mut RegistryState>,
    ) {
        let file = entry.file;
        if let Some(field) = &entry.replication
            && once.first_time(self, "replication", file, field.key_at)
        {
            let replication = match &field.value {
                OrNone::None => Some(ecrform_model::Setting::Absent),
                OrNone::Some(raw) => self
                    .replication(file, id, raw)
                    .map(ecrform_model::Setting::Present),
            };
            if let (Some(state), Some(replication)) = (state.as_deref_mut(), replication) {
                state.replication = replication;
            }
        }
        if let Some(field) = &entry.registry_policy
            && once.first_time(self, "registry_policy", file, field.key_at)
        {
            let policy = match &field.value {
                OrNone::None => Some(ecrform_model::Setting::Absent),
                OrNone::Some(document) => self
                    .library
                    .resolve(PolicyKind::Registry, document, file, self.report)
                    .map(ecrform_model::Setting::Present),
            };
            if let (Some(state), Some(policy)) = (state.as_deref_mut(), policy) {
                state.registry_policy = policy;
            }
        }
        if let Some(field) = &entry.scanning
            && once.first_time(self, "scanning", file, field.key_at)
        {
            let scanning = match &field.value {
                OrNone::None => {
                    self.error(
                            file,
                            field.at,
                            "scanning cannot be none: every registry has a scanning configuration \
                             (write {type: BASIC, rules: []} for ECR's default); leave the key out to \
                             leave it unmanaged",
                        );
                    None
                }
                OrNone::Some(raw) => self
                    .scanning(file, raw)
                    .map(ecrform_model::Setting::Present),
            };
            if let (Some(state), Some(scanning)) = (state.as_deref_mut(), scanning) {
                state.scanning = scanning;
            }
        }
        if let Some(field) = &entry.pull_through_cache
            && once.first_time(self, "pull_through_cache", file, field.key_at)
        {
            let rules = match &field.value {
                OrNone::None => Some(BTreeMap::new()),
                OrNone::Some(rules) => self.pull_through_cache(file, field, rules),
            };
            if let (Some(state), Some(rules)) = (state.as_deref_mut(), rules) {
                state.pull_through_cache = Some(rules);
            }
        }
        if let Some(field) = &entry.creation_templates
            && once.first_time(self, "creation_templates", file, field.key_at)
        {
            let templates = match &field.value {
                OrNone::None => Some(BTreeMap::new()),
                OrNone::Some(templates) => self.creation_templates(file, templates),
            };
            if let (Some(state), Some(templates)) = (state.as_deref_mut(), templates) {
                state.creation_templates = Some(templates);
            }
        }
        if let Some(field) = &entry.account_settings
            && once.first_time(self, "account_settings", file, field.key_at)
        {
            let settings = match &field.value {
                OrNone::None => {
                    self.error(
                        file,
                        field.at,
                        "account_settings cannot be none: account settings always have a value; \
                             leave the key out to leave them unmanaged",
                    );
                    None
                }
                OrNone::Some(settings) => self.account_settings(file, settings),
            };
            if let (Some(state), Some(settings)) = (state.as_deref_mut(), settings) {
                state.account_settings = Some(settings);
            }
        }
        if let Some(field) = &entry.signing_configuration
            && once.first_time(self, "signing_configuration", file, field.key_at)
        {
            let configuration = match &field.value {
                OrNone::None => Some(ecrform_model::Setting::Absent),
                OrNone::Some(raw) => self
                    .signing_configuration(file, raw)
                    .map(ecrform_model::Setting::Present),
            };
            if let (Some(state), Some(configuration)) = (state.as_deref_mut(), configuration) {
                state.signing_configuration = configuration;
            }
        }
        if let Some(field) = &entry.pull_time_update_exclusions
            && once.first_time(self, "pull_time_update_exclusions", file, field.key_at)
        {
            let exclusions = match &field.value {
                OrNone::None => Some(ecrform_model::PullTimeUpdateExclusions::new()),
                OrNone::Some(principals) => {
                    self.pull_time_update_exclusions(file, field, principals)
                }
            };
            if let (Some(state), Some(exclusions)) = (state, exclusions) {
                state.pull_time_update_exclusions = Some(exclusions);
            }
        }
    }

    /// Every repository of a registry, each defined once, with `defaults` merged in.
    ///
    /// With ENHANCED registry scanning, a repository's `scan_on_push` has no effect: ECR's
    /// registry rules decide. That is a warning, once per place it is written.
    fn repositories(
        &mut self,
        registry: Option<&str>,
        entries: &[&RawRegistry],
        defaults: &SettingsBlock,
        enhanced_scanning: bool,
    ) -> BTreeMap<RepositoryName, ecrform_model::RepositoryState> {
        let registry_name = registry.unwrap_or("(unknown)");
        let ignored = format!(
            "has no effect in registry {registry_name}: its scanning type is ENHANCED, so its \
             scanning rules decide what is scanned"
        );
        if enhanced_scanning && let Some(placed) = &defaults.scan_on_push {
            self.report
                .warning(placed.at, format!("scan_on_push in defaults {ignored}"));
        }
        let mut first_seen: BTreeMap<&str, Location> = BTreeMap::new();
        let mut repositories = BTreeMap::new();
        for entry in entries {
            for repository in &entry.repositories {
                let here = Location::new(entry.file, repository.name.at);
                let name_text = repository.name.value.as_str();
                if let Some(first) = first_seen.get(name_text) {
                    let other = self.report.describe(*first);
                    let of_registry = registry
                        .map(|id| format!(" of registry {id}"))
                        .unwrap_or_default();
                    self.report.error(
                        here,
                        format!("repository {shown_name_text}{of_registry} is defined twice; also defined at {other}", shown_name_text = quoted(name_text)),
                    );
                    continue;
                }
                first_seen.insert(name_text, here);
                let name = RepositoryName::parse_strict(name_text)
                    .map_err(|error| self.report.error(here, error.0))
                    .ok();
                let own =
                    self.settings_block(entry.file, &repository.settings, BlockKind::Repository);
                if let (true, Some(placed)) = (enhanced_scanning, &own.scan_on_push) {
                    self.report
                        .warning(placed.at, format!("scan_on_push {ignored}"));
                }
                let state = self.merge(defaults, &own);
                if let Some(registry) = registry {
                    self.note_repository_places(registry, name_text, here, &own, defaults);
                }
                if let Some(name) = name {
                    if let Some(placed) = own.encryption.as_ref().or(defaults.encryption.as_ref()) {
                        self.report
                            .note_encryption(registry_name, name.as_str(), placed.at);
                    }
                    repositories.insert(name, state);
                }
            }
        }
        repositories
    }
}

impl Validator<'_> {
    /// Where a repository and each of its settings were written: its own key, or the key in
    /// `defaults` the merged value comes from (`tags` merge, and point at the repository's
    /// own when it has them).
    fn note_repository_places(
        &mut self,
        registry: &str,
        repository: &str,
        here: Location,
        own: &SettingsBlock,
        defaults: &SettingsBlock,
    ) {
        let place = |own: Option<Location>, default: Option<Location>| own.or(default);
        let places = [
            (Some(here), Aspect::Repository),
            (
                place(
                    own.image_tag_mutability.as_ref().map(|p| p.at),
                    defaults.image_tag_mutability.as_ref().map(|p| p.at),
                ),
                Aspect::ImageTagMutability,
            ),
            (
                place(
                    own.scan_on_push.as_ref().map(|p| p.at),
                    defaults.scan_on_push.as_ref().map(|p| p.at),
                ),
                Aspect::ScanOnPush,
            ),
            (
                place(
                    own.encryption.as_ref().map(|p| p.at),
                    defaults.encryption.as_ref().map(|p| p.at),
                ),
                Aspect::Encryption,
            ),
            (
                place(
                    own.tags.as_ref().map(|p| p.at),
                    defaults.tags.as_ref().map(|p| p.at),
                ),
                Aspect::Tags,
            ),
            (
                place(own.lifecycle_at, defaults.lifecycle_at),
                Aspect::Lifecycle,
            ),
            (place(own.policy_at, defaults.policy_at), Aspect::Policy),
            (own.force_delete_at, Aspect::ForceDelete),
        ];
        for (location, aspect) in places {
            if let Some(location) = location {
                self.report
                    .note_place(registry, Some(repository), aspect, location);
            }
        }
    }
}

#[cfg(test)]
mod tests;
