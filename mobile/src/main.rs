//! Launches the Fieldkit window at phone size. Everything else is in the library.

use dioxus::desktop::{Config, LogicalSize, WindowBuilder};

/// A common phone viewport; the layout also works down to 320 px wide.
const PHONE_SIZE: LogicalSize<f64> = LogicalSize::new(390.0, 844.0);

fn main() {
    // Troubleshooting on stderr; RUST_LOG overrides. The code logs ids,
    // counts and reasons, never answers or identities.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,fieldkit_mobile=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let window = WindowBuilder::new()
        .with_title("Fieldkit")
        // Set every time: debug builds otherwise restore a remembered size.
        .with_inner_size(PHONE_SIZE)
        .with_min_inner_size(LogicalSize::new(320.0, 480.0));
    let head = format!(
        "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>{}</style>",
        fieldkit_mobile::ui::STYLESHEET
    );
    let config = Config::new()
        .with_menu(None)
        .with_window(window)
        .with_custom_head(head)
        .with_background_color((255, 255, 255, 255));
    dioxus::LaunchBuilder::desktop()
        .with_cfg(config)
        .launch(fieldkit_mobile::ui::App);
}
