//! Two server nodes on one database and one ephemeral store: SSO crosses nodes, and a code
//! redeemed on both at once succeeds exactly once.

use oneid_tests::browser::Browser;
use oneid_tests::rp::Rp;
use oneid_tests::{spawn_pair, LOGIN_ID, PASSWORD};

#[tokio::test]
async fn login_on_node_a_gives_sso_on_node_b() {
    let (a, b) = spawn_pair().await;
    let sub = a.add_clinician().await;
    let co = Rp::discover(&a.add_client("connectingontario").await).await;
    let cc = Rp::discover(&a.add_client("clinicalconnect").await).await;
    let browser = Browser::new();
    let first = co.login(&browser, LOGIN_ID, PASSWORD).await;

    // The browser's next authorization request lands on node B.
    let s = cc.start(&["profile"], &[]);
    let on_b = s.url.replacen(&a.base, &b.base, 1);
    assert_ne!(on_b, s.url);
    let cb = browser.get(&on_b).await;
    assert!(!cb.is_login_page(), "node B must see node A's session");
    let code = cc.code_from(&s, &cb);
    // Issued by B, redeemed through the issuer's token endpoint (node A).
    let t = cc.finish(s, &code).await;
    assert_eq!(t.claims.subject().as_str(), sub);
    assert_eq!(t.sid(), first.sid());

    // Logout on B ends the session for A as well.
    let url = format!("{}/logout?id_token_hint={}", b.base, t.id_token);
    assert_eq!(browser.get(&url).await.status, 200);
    let s = co.start(&["profile"], &[]);
    assert!(browser.get(&s.url).await.is_login_page());
}

#[tokio::test]
async fn one_code_redeemed_concurrently_on_both_nodes_succeeds_exactly_once() {
    let (a, b) = spawn_pair().await;
    a.add_clinician().await;
    let rp = Rp::discover(&a.add_client("otnhub").await).await;
    let browser = Browser::new();
    for round in 0..5 {
        let s = rp.start(&["profile"], &[]);
        let page = browser.get(&s.url).await;
        let cb = if page.is_login_page() {
            browser.login(&a.base, &page, LOGIN_ID, PASSWORD).await
        } else {
            page
        };
        let code = rp.code_from(&s, &cb);
        let verifier = s.verifier.secret().clone();
        let redeem = |base: String| {
            let code = code.clone();
            let verifier = verifier.clone();
            let redirect = rp.cfg.redirect_uri.clone();
            async move {
                reqwest::Client::new()
                    .post(format!("{base}/token"))
                    .basic_auth("otnhub", Some("otnhub-secret"))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", &redirect),
                        ("code_verifier", &verifier),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let (ra, rb) = tokio::join!(redeem(a.base.clone()), redeem(b.base.clone()));
        let mut got = [ra, rb];
        got.sort_unstable();
        assert_eq!(
            got,
            [200, 400],
            "round {round}: exactly one redemption succeeds"
        );
    }
}
