//! Planning: a pure function from desired and live state to a [`Plan`], the value that
//! rendering, saving and applying all consume. Nothing here knows about AWS.

mod diff;
mod plan;

pub use diff::{field, plan};
pub use plan::{Action, Change, FORMAT_VERSION, Plan, Summary};
