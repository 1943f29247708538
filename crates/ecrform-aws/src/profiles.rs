//! Whether a named AWS profile exists. The SDK's default chain quietly moves on to other
//! credentials when the selected profile is missing, so a mistyped `AWS_PROFILE` would act
//! with whatever the environment holds; the AWS CLI refuses instead, and so does ecrform.

use std::path::PathBuf;

use ecrform_plan::{ErrorKind, RegistryError};

/// Refuses a profile named in neither the config nor the credentials file.
pub(crate) fn check_profile_exists(profile: &str) -> Result<(), RegistryError> {
    let files = [(config_file(), true), (credentials_file(), false)];
    let mut looked_in = Vec::new();
    for (path, is_config) in &files {
        let Some(path) = path else { continue };
        looked_in.push(path.display().to_string());
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if section_names(&text, *is_config).any(|name| name == profile) {
            return Ok(());
        }
    }
    // The default profile may be absent: the chain then uses the environment or the instance.
    if profile == "default" {
        return Ok(());
    }
    Err(RegistryError::new(
        ErrorKind::Credentials,
        "ProfileNotFound",
        format!(
            "the config profile {profile:?} could not be found (looked in {})",
            looked_in.join(" and ")
        ),
    ))
}

/// Profile names declared in a file: `[profile NAME]` or `[NAME]` in the config file (the
/// default is `[default]`), `[NAME]` in the credentials file.
fn section_names(text: &str, is_config: bool) -> impl Iterator<Item = &str> {
    text.lines().filter_map(move |line| {
        let inner = line.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
        let name = if is_config {
            inner
                .strip_prefix("profile")
                .map(str::trim_start)
                .filter(|n| !n.is_empty())
                .unwrap_or(inner)
        } else {
            inner
        };
        Some(name.trim())
    })
}

fn config_file() -> Option<PathBuf> {
    file_from_env("AWS_CONFIG_FILE").or_else(|| home().map(|h| h.join(".aws").join("config")))
}

fn credentials_file() -> Option<PathBuf> {
    file_from_env("AWS_SHARED_CREDENTIALS_FILE")
        .or_else(|| home().map(|h| h.join(".aws").join("credentials")))
}

fn file_from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_sections_name_profiles_with_or_without_the_profile_prefix() {
        let config = "[default]\nregion = us-east-1\n[profile build]\n[ profile prod ]\n[sso-session corp]\n";
        let names: Vec<&str> = section_names(config, true).collect();
        assert_eq!(names, ["default", "build", "prod", "sso-session corp"]);
        let credentials = "[default]\naws_access_key_id = x\n[ci]\n";
        let names: Vec<&str> = section_names(credentials, false).collect();
        assert_eq!(names, ["default", "ci"]);
    }
}
