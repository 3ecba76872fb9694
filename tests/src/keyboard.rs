//! The desk's keyboard, measured: a five-line phone order for a known customer, typed
//! with no mouse from wherever the app is, counting every key a person presses (a chord
//! such as Ctrl+Enter counts as two). Used by a browser test (which holds the aim) and by
//! `cargo xtask bench` (which reports the count).

use crate::webdriver::{Browser, CONTROL, ENTER};

/// F2 in WebDriver's key codes.
pub const F2: &str = "\u{E032}";

/// The five products, each found by four characters of its model, with a two-digit
/// quantity; the third line's price is changed.
pub const LINES: [(&str, &str, Option<&str>); 5] = [
    ("8801", "12", None),
    ("6602", "20", None),
    ("1203", "50", Some("17")),
    ("3105", "30", None),
    ("7008", "10", None),
];

/// A running count of the keys pressed.
pub struct Keys<'a> {
    b: &'a Browser,
    pub pressed: usize,
}

impl<'a> Keys<'a> {
    pub fn new(b: &'a Browser) -> Keys<'a> {
        Keys { b, pressed: 0 }
    }

    /// Types `text`, one key per character.
    pub async fn type_text(&mut self, text: &str) {
        self.pressed += text.chars().count();
        self.b.keys(text).await;
    }

    pub async fn enter(&mut self) {
        self.type_text(ENTER).await;
    }

    /// Ctrl held with `key`: two keys.
    pub async fn ctrl(&mut self, key: &str) {
        self.pressed += 2;
        self.b.keys(&format!("{CONTROL}{key}{CONTROL}")).await;
    }
}

/// Takes the order; returns the keys pressed and the saved order's number. The browser
/// must be logged in as a branch clerk (customer 美居, found by `mj`).
pub async fn five_line_order(b: &Browser) -> (usize, String) {
    let mut k = Keys::new(b);
    k.type_text(F2).await;
    b.wait_until(
        "the customer box to have focus",
        "document.activeElement && document.activeElement.id === 'f-customer_name'",
        10,
    )
    .await;
    k.type_text("mj").await;
    b.wait_for(".suggestions li", 5).await;
    k.enter().await;
    // Picking a known customer lands on what it cannot fill: the delivery date. None today.
    k.enter().await;
    for (n, (model, quantity, price)) in LINES.iter().enumerate() {
        let model_box = format!("f-lines-{n}-model");
        b.wait_until("the next line's model box", &format!("document.activeElement.id === '{model_box}'"), 5).await;
        k.type_text(model).await;
        b.wait_for(&format!("#{model_box}-list li"), 5).await;
        k.enter().await;
        k.type_text(quantity).await;
        k.enter().await;
        if let Some(p) = price {
            k.type_text(p).await;
        }
        k.enter().await;
    }
    k.ctrl(ENTER).await;
    let number = b.wait_for(".order-detail [data-number]", 10).await;
    (k.pressed, b.text(&number).await)
}
