//! Planning: a pure function from desired and live state to a [`Plan`], the value that
//! rendering, saving and applying all consume. Nothing here knows about AWS.

pub mod apply;
mod calls;
mod diff;
mod plan;
mod port;
pub mod preview;
mod saved;

pub use apply::{ApplyOptions, ApplyReport, ChangeOutcome, ChangeResult};
pub use calls::{ApiCall, TemplateChanges};
pub use diff::{field, plan};
pub use plan::{Action, Change, FORMAT_VERSION, ImagePreview, Plan, Summary};
pub use port::{Aspects, ErrorKind, Missing, ReadScope, Registry, RegistryAspects, RegistryError};
pub use saved::{SAVED_PLAN_VERSION, SavedPlan, SavedPlanError, SavedRegistry, hash_files};
