//! Planning: a pure function from desired and live state to a [`Plan`], the value that
//! rendering, saving and applying all consume. Nothing here knows about AWS.

mod calls;
mod diff;
mod plan;

pub use calls::ApiCall;
pub use diff::{field, plan};
pub use plan::{Action, Change, FORMAT_VERSION, Plan, Summary};
