//! How work orders read on the dispatcher's board and the engineer's phone: local times,
//! windows, durations, status and priority names, reasons in the user's language, phone
//! numbers grouped, and map links.

use crate::i18n::Tr;
use aftersales_app::ReasonView;
use aftersales_domain::Locale;
use aftersales_domain::installed_base::Phone;
use aftersales_domain::service::{WaitReason, WoStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The site's time zone (`site_time_zone`; see [`crate::site`]).
pub fn tz() -> TimeZone {
    crate::site::get().tz().clone()
}

pub fn local_date(t: Timestamp) -> Date {
    t.to_zoned(tz()).date()
}

/// `14:30`
pub fn hm(t: Timestamp) -> String {
    t.to_zoned(tz()).strftime("%H:%M").to_string()
}

/// `今天 09:00–11:00`, `2026-12-01 09:00–11:00`; an end on another day gets its date.
pub fn window(tr: Tr, start: Option<Timestamp>, end: Option<Timestamp>, today: Date) -> String {
    let Some(s) = start else {
        return String::new();
    };
    let day = local_date(s);
    let mut out = if day == today {
        format!("{} {}", tr.t("wo.today"), hm(s))
    } else {
        format!("{day} {}", hm(s))
    };
    if let Some(e) = end {
        if local_date(e) == day {
            out.push_str(&format!("–{}", hm(e)));
        } else {
            out.push_str(&format!("–{} {}", local_date(e), hm(e)));
        }
    }
    out
}

/// "2小时15分" / "2 h 15 min" (docs UX: durations).
pub fn minutes(tr: Tr, m: i64) -> String {
    let (h, m) = (m.max(0) / 60, m.max(0) % 60);
    match (tr.locale, h, m) {
        (Locale::ZhCn, 0, m) => format!("{m}分"),
        (Locale::ZhCn, h, 0) => format!("{h}小时"),
        (Locale::ZhCn, h, m) => format!("{h}小时{m}分"),
        (Locale::En, 0, m) => format!("{m} min"),
        (Locale::En, h, 0) => format!("{h} h"),
        (Locale::En, h, m) => format!("{h} h {m} min"),
    }
}

/// The status as service centers name it; a waiting order says what it waits for.
pub fn status_label(tr: Tr, status: WoStatus, waiting_reason: Option<WaitReason>) -> String {
    match (status, waiting_reason) {
        (WoStatus::Waiting, Some(r)) => tr.t_dyn(&format!("wo.waiting.{}", r.as_str())),
        _ => tr.t_dyn(&format!("wo.status.{}", status.as_str())),
    }
}

pub fn priority_label(tr: Tr, p: &str) -> String {
    tr.t_dyn(&format!("wo.priority.{p}"))
}

/// A reason's sentence in the user's language.
pub fn reason(tr: Tr, r: &ReasonView) -> String {
    match tr.locale {
        Locale::ZhCn => r.zh.clone(),
        Locale::En => r.en.clone(),
    }
}

/// `138 0013 8000` for a mobile number, other numbers as typed.
pub fn phone(raw: &str) -> String {
    Phone::parse("phone", raw).map_or_else(|_| raw.to_owned(), |p| p.display())
}

/// A `tel:` target: digits and a leading +.
pub fn tel(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

fn enc(s: &str) -> String {
    crate::shell::encode_component(s).replace('/', "%2F")
}

/// Amap's URI API (opens the Amap app on a phone, its web map elsewhere): a marker at the
/// site's WGS-84 position when known, else a search for the address. No script is loaded.
pub fn amap_url(lat: Option<f64>, lon: Option<f64>, address: &str) -> String {
    match (lat, lon) {
        (Some(a), Some(o)) => format!(
            "https://uri.amap.com/marker?position={o:.6},{a:.6}&name={}&coordinate=wgs84&callnative=1",
            enc(address)
        ),
        _ => format!(
            "https://uri.amap.com/search?keyword={}&callnative=1",
            enc(address)
        ),
    }
}

/// A `geo:` link (RFC 5870; Android asks which map app to use).
pub fn geo_url(lat: Option<f64>, lon: Option<f64>, address: &str) -> String {
    match (lat, lon) {
        (Some(a), Some(o)) => format!("geo:{a:.6},{o:.6}?q={a:.6},{o:.6}({})", enc(address)),
        _ => format!("geo:0,0?q={}", enc(address)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_windows_and_links_read_as_people_expect() {
        let zh = Tr::new(Locale::ZhCn);
        let en = Tr::new(Locale::En);
        assert_eq!(minutes(zh, 135), "2小时15分");
        assert_eq!(minutes(en, 135), "2 h 15 min");
        assert_eq!(minutes(zh, 120), "2小时");
        assert_eq!(minutes(en, 45), "45 min");
        let t = |s: &str| s.parse::<Timestamp>().expect("instant");
        let today: Date = "2026-11-30".parse().expect("date");
        assert_eq!(
            window(
                zh,
                Some(t("2026-11-30T01:00:00Z")),
                Some(t("2026-11-30T03:00:00Z")),
                today
            ),
            "今天 09:00–11:00"
        );
        assert_eq!(
            window(
                en,
                Some(t("2026-12-01T01:00:00Z")),
                Some(t("2026-12-01T03:30:00Z")),
                today
            ),
            "2026-12-01 09:00–11:30"
        );
        assert_eq!(window(en, None, None, today), "");
        assert_eq!(phone("+86 138-0013-8000"), "138 0013 8000");
        assert_eq!(phone("024-2345 6789"), "024-2345 6789");
        assert_eq!(tel("+86 138-0013-8000"), "+8613800138000");
        assert_eq!(
            amap_url(Some(41.79), Some(123.4), "和平区 1号"),
            "https://uri.amap.com/marker?position=123.400000,41.790000&name=%E5%92%8C%E5%B9%B3%E5%8C%BA%201%E5%8F%B7&coordinate=wgs84&callnative=1"
        );
        assert!(amap_url(None, None, "a&b/c").ends_with("keyword=a%26b%2Fc&callnative=1"));
        assert_eq!(geo_url(None, None, "x"), "geo:0,0?q=x");
    }
}
