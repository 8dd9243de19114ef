//! Stripe's webhook signature: header `Stripe-Signature: t=<unix seconds>,v1=<hex>` where the hex
//! is HMAC-SHA256 over `"<t>.<raw body>"` keyed with the endpoint's `whsec_…` secret. The
//! simulator signs with [`sign`]; the webhook route checks with [`verify`].

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Events older (or newer) than this are refused as replays, like Stripe's libraries do.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The header value Stripe would send for `payload` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let sig = mac(secret, timestamp, payload).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(sig))
}

/// Checks `header` against `payload`; any one `v1` entry may match (Stripe sends several while
/// a secret is being rolled).
pub fn verify(
    secret: &str,
    header: Option<&str>,
    payload: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" => timestamp = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => candidates.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    // `verify_slice` compares in constant time.
    if candidates
        .iter()
        .any(|c| mac(secret, timestamp, payload).verify_slice(c).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1"}"#;

    #[test]
    fn matches_an_independently_computed_signature() {
        // Python: hmac.new(b'whsec_test_secret', b'1700000000.{"id":"evt_1"}', sha256).hexdigest()
        assert_eq!(
            sign("whsec_test_secret", 1_700_000_000, BODY),
            "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"
        );
    }

    #[test]
    fn accepts_its_own_and_refuses_tampering() {
        let h = sign("whsec_a", 1_000, BODY);
        assert_eq!(verify("whsec_a", Some(&h), BODY, 1_010), Ok(()));
        assert_eq!(
            verify("whsec_b", Some(&h), BODY, 1_010),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", Some(&h), br#"{"id":"evt_2"}"#, 1_010),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_a", Some(&h), BODY, 1_000 + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec_a", None, BODY, 1_000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify("whsec_a", Some("t=1000,v1=zz"), BODY, 1_000),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let good = sign("whsec_a", 1_000, BODY);
        let v1 = good.split_once("v1=").unwrap().1;
        let header = format!("t=1000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify("whsec_a", Some(&header), BODY, 1_000), Ok(()));
    }
}
