//! The two languages of the product. zh-CN is the default wherever the user said nothing.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The language's name in itself, as a language switcher shows it.
    pub fn own_name(self) -> &'static str {
        match self {
            Locale::ZhCn => "中文",
            Locale::En => "English",
        }
    }

    /// Of a text kept in both languages, the one in this language.
    pub fn pick<'a, T: ?Sized>(self, zh: &'a T, en: &'a T) -> &'a T {
        match self {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }

    /// Parses a language tag we offer: `zh`, `zh-CN`, `zh-Hans…` → zh-CN; `en`, `en-US`… → en.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks a language from an `Accept-Language` header: the offered language with the
    /// highest quality wins; ties keep the header's order; nothing usable gives `None`.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(Locale, f32)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(locale) = Locale::from_tag(tag)
                && best.is_none_or(|(_, bq)| q > bq)
            {
                best = Some((locale, q));
            }
        }
        best.map(|(l, _)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_highest_quality_offered_language() {
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Some(Locale::En));
        assert_eq!(
            Locale::negotiate("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(
            Locale::negotiate("fr-FR,en;q=0.5,zh;q=0.7"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::negotiate("de, en;q=0"), None);
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("zh-Hans-CN"), Some(Locale::ZhCn));
    }
}
