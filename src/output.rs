//! Printing plans in the format `--format` asks for, so every command renders the same way.
//! How to print (colour, verbosity) is decided once, in [`crate::context::Output`].

use crate::cli::Format;
use crate::context::Output;

/// A plan in the format `--format` asks for (Markdown in full; `plan` sizes its comment).
pub fn render_plan(output: &Output, plan: &ecrform_plan::Plan) -> String {
    match output.format {
        Format::Text => ecrform_render::render_text(
            plan,
            &ecrform_render::TextOptions {
                color: output.color,
            },
        ),
        Format::Markdown => ecrform_render::render_markdown(plan),
        Format::Json => ecrform_render::render_json(plan),
    }
}
