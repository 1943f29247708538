//! Planning: a pure function from desired and live state to a [`Plan`], the value that
//! rendering, saving and applying all consume, and what is decided from it alone (the calls
//! of each change, the gates apply must pass, [`Plan::refusals`]). Nothing here knows about
//! AWS or does I/O, and nothing is async: the executor that runs a plan over the
//! [`Registry`] port is `ecrform-apply`.

pub mod access;
mod calls;
mod diff;
pub mod drift;
mod plan;
mod port;
pub mod preview;
mod saved;
mod verify;

pub use calls::{ApiCall, TemplateChanges};
pub use diff::{field, plan};
pub use plan::{
    Action, Allowed, Change, FORMAT_VERSION, HeldImages, ImagePreview, OwnedElsewhere, Plan,
    Refusal, Summary, human_bytes,
};
pub use port::{
    Aspects, ErrorKind, Missing, ReadScope, Registry, RegistryAspects, RegistryError,
    desired_kms_keys,
};
pub use saved::{
    SAVED_PLAN_VERSION, SavedPlan, SavedPlanError, SavedRegistry, SavedSpec, SignatureCheck,
    check_signature, spec_fingerprint,
};
