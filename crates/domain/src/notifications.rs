//! Notifications (docs/sla.md, "Notifications"): the states of a message to a user or a
//! customer, stored as text with a CHECK (migration 0011).

use serde::{Deserialize, Serialize};

/// Where a notification stands: in-app ones are `unread` until read; outward ones (e-mail,
/// SMS, WeChat) are `queued` until the delivery job sends them or gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Unread,
    Read,
    Queued,
    Sent,
    Failed,
}

impl NotificationStatus {
    pub const ALL: [NotificationStatus; 5] = [
        NotificationStatus::Unread,
        NotificationStatus::Read,
        NotificationStatus::Queued,
        NotificationStatus::Sent,
        NotificationStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Unread => "unread",
            NotificationStatus::Read => "read",
            NotificationStatus::Queued => "queued",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationStatus> {
        NotificationStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

impl std::fmt::Display for NotificationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a notification goes: the bell in the product, or out by e-mail, SMS or WeChat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    InApp,
    Email,
    Sms,
    Wechat,
}

impl NotificationChannel {
    pub const ALL: [NotificationChannel; 4] = [
        NotificationChannel::InApp,
        NotificationChannel::Email,
        NotificationChannel::Sms,
        NotificationChannel::Wechat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationChannel::InApp => "in_app",
            NotificationChannel::Email => "email",
            NotificationChannel::Sms => "sms",
            NotificationChannel::Wechat => "wechat",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationChannel> {
        NotificationChannel::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Sent out by the delivery job (everything but the bell).
    pub fn is_outward(self) -> bool {
        self != NotificationChannel::InApp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serialize_as_stored() {
        for s in NotificationStatus::ALL {
            assert_eq!(NotificationStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).expect("json"),
                serde_json::Value::String(s.as_str().into())
            );
        }
        assert_eq!(NotificationStatus::parse("gone"), None);
    }
}
