//! What an app asks Dialpad to do for its users: call a number (E.164), pop a URL on the
//! agent's Dialpad (http, https or a custom scheme, never with userinfo: Dialpad refuses
//! it), and the template an app sets to pop its own page when a call rings. Values put in
//! a template are percent-encoded, so a caller id cannot change the URL's shape.

use std::fmt;

use url::Url;

/// A phone number in E.164: `+`, a non-zero digit, at most 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct E164(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("phone_number must be E.164: + then 2 to 15 digits, the first not 0 (e.g. +15105550100)")]
pub struct InvalidPhoneNumber;

impl E164 {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhoneNumber> {
        let digits = raw.strip_prefix('+').ok_or(InvalidPhoneNumber)?;
        let ok =
            (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok { Ok(Self(raw.to_owned())) } else { Err(InvalidPhoneNumber) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest URL popped.
const MAX_URL_LEN: usize = 2048;

/// A URL Dialpad can pop: absolute, at most 2048 characters, no userinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenPopUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidScreenPopUrl {
    #[error("url must be an absolute URL (https://..., or a custom scheme such as crm://...)")]
    NotAbsolute,
    #[error("url must not carry a user name or password (Dialpad refuses them)")]
    Userinfo,
    #[error("url must be at most {MAX_URL_LEN} characters")]
    TooLong,
}

impl ScreenPopUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidScreenPopUrl> {
        if raw.len() > MAX_URL_LEN {
            return Err(InvalidScreenPopUrl::TooLong);
        }
        let url = Url::parse(raw).map_err(|_| InvalidScreenPopUrl::NotAbsolute)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidScreenPopUrl::Userinfo);
        }
        let web = matches!(url.scheme(), "http" | "https");
        if web && url.host().is_none() {
            return Err(InvalidScreenPopUrl::NotAbsolute);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The placeholders a screen pop template may use.
pub const PLACEHOLDERS: [&str; 6] =
    ["external_number", "internal_number", "call_id", "dialpad_user_id", "app_user_id", "direction"];

/// An app's screen pop template, e.g. `https://crm.example.com/lookup?phone={external_number}&call={call_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenPopTemplate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTemplate {
    #[error("screen_pop_url has an unknown placeholder {{{0}}} (known: {placeholders})", placeholders = PLACEHOLDERS.join(", "))]
    UnknownPlaceholder(String),
    #[error("screen_pop_url has an unclosed {{")]
    Unclosed,
    #[error("screen_pop_url: {0}")]
    Url(InvalidScreenPopUrl),
}

/// The values of one ringing call, as a template fills them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopValues {
    pub external_number: Option<String>,
    pub internal_number: Option<String>,
    pub call_id: Option<i64>,
    pub dialpad_user_id: Option<i64>,
    pub app_user_id: Option<String>,
    pub direction: Option<String>,
}

impl PopValues {
    fn get(&self, name: &str) -> String {
        match name {
            "external_number" => self.external_number.clone(),
            "internal_number" => self.internal_number.clone(),
            "call_id" => self.call_id.map(|v| v.to_string()),
            "dialpad_user_id" => self.dialpad_user_id.map(|v| v.to_string()),
            "app_user_id" => self.app_user_id.clone(),
            "direction" => self.direction.clone(),
            _ => None,
        }
        .unwrap_or_default()
    }
}

impl ScreenPopTemplate {
    /// A template whose placeholders are known and which, filled, is a URL Dialpad pops.
    pub fn parse(raw: &str) -> Result<Self, InvalidTemplate> {
        let template = Self(raw.to_owned());
        let sample = PopValues {
            external_number: Some("+15105550100".into()),
            internal_number: Some("+15105550199".into()),
            call_id: Some(1),
            dialpad_user_id: Some(1),
            app_user_id: Some("user".into()),
            direction: Some("inbound".into()),
        };
        template.render(&sample).map(|_| template)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL for one call: each placeholder replaced by its value, percent-encoded.
    pub fn fill(&self, values: &PopValues) -> Result<ScreenPopUrl, InvalidTemplate> {
        self.render(values)
    }

    fn render(&self, values: &PopValues) -> Result<ScreenPopUrl, InvalidTemplate> {
        let mut out = String::with_capacity(self.0.len() + 32);
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or(InvalidTemplate::Unclosed)?;
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(InvalidTemplate::UnknownPlaceholder(name.to_owned()));
            }
            out.extend(url::form_urlencoded::byte_serialize(values.get(name).as_bytes()));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        ScreenPopUrl::parse(&out).map_err(InvalidTemplate::Url)
    }
}

impl fmt::Display for ScreenPopTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        for good in ["+15105550100", "+442071838750", "+12"] {
            assert_eq!(E164::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "15105550100", "+", "+1", "+05105550100", "+1510555010a", "+1234567890123456", "+1 510"] {
            assert_eq!(E164::parse(bad), Err(InvalidPhoneNumber), "{bad:?}");
        }
    }

    #[test]
    fn screen_pop_urls_are_absolute_without_userinfo() {
        for good in ["https://crm.example.com/x?y=1", "http://localhost:3000/", "crm://contact/42", "salesforce:open"] {
            assert!(ScreenPopUrl::parse(good).is_ok(), "{good}");
        }
        assert_eq!(ScreenPopUrl::parse("https://u:p@crm.example.com/"), Err(InvalidScreenPopUrl::Userinfo));
        assert_eq!(ScreenPopUrl::parse("https://u@crm.example.com/"), Err(InvalidScreenPopUrl::Userinfo));
        assert_eq!(ScreenPopUrl::parse("/relative"), Err(InvalidScreenPopUrl::NotAbsolute));
        assert_eq!(
            ScreenPopUrl::parse(&format!("https://x.com/{}", "a".repeat(2048))),
            Err(InvalidScreenPopUrl::TooLong)
        );
    }

    #[test]
    fn templates_fill_their_placeholders_percent_encoded() {
        let template =
            ScreenPopTemplate::parse("https://crm.example.com/lookup?phone={external_number}&call={call_id}").unwrap();
        let values =
            PopValues { external_number: Some("+1 510&x=1".into()), call_id: Some(42), ..PopValues::default() };
        assert_eq!(
            template.fill(&values).unwrap().as_str(),
            "https://crm.example.com/lookup?phone=%2B1+510%26x%3D1&call=42"
        );
        let missing = template.fill(&PopValues::default()).unwrap();
        assert_eq!(missing.as_str(), "https://crm.example.com/lookup?phone=&call=", "absent values are empty");
    }

    #[test]
    fn templates_with_unknown_placeholders_or_bad_urls_are_refused() {
        assert_eq!(
            ScreenPopTemplate::parse("https://x.com/{password}"),
            Err(InvalidTemplate::UnknownPlaceholder("password".into()))
        );
        assert_eq!(ScreenPopTemplate::parse("https://x.com/{call_id"), Err(InvalidTemplate::Unclosed));
        assert!(matches!(ScreenPopTemplate::parse("{external_number}"), Err(InvalidTemplate::Url(_))));
        assert!(matches!(ScreenPopTemplate::parse("https://a:b@x.com/{call_id}"), Err(InvalidTemplate::Url(_))));
    }
}
