use dioxus::desktop::{Config, LogicalSize, WindowBuilder};

fn main() {
    let window = WindowBuilder::new()
        .with_title("Fieldkit")
        .with_inner_size(LogicalSize::new(390.0, 844.0));
    dioxus::LaunchBuilder::desktop()
        .with_cfg(Config::new().with_menu(None).with_window(window))
        .launch(fieldkit_mobile::ui::App);
}
