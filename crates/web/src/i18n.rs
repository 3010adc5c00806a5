//! Message catalogs: every string of the UI and every error message comes from
//! `locales/zh-CN.toml` or `locales/en.toml` (embedded). Keys are dotted paths of the TOML
//! tables. A test checks that both catalogs hold the same keys and that every key the
//! templates use exists.

use aftersales_domain::{FieldError, Locale};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub type Catalog = BTreeMap<String, String>;

const ZH_CN: &str = include_str!("../locales/zh-CN.toml");
const EN: &str = include_str!("../locales/en.toml");

fn flatten(prefix: &str, v: &toml::Value, out: &mut Catalog) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

pub fn parse_catalog(src: &str) -> Result<Catalog, toml::de::Error> {
    let v: toml::Value = toml::from_str(src)?;
    let mut out = Catalog::new();
    flatten("", &v, &mut out);
    Ok(out)
}

fn catalogs() -> &'static (Catalog, Catalog) {
    static C: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    C.get_or_init(|| {
        // The catalogs are part of the binary and checked by tests; a broken one is a build bug.
        let zh = parse_catalog(ZH_CN).unwrap_or_default();
        let en = parse_catalog(EN).unwrap_or_default();
        (zh, en)
    })
}

pub fn catalog(l: Locale) -> &'static Catalog {
    match l {
        Locale::ZhCn => &catalogs().0,
        Locale::En => &catalogs().1,
    }
}

/// A message's text before and after its placeholder ([`Tr::around`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Around {
    pub before: String,
    pub after: String,
}

/// A translator for one language.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Self {
        Self { locale }
    }

    /// The message for `key`, or the key itself when missing (visible, never a crash).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        match catalog(self.locale).get(key) {
            Some(s) => s.as_str(),
            None => {
                tracing::warn!(key, locale = self.locale.as_str(), "missing message");
                key
            }
        }
    }

    /// The message for `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t_dyn(key);
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }

    /// The message for `key` split around its `{placeholder}`, so that a page can show the
    /// value between the halves marked as data (`translate="no"`): "修改客户档案：" + name.
    pub fn around(&self, key: &str, placeholder: &str) -> Around {
        let s = self.t_dyn(key);
        match s.split_once(&format!("{{{placeholder}}}")) {
            Some((before, after)) => Around {
                before: before.to_owned(),
                after: after.to_owned(),
            },
            None => Around {
                before: s,
                after: String::new(),
            },
        }
    }

    /// The sentence for a field error, e.g. "至少 8 个字符".
    pub fn field_error(&self, e: &FieldError) -> String {
        let params: Vec<(&str, String)> =
            e.params.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let args: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let key = format!("field.{}", e.code);
        if catalog(self.locale).contains_key(&key) {
            self.f(&key, &args)
        } else {
            // Codes of imports live in their own section.
            self.f(&format!("io.field_error.{}", e.code), &args)
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// The sentence for an error code; unknown codes fall back to a generic sentence.
    pub fn t_error(&self, code: &str) -> String {
        // Imports and exports keep their sentences in their own section (`io.error.*`).
        for key in [format!("error.{code}"), format!("io.error.{code}")] {
            let s = self.t_dyn(&key);
            if s != key {
                return s;
            }
        }
        self.t_dyn("error.generic")
    }

    /// The message for a key made at run time, or the key itself when missing.
    pub fn t_dyn(&self, key: &str) -> String {
        catalog(self.locale)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_parse_and_hold_the_same_keys() {
        let zh = parse_catalog(ZH_CN).expect("zh-CN catalog parses");
        let en = parse_catalog(EN).expect("en catalog parses");
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "only in zh-CN: {only_zh:?}; only in en: {only_en:?}"
        );
        assert!(zh.len() > 50, "catalog suspiciously small: {}", zh.len());
        for (k, v) in &zh {
            assert!(!v.trim().is_empty(), "empty zh-CN message {k}");
            assert!(!en[k].trim().is_empty(), "empty en message {k}");
        }
    }

    /// Every key passed as a literal to the translator in the templates and the Rust sources exists in the catalogs.
    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let zh = parse_catalog(ZH_CN).expect("zh-CN catalog parses");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // Every file under templates/ and src/, at any depth (areas are folders).
        let mut files = Vec::new();
        let mut dirs = vec![root.join("templates"), root.join("src")];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        let mut missing = Vec::new();
        let mut seen = 0;
        for p in files {
            let text = std::fs::read_to_string(&p).expect("read");
            let calls = text.match_indices(".t(\"").map(|(i, _)| i + 4);
            let dyn_calls = text.match_indices(".t_dyn(\"").map(|(i, _)| i + 8);
            for start in calls.chain(dyn_calls) {
                let rest = &text[start..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                if key.contains('{') || key.ends_with('.') || key.is_empty() {
                    continue; // a prefix completed at run time, checked elsewhere
                }
                seen += 1;
                if !zh.contains_key(key) {
                    missing.push(format!("{}: {key}", p.display()));
                }
            }
        }
        assert!(seen > 30, "found only {seen} keys; is the scan broken?");
        assert!(
            missing.is_empty(),
            "keys missing from the catalogs: {missing:#?}"
        );
    }
}
