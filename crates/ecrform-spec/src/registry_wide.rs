//! Registry-wide settings: replication, scanning, pull-through cache rules, repository creation
//! templates, account settings, the signing configuration and pull-time update exclusions,
//! checked against ECR's API model (limits, enums, ARN shapes) so that a plan never carries a
//! call ECR would reject.

use std::collections::{BTreeMap, BTreeSet};

use ecrform_model::shown::quoted;
use ecrform_model::{
    AccountSettingName, AccountSettings, AppliedFor, CreationTemplate, PullThroughCacheRule,
    PullTimeUpdateExclusions, ROOT_PREFIX, RegistryId, Replication, ReplicationDestination,
    ReplicationRule, ScanFrequency, ScanRule, ScanType, Scanning, SigningConfiguration,
    SigningRule, UpstreamRegistry,
};

use crate::patterns;
use crate::policies::{PolicyDocument, PolicyKind};
use crate::raw::{
    Field, OrNone, RawCreationTemplate, RawDocument, RawPullThroughCacheRule, RawReplication,
    RawReplicationRule, RawSigningConfiguration, RawSigningRule, Spanned,
};
use crate::report::FileId;
use crate::settings::TEMPLATE_TAG_LIMIT;
use crate::validator::Validator;

const MAX_REPLICATION_RULES: usize = 10;
const MAX_REPLICATION_DESTINATIONS: usize = 25;
const MAX_REPLICATION_FILTERS: usize = 100;
const MAX_SCANNING_RULES: usize = 2;
const MAX_SCANNING_FILTERS: usize = 100;
const MAX_PULL_THROUGH_CACHE_RULES: usize = 50;
const MAX_TEMPLATE_DESCRIPTION_CHARS: usize = 256;

impl Validator<'_> {
    /// `source` is the registry being configured, when its account and region are valid.
    pub(crate) fn replication(
        &mut self,
        file: FileId,
        source: Option<&RegistryId>,
        raw: &RawReplication,
    ) -> Option<Replication> {
        let rules = &raw.rules;
        let mut valid = true;
        if rules.value.len() > MAX_REPLICATION_RULES {
            valid = false;
            self.error(
                file,
                rules.key_at,
                format!(
                    "replication allows at most {MAX_REPLICATION_RULES} rules, found {}",
                    rules.value.len()
                ),
            );
        }
        let mut checked = Vec::with_capacity(rules.value.len());
        let mut unique: BTreeSet<ReplicationDestination> = BTreeSet::new();
        for rule in &rules.value {
            match self.replication_rule(file, source, rule) {
                Some(rule) => {
                    unique.extend(rule.destinations.iter().cloned());
                    checked.push(rule);
                }
                None => valid = false,
            }
        }
        if unique.len() > MAX_REPLICATION_DESTINATIONS {
            valid = false;
            self.error(
                file,
                rules.key_at,
                format!(
                    "replication allows at most {MAX_REPLICATION_DESTINATIONS} unique destinations \
                     across its rules, found {}",
                    unique.len()
                ),
            );
        }
        valid.then_some(Replication { rules: checked })
    }

    fn replication_rule(
        &mut self,
        file: FileId,
        source: Option<&RegistryId>,
        rule: &RawReplicationRule,
    ) -> Option<ReplicationRule> {
        let mut valid = true;
        let mut destinations = Vec::new();
        match &rule.destinations {
            None => valid = false,
            Some(field) if field.value.is_empty() => {
                valid = false;
                self.error(
                    file,
                    field.key_at,
                    "a replication rule needs at least one destination",
                );
            }
            Some(field) => {
                for destination in &field.value {
                    let region = destination
                        .region
                        .as_ref()
                        .and_then(|region| self.region(file, region));
                    let account = match &destination.account {
                        Some(account) => self.account_id(file, account),
                        None => source.map(|source| source.account.clone()),
                    };
                    let (Some(region), Some(account)) = (region, account) else {
                        valid = false;
                        continue;
                    };
                    let checked = ReplicationDestination { region, account };
                    let shown = format!("{}/{}", checked.account, checked.region);
                    if source.is_some_and(|source| {
                        source.account == checked.account && source.region == checked.region
                    }) {
                        valid = false;
                        self.error(
                            file,
                            destination.at,
                            format!(
                                "destination {shown} is this registry itself; replicate to another \
                                 region or account"
                            ),
                        );
                    } else if destinations.contains(&checked) {
                        valid = false;
                        self.error(
                            file,
                            destination.at,
                            format!("destination {shown} is listed twice in this rule"),
                        );
                    } else {
                        destinations.push(checked);
                    }
                }
            }
        }
        let mut repository_filters = Vec::new();
        if let Some(filters) = &rule.repository_filters {
            if filters.value.len() > MAX_REPLICATION_FILTERS {
                valid = false;
                self.error(
                    file,
                    filters.key_at,
                    format!(
                        "a replication rule allows at most {MAX_REPLICATION_FILTERS} repository filters, found {}",
                        filters.value.len()
                    ),
                );
            }
            for filter in &filters.value {
                if patterns::is_replication_filter(&filter.value) {
                    repository_filters.push(filter.value.clone());
                } else {
                    valid = false;
                    self.error(
                        file,
                        filter.at,
                        format!(
                            "repository filter {} must be a repository name prefix: 2 to 256 \
                             lowercase letters, digits, '.', '_', '-' and '/'",
                            quoted(&filter.value)
                        ),
                    );
                }
            }
        }
        valid.then_some(ReplicationRule {
            destinations,
            repository_filters,
        })
    }

    pub(crate) fn scanning(
        &mut self,
        file: FileId,
        raw: &crate::raw::RawScanning,
    ) -> Option<Scanning> {
        let scan_type = raw
            .kind
            .as_ref()
            .and_then(|kind| self.one_of(file, kind, "scanning type", &ScanType::names()))
            .and_then(ScanType::parse);
        let mut valid = scan_type.is_some();
        let mut rules = Vec::new();
        if let Some(field) = &raw.rules {
            if field.value.len() > MAX_SCANNING_RULES {
                valid = false;
                self.error(
                    file,
                    field.key_at,
                    format!(
                        "registry scanning allows at most {MAX_SCANNING_RULES} rules, found {}",
                        field.value.len()
                    ),
                );
            }
            for rule in &field.value {
                let frequency = rule
                    .frequency
                    .as_ref()
                    .and_then(|frequency| self.scan_frequency(file, frequency, scan_type));
                let filters = rule
                    .filters
                    .as_ref()
                    .and_then(|filters| self.scanning_filters(file, filters));
                match (frequency, filters) {
                    (Some(frequency), Some(filters)) => rules.push(ScanRule { frequency, filters }),
                    _ => valid = false,
                }
            }
        }
        let scan_type = scan_type?;
        valid.then_some(Scanning { scan_type, rules })
    }

    fn scan_frequency(
        &mut self,
        file: FileId,
        frequency: &Spanned<String>,
        scan_type: Option<ScanType>,
    ) -> Option<ScanFrequency> {
        let value = self
            .one_of(file, frequency, "scan frequency", &ScanFrequency::names())
            .and_then(ScanFrequency::parse)?;
        let problem = match (value, scan_type) {
            (ScanFrequency::ContinuousScan, Some(ScanType::Basic)) => Some(
                "CONTINUOUS_SCAN needs scanning type ENHANCED; BASIC scanning supports SCAN_ON_PUSH and MANUAL",
            ),
            (ScanFrequency::Manual, Some(ScanType::Enhanced)) => Some(
                "MANUAL is not a rule frequency of ENHANCED scanning, which supports SCAN_ON_PUSH and CONTINUOUS_SCAN",
            ),
            _ => None,
        };
        match problem {
            Some(problem) => {
                self.error(file, frequency.at, problem);
                None
            }
            None => Some(value),
        }
    }

    fn scanning_filters(
        &mut self,
        file: FileId,
        filters: &Field<Vec<Spanned<String>>>,
    ) -> Option<Vec<String>> {
        let mut valid = true;
        if filters.value.is_empty() {
            self.error(
                file,
                filters.key_at,
                "a scanning rule needs at least one filter (\"*\" for every repository)",
            );
            return None;
        }
        if filters.value.len() > MAX_SCANNING_FILTERS {
            valid = false;
            self.error(
                file,
                filters.key_at,
                format!(
                    "a scanning rule allows at most {MAX_SCANNING_FILTERS} filters, found {}",
                    filters.value.len()
                ),
            );
        }
        for filter in &filters.value {
            if !patterns::is_scanning_filter(&filter.value) {
                valid = false;
                self.error(
                    file,
                    filter.at,
                    format!(
                        "scanning filter {} must be lowercase letters, digits and '*', with single \
                         '.', '_', '-' or '/' between them",
                        quoted(&filter.value)
                    ),
                );
            }
        }
        valid.then(|| {
            filters
                .value
                .iter()
                .map(|filter| filter.value.clone())
                .collect()
        })
    }

    pub(crate) fn pull_through_cache(
        &mut self,
        file: FileId,
        field: &Field<OrNone<Vec<RawPullThroughCacheRule>>>,
        rules: &[RawPullThroughCacheRule],
    ) -> Option<BTreeMap<String, PullThroughCacheRule>> {
        let mut valid = true;
        if rules.len() > MAX_PULL_THROUGH_CACHE_RULES {
            valid = false;
            self.error(
                file,
                field.key_at,
                format!(
                    "a registry allows at most {MAX_PULL_THROUGH_CACHE_RULES} pull-through cache rules, found {}",
                    rules.len()
                ),
            );
        }
        let mut checked = BTreeMap::new();
        for rule in rules {
            match self.pull_through_cache_rule(file, rule) {
                Some(value) => {
                    checked.insert(rule.prefix.value.clone(), value);
                }
                None => valid = false,
            }
        }
        valid.then_some(checked)
    }

    fn pull_through_cache_rule(
        &mut self,
        file: FileId,
        raw: &RawPullThroughCacheRule,
    ) -> Option<PullThroughCacheRule> {
        let mut valid = true;
        if !is_cache_prefix(&raw.prefix.value) {
            valid = false;
            self.error(
                file,
                raw.prefix.at,
                format!(
                    "pull-through cache prefix {} must be ROOT or 2 to 30 lowercase letters and \
                     digits with single '.', '_', '-' or '/' between them",
                    quoted(&raw.prefix.value)
                ),
            );
        }
        let upstream_url = raw.upstream_url.as_ref().map(|url| url.value.clone());
        if let Some(url) = &raw.upstream_url
            && url.value.trim().is_empty()
        {
            valid = false;
            self.error(file, url.at, "upstream_url must not be empty");
        }
        let upstream_registry = match &raw.upstream_registry {
            Some(upstream) => {
                match self.one_of(
                    file,
                    upstream,
                    "upstream_registry",
                    &UpstreamRegistry::names(),
                ) {
                    Some(value) => Some(value.to_owned()),
                    None => {
                        valid = false;
                        None
                    }
                }
            }
            None => None,
        };
        if let Some(credential) = &raw.credential_arn {
            if let Some(problem) = patterns::credential_arn_problem(&credential.value) {
                valid = false;
                self.error(
                    file,
                    credential.at,
                    format!("credential_arn {} {problem}", quoted(&credential.value)),
                );
            }
        } else if let Some(upstream) = upstream_registry
            .as_deref()
            .filter(|u| UpstreamRegistry::parse(u).is_some_and(UpstreamRegistry::needs_credentials))
        {
            valid = false;
            self.error(
                file,
                raw.prefix.at,
                format!(
                    "pull-through cache rule {} needs credential_arn: ECR caches from {upstream} only \
                     with credentials",
                    quoted(&raw.prefix.value)
                ),
            );
        }
        if let Some(role) = &raw.custom_role_arn {
            valid &= self.role_arn(file, role, "custom_role_arn");
        }
        if let Some(prefix) = &raw.upstream_repository_prefix
            && !is_cache_prefix(&prefix.value)
        {
            valid = false;
            self.error(
                file,
                prefix.at,
                format!(
                    "upstream_repository_prefix {} must be ROOT or 2 to 30 lowercase letters and \
                         digits with single '.', '_', '-' or '/' between them",
                    quoted(&prefix.value)
                ),
            );
        }
        let upstream_url = upstream_url?;
        valid.then(|| PullThroughCacheRule {
            upstream_url,
            upstream_registry,
            credential_arn: raw.credential_arn.as_ref().map(|arn| arn.value.clone()),
            custom_role_arn: raw.custom_role_arn.as_ref().map(|arn| arn.value.clone()),
            upstream_repository_prefix: raw
                .upstream_repository_prefix
                .as_ref()
                .map(|p| p.value.clone()),
        })
    }

    fn role_arn(&mut self, file: FileId, role: &Spanned<String>, key: &str) -> bool {
        let valid = patterns::is_iam_role_arn(&role.value);
        if !valid {
            self.error(
                file,
                role.at,
                format!(
                    "{key} {} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                    quoted(&role.value)
                ),
            );
        }
        valid
    }

    pub(crate) fn creation_templates(
        &mut self,
        file: FileId,
        templates: &[RawCreationTemplate],
    ) -> Option<BTreeMap<String, CreationTemplate>> {
        let mut valid = true;
        let mut checked = BTreeMap::new();
        for template in templates {
            match self.creation_template(file, template) {
                Some(value) => {
                    checked.insert(template.prefix.value.clone(), value);
                }
                None => valid = false,
            }
        }
        valid.then_some(checked)
    }

    fn creation_template(
        &mut self,
        file: FileId,
        raw: &RawCreationTemplate,
    ) -> Option<CreationTemplate> {
        let mut valid = true;
        let prefix = &raw.prefix;
        if prefix.value != ROOT_PREFIX
            && !(prefix.value.len() <= 256 && patterns::is_name_prefix(&prefix.value))
        {
            valid = false;
            self.error(
                file,
                prefix.at,
                format!(
                    "creation template prefix {} must be ROOT or a repository name prefix (lowercase \
                     letters and digits with single '.', '_', '-' or '/' between them)",
                    quoted(&prefix.value)
                ),
            );
        }
        let applied_for = match &raw.applied_for {
            Some(field) => self.applied_for(file, field),
            None => None,
        };
        valid &= applied_for.is_some();
        if let Some(description) = &raw.description {
            let length = description.value.chars().count();
            if length > MAX_TEMPLATE_DESCRIPTION_CHARS {
                valid = false;
                self.error(
                    file,
                    description.at,
                    format!(
                        "description is {length} characters long; at most {MAX_TEMPLATE_DESCRIPTION_CHARS} are allowed"
                    ),
                );
            }
        }
        let mode = raw
            .image_tag_mutability
            .as_ref()
            .map(|mode| (mode.at, self.tag_mutability(file, mode)));
        let exclusions = raw
            .image_tag_mutability_exclusions
            .as_ref()
            .map(|field| (field.key_at, self.exclusions(file, field)));
        valid &= mode.as_ref().is_none_or(|(_, mode)| mode.is_some());
        valid &= exclusions
            .as_ref()
            .is_none_or(|(_, filters)| filters.is_some());
        match (&mode, &exclusions) {
            (Some((at, Some(mode))), None) if mode.takes_exclusions() => {
                valid = false;
                self.error(
                    file,
                    *at,
                    format!("image_tag_mutability {mode} needs image_tag_mutability_exclusions (1 to 5 tag filters)"),
                );
            }
            (Some((_, Some(mode))), Some((at, Some(_)))) if !mode.takes_exclusions() => {
                valid = false;
                self.error(
                    file,
                    *at,
                    format!(
                        "image_tag_mutability_exclusions only applies when image_tag_mutability ends in \
                         _WITH_EXCLUSION, and here it is {mode}"
                    ),
                );
            }
            (None, Some((at, Some(_)))) => {
                valid = false;
                self.error(
                    file,
                    *at,
                    "image_tag_mutability_exclusions needs image_tag_mutability (ending in _WITH_EXCLUSION) \
                     next to it",
                );
            }
            _ => {}
        }
        let encryption = match &raw.encryption {
            Some(field) => {
                let encryption = self.encryption(file, &field.value, true);
                valid &= encryption.is_some();
                encryption
            }
            None => None,
        };
        let resource_tags = match &raw.resource_tags {
            Some(field) => {
                let tags = self.tags(file, field, TEMPLATE_TAG_LIMIT);
                valid &= tags.is_some();
                tags.unwrap_or_default()
            }
            None => Default::default(),
        };
        let lifecycle_policy = self.template_document(
            file,
            raw.lifecycle.as_ref(),
            PolicyKind::Lifecycle,
            &mut valid,
        );
        let repository_policy = self.template_document(
            file,
            raw.policy.as_ref(),
            PolicyKind::Repository,
            &mut valid,
        );
        if let Some(role) = &raw.custom_role_arn {
            valid &= self.role_arn(file, role, "custom_role_arn");
        } else {
            let uses_kms = encryption
                .as_ref()
                .is_some_and(|encryption| encryption.kind.uses_kms());
            let needs = match (!resource_tags.is_empty(), uses_kms) {
                (true, true) => Some("resource_tags and KMS encryption"),
                (true, false) => Some("resource_tags"),
                (false, true) => Some("KMS encryption"),
                (false, false) => None,
            };
            if let Some(needs) = needs {
                valid = false;
                self.error(
                    file,
                    prefix.at,
                    format!(
                        "creation template {} sets {needs}, so it needs custom_role_arn (the role ECR \
                         assumes to create such repositories)",
                        quoted(&prefix.value)
                    ),
                );
            }
        }
        let applied_for = applied_for?;
        valid.then(|| CreationTemplate {
            applied_for,
            description: raw
                .description
                .as_ref()
                .map(|description| description.value.clone()),
            image_tag_mutability: mode.and_then(|(_, mode)| mode),
            image_tag_mutability_exclusions: exclusions
                .and_then(|(_, filters)| filters)
                .unwrap_or_default(),
            encryption,
            resource_tags,
            lifecycle_policy,
            repository_policy,
            custom_role_arn: raw.custom_role_arn.as_ref().map(|role| role.value.clone()),
        })
    }

    fn applied_for(
        &mut self,
        file: FileId,
        field: &Field<Vec<Spanned<String>>>,
    ) -> Option<Vec<AppliedFor>> {
        if field.value.is_empty() {
            self.error(
                file,
                field.at,
                format!(
                    "applied_for needs at least one of {}",
                    AppliedFor::names().join(", ")
                ),
            );
            return None;
        }
        let mut valid = true;
        let mut values: Vec<AppliedFor> = Vec::new();
        for item in &field.value {
            let applied_for = self
                .one_of(file, item, "applied_for value", &AppliedFor::names())
                .and_then(AppliedFor::parse);
            match applied_for {
                Some(value) if values.contains(&value) => {
                    valid = false;
                    self.error(
                        file,
                        item.at,
                        format!("{value} is listed twice in applied_for"),
                    );
                }
                Some(value) => values.push(value),
                None => valid = false,
            }
        }
        valid.then_some(values)
    }

    /// A template's lifecycle or repository policy; `none` is the same as leaving it out,
    /// because a template is always written whole.
    fn template_document<D: PolicyDocument>(
        &mut self,
        file: FileId,
        field: Option<&Field<OrNone<RawDocument>>>,
        kind: PolicyKind,
        valid: &mut bool,
    ) -> Option<D> {
        let OrNone::Some(document) = &field?.value else {
            return None;
        };
        let checked = self.library.resolve(kind, document, file, self.report);
        *valid &= checked.is_some();
        checked
    }

    pub(crate) fn account_settings(
        &mut self,
        file: FileId,
        settings: &[(Spanned<String>, Spanned<String>)],
    ) -> Option<AccountSettings> {
        let mut valid = true;
        let mut checked = AccountSettings::new();
        for (name, value) in settings {
            // The raw layer has reported names that are not settings.
            let Some(setting) = AccountSettingName::parse(&name.value) else {
                continue;
            };
            let allowed = setting.allowed_values();
            match self.one_of(file, value, &format!("{} value", name.value), allowed) {
                Some(value) => {
                    checked.insert(setting, value.to_owned());
                }
                None => valid = false,
            }
        }
        valid.then_some(checked)
    }

    /// The signing configuration: at most 10 rules, each with a Signer profile ARN and 1 to
    /// 100 WILDCARD_MATCH filters (left out: every repository).
    pub(crate) fn signing_configuration(
        &mut self,
        file: FileId,
        raw: &RawSigningConfiguration,
    ) -> Option<SigningConfiguration> {
        let rules = &raw.rules;
        let mut valid = true;
        if rules.value.len() > SigningConfiguration::MAX_RULES {
            valid = false;
            self.error(
                file,
                rules.key_at,
                format!(
                    "a signing configuration allows at most {} rules, found {}",
                    SigningConfiguration::MAX_RULES,
                    rules.value.len()
                ),
            );
        }
        let mut checked = Vec::with_capacity(rules.value.len());
        for rule in &rules.value {
            match self.signing_rule(file, rule) {
                Some(rule) => checked.push(rule),
                None => valid = false,
            }
        }
        valid.then_some(SigningConfiguration { rules: checked })
    }

    fn signing_rule(&mut self, file: FileId, raw: &RawSigningRule) -> Option<SigningRule> {
        let mut valid = true;
        // The raw layer has reported a missing profile.
        let profile = raw.signing_profile_arn.as_ref();
        if let Some(profile) = profile {
            let length = profile.value.chars().count();
            if !patterns::is_signing_profile_arn(&profile.value) {
                valid = false;
                self.error(
                    file,
                    profile.at,
                    format!(
                        "signing_profile_arn {} must be an AWS Signer signing profile ARN \
                         (arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME, NAME of 2 or more \
                         letters, digits and '_')",
                        quoted(&profile.value)
                    ),
                );
            } else if length > SigningRule::PROFILE_ARN_MAX_CHARS {
                valid = false;
                self.error(
                    file,
                    profile.at,
                    format!(
                        "signing_profile_arn is {length} characters long; at most {} are allowed",
                        SigningRule::PROFILE_ARN_MAX_CHARS
                    ),
                );
            }
        }
        let mut repository_filters = Vec::new();
        if let Some(filters) = &raw.repository_filters {
            if filters.value.is_empty() {
                valid = false;
                self.error(
                    file,
                    filters.at,
                    "repository_filters needs at least one filter; leave it out to sign the \
                     images of every repository",
                );
            }
            if filters.value.len() > SigningRule::MAX_FILTERS {
                valid = false;
                self.error(
                    file,
                    filters.key_at,
                    format!(
                        "a signing rule allows at most {} repository filters, found {}",
                        SigningRule::MAX_FILTERS,
                        filters.value.len()
                    ),
                );
            }
            for filter in &filters.value {
                let length = filter.value.chars().count();
                if !patterns::is_signing_filter(&filter.value) {
                    valid = false;
                    self.error(
                        file,
                        filter.at,
                        format!(
                            "repository filter {} must be lowercase letters, digits and '*', \
                             with single '.', '_' or '-' between them and '/' between path \
                             components",
                            quoted(&filter.value)
                        ),
                    );
                } else if !SigningRule::FILTER_CHARS.contains(&length) {
                    valid = false;
                    self.error(
                        file,
                        filter.at,
                        format!(
                            "repository filter is {length} characters long; at most {} are \
                             allowed",
                            SigningRule::FILTER_CHARS.end()
                        ),
                    );
                } else {
                    repository_filters.push(filter.value.clone());
                }
            }
        }
        let profile = profile?;
        valid.then(|| SigningRule {
            signing_profile_arn: profile.value.clone(),
            repository_filters,
        })
    }

    /// The exact set of principals excluded from pull-time updates: IAM role or user ARNs,
    /// each once, at most 100.
    pub(crate) fn pull_time_update_exclusions(
        &mut self,
        file: FileId,
        field: &Field<OrNone<Vec<Spanned<String>>>>,
        principals: &[Spanned<String>],
    ) -> Option<PullTimeUpdateExclusions> {
        let mut valid = true;
        if principals.len() > PullTimeUpdateExclusions::MAX {
            valid = false;
            self.error(
                file,
                field.key_at,
                format!(
                    "a registry allows at most {} pull-time update exclusions, found {}",
                    PullTimeUpdateExclusions::MAX,
                    principals.len()
                ),
            );
        }
        let mut checked = PullTimeUpdateExclusions::new();
        for principal in principals {
            let length = principal.value.chars().count();
            if !patterns::is_principal_arn(&principal.value) {
                valid = false;
                self.error(
                    file,
                    principal.at,
                    format!(
                        "pull-time update exclusion {} must be an IAM role or user ARN \
                         (arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)",
                        quoted(&principal.value)
                    ),
                );
            } else if length > PullTimeUpdateExclusions::PRINCIPAL_ARN_MAX_CHARS {
                valid = false;
                self.error(
                    file,
                    principal.at,
                    format!(
                        "pull-time update exclusion is {length} characters long; at most {} are \
                         allowed",
                        PullTimeUpdateExclusions::PRINCIPAL_ARN_MAX_CHARS
                    ),
                );
            } else if !checked.insert(principal.value.clone()) {
                valid = false;
                self.error(
                    file,
                    principal.at,
                    format!(
                        "{} is listed twice in pull_time_update_exclusions",
                        quoted(&principal.value)
                    ),
                );
            }
        }
        valid.then_some(checked)
    }
}

/// A pull-through cache prefix: `ROOT`, or 2 to 30 characters of the repository-name alphabet.
fn is_cache_prefix(raw: &str) -> bool {
    raw == ROOT_PREFIX || ((2..=30).contains(&raw.len()) && patterns::is_name_prefix(raw))
}

#[cfg(test)]
mod tests;
