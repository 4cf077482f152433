//! The code gateway over real HTTP on loopback: `TwilioGateway` against the fake Twilio API —
//! text messages and voice calls as the API expects them, basic auth, refusals that are not
//! retried and outages that are, the right number of times.

use oneid_tests::gateway::FakeGateway;
use platform::{Locale, ManualClock};
use std::sync::Arc;
use step_up::gateway::{
    from_config, Channel, CodeGateway, Delivery, GatewayConfig, GatewayError, TwilioGateway,
};

const SENDER: &str = "+15005550006";
const PHONE: &str = "+14165550100";

fn config(fake: &FakeGateway) -> GatewayConfig {
    GatewayConfig {
        base_url: fake.base_url.clone(),
        account_sid: fake.sid.clone(),
        auth_token: fake.token.clone(),
        from: SENDER.into(),
        timeout_ms: 2000,
        retries: 2,
        ..GatewayConfig::default()
    }
}

fn delivery(channel: Channel, text: &str, locale: Locale) -> Delivery {
    Delivery {
        to: PHONE.into(),
        channel,
        text: text.into(),
        locale,
    }
}

#[tokio::test]
async fn a_text_message_arrives_with_to_from_and_body() {
    let fake = FakeGateway::start().await;
    // The configuration with a base URL selects the Twilio gateway.
    let gw = from_config(
        &config(&fake),
        std::env::temp_dir().join("unused.jsonl"),
        Arc::new(ManualClock::new()),
    )
    .unwrap();
    gw.send(&delivery(
        Channel::Sms,
        "Your OneID code is 482913. It expires in 5 minutes.",
        Locale::En,
    ))
    .await
    .unwrap();
    let sent = fake.wait_for(1).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "sms");
    assert_eq!(sent[0].to, PHONE);
    assert_eq!(sent[0].from, SENDER);
    assert_eq!(
        sent[0].body,
        "Your OneID code is 482913. It expires in 5 minutes."
    );
    assert_eq!(fake.attempts(), 1);
    assert_eq!(fake.last_code(PHONE).as_deref(), Some("482913"));
    assert_eq!(fake.last_code("+14165550199"), None);
}

#[tokio::test]
async fn a_voice_call_says_the_text_twice_in_canadian_french() {
    let fake = FakeGateway::start().await;
    let gw = TwilioGateway::new(&config(&fake)).unwrap();
    let text = "Votre code OneID\u{a0}: 4, 8, 2, 9, 1, 3. Je répète & <merci>.";
    gw.send(&delivery(Channel::Voice, text, Locale::Fr))
        .await
        .unwrap();
    let sent = fake.wait_for(1).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "call");
    assert_eq!(sent[0].to, PHONE);
    assert_eq!(sent[0].from, SENDER);
    let said = "Votre code OneID\u{a0}: 4, 8, 2, 9, 1, 3. Je répète &amp; &lt;merci&gt;.";
    assert_eq!(
        sent[0].body,
        format!(
            "<Response><Say language=\"fr-CA\">{said}</Say><Pause length=\"1\"/>\
             <Say language=\"fr-CA\">{said}</Say></Response>"
        )
    );
    assert_eq!(fake.last_code(PHONE).as_deref(), Some("482913"));

    // English calls use the English voice.
    gw.send(&delivery(
        Channel::Voice,
        "Your code: 1 2 3 4 5 6",
        Locale::En,
    ))
    .await
    .unwrap();
    let sent = fake.wait_for(2).await;
    assert_eq!(sent[1].body.matches("<Say language=\"en-CA\">").count(), 2);
    assert_eq!(fake.last_code(PHONE).as_deref(), Some("123456"));
}

#[tokio::test]
async fn wrong_credentials_are_refused_at_once_and_nothing_is_sent() {
    let fake = FakeGateway::start().await;
    let mut cfg = config(&fake);
    cfg.auth_token = "not-the-token".into();
    let gw = TwilioGateway::new(&cfg).unwrap();
    let text = "Your OneID code is 482913.";
    let err = gw
        .send(&delivery(Channel::Sms, text, Locale::En))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Refused(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("401"), "{msg}");
    assert!(
        !msg.contains("not-the-token") && !msg.contains("482913"),
        "{msg}"
    );
    assert!(!msg.contains(PHONE), "{msg}");
    // A refusal is never retried.
    assert_eq!(fake.attempts(), 1);
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn a_gateway_that_is_down_is_tried_one_plus_retries_times() {
    let fake = FakeGateway::start().await;
    fake.set_down(true);
    let cfg = config(&fake);
    let gw = TwilioGateway::new(&cfg).unwrap();
    let err = gw
        .send(&delivery(
            Channel::Sms,
            "Your OneID code is 482913.",
            Locale::En,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("503"), "{msg}");
    assert!(
        !msg.contains("482913") && !msg.contains(&fake.token),
        "{msg}"
    );
    assert_eq!(fake.attempts(), 1 + cfg.retries as usize);
    assert!(fake.sent().is_empty());

    // Back up: the next code goes through on the first attempt.
    fake.set_down(false);
    gw.send(&delivery(Channel::Voice, "Code 1 2 3 4 5 6", Locale::En))
        .await
        .unwrap();
    assert_eq!(fake.attempts(), 2 + cfg.retries as usize);
    assert_eq!(fake.wait_for(1).await.len(), 1);
}

#[tokio::test]
async fn nobody_listening_is_unavailable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gw = TwilioGateway::new(&GatewayConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        account_sid: "AC0123456789abcdef".into(),
        auth_token: "token".into(),
        from: SENDER.into(),
        timeout_ms: 1000,
        retries: 1,
        ..GatewayConfig::default()
    })
    .unwrap();
    let err = gw
        .send(&delivery(
            Channel::Sms,
            "Your OneID code is 482913.",
            Locale::En,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("2 attempt"), "{err}");
}
