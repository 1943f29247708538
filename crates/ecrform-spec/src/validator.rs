//! The validator: what every check shares (where problems go, where policy documents come
//! from) and the small checks that every part of validation calls, such as a value that must
//! be one of a list, an account id, a region, or a registry-level key that may be set once.
//!
//! It is a module of its own so that validation reads in one direction: `validate` combines
//! the files and calls the per-concept checks (`settings`, `registry_wide`,
//! `replication_access`), and those depend only on this module, never back on `validate`.

use std::collections::BTreeMap;

use ecrform_model::shown::quoted;
use ecrform_model::{AccountId, Region};

use crate::policies::PolicyLibrary;
use crate::raw::Spanned;
use crate::report::{FileId, Location, Report};
use crate::suggest;
use crate::yaml::Pos;

/// The checks' shared state: where problems go and where policy documents come from.
#[derive(Debug)]
pub(crate) struct Validator<'a> {
    pub report: &'a mut Report,
    pub library: &'a mut PolicyLibrary,
}

impl Validator<'_> {
    pub(crate) fn error(&mut self, file: FileId, at: Pos, message: impl Into<String>) {
        self.report.error(Location::new(file, at), message);
    }

    /// `value` if it is one of `allowed` (exactly, as ECR compares), with a suggestion if not.
    pub(crate) fn one_of<'v>(
        &mut self,
        file: FileId,
        value: &'v Spanned<String>,
        what: &str,
        allowed: &[&str],
    ) -> Option<&'v str> {
        if allowed.contains(&value.value.as_str()) {
            return Some(&value.value);
        }
        let hint = suggest::did_you_mean(&value.value, allowed.iter().copied());
        self.error(
            file,
            value.at,
            format!(
                "unknown {what} {}{hint} (expected one of {})",
                quoted(&value.value),
                suggest::comma_separated(allowed)
            ),
        );
        None
    }

    pub(crate) fn account_id(
        &mut self,
        file: FileId,
        account: &Spanned<String>,
    ) -> Option<AccountId> {
        AccountId::parse(&account.value)
            .map_err(|error| self.error(file, account.at, error.0))
            .ok()
    }

    pub(crate) fn region(&mut self, file: FileId, region: &Spanned<String>) -> Option<Region> {
        Region::parse(&region.value)
            .map_err(|error| self.error(file, region.at, error.0))
            .ok()
    }
}

/// Registry-level keys that may be set in only one of a registry's entries.
#[derive(Debug)]
pub(crate) struct OnceKeys {
    registry_name: Option<String>,
    /// Where each key was first set, for the message at a second place.
    first_places: BTreeMap<&'static str, Location>,
}

impl OnceKeys {
    /// `registry_name` names the registry in messages; `None` when its account or region is
    /// invalid.
    pub(crate) fn new(registry_name: Option<String>) -> Self {
        OnceKeys {
            registry_name,
            first_places: BTreeMap::new(),
        }
    }

    /// Whether this is the first place `key` is set; reports the second place otherwise.
    pub(crate) fn first_time(
        &mut self,
        validator: &mut Validator<'_>,
        key: &'static str,
        file: FileId,
        at: Pos,
    ) -> bool {
        let here = Location::new(file, at);
        match self.first_places.get(key) {
            None => {
                self.first_places.insert(key, here);
                true
            }
            Some(first) => {
                let other = validator.report.describe(*first);
                let registry = self.registry_name.as_deref().unwrap_or("(unknown)");
                validator.report.error(
                    here,
                    format!(
                        "registry {registry} sets {shown_key} twice; also defined at {other}",
                        shown_key = quoted(key)
                    ),
                );
                false
            }
        }
    }
}
