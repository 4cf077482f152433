//! Server nodes on one database and one ephemeral store: SSO crosses nodes, a code redeemed
//! on two at once succeeds exactly once, and three nodes under SSO load lose no session.

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

/// Three nodes on one database and one ephemeral store under SSO load: twenty clinicians at
/// once each sign in on one node, reach two more viewers on the other two without a password,
/// have every code redeemed and every userinfo answered on yet another node; nothing fails and
/// no session is lost. Then a logout on one node ends the session on the other two.
#[tokio::test]
async fn three_nodes_serve_sso_under_load_without_an_error_or_a_lost_session() {
    use oneid_tests::rp::jwt_payload;
    let nodes = oneid_tests::spawn_nodes(3).await;
    let a = &nodes[0];
    let mut viewers = Vec::new();
    for i in 0..3 {
        viewers.push(Rp::discover(&a.add_client(&format!("viewer-{i}")).await).await);
    }
    let mut people = Vec::new();
    for i in 0..20 {
        let login = format!("Clinician.Number{i}@ONEID.ON.CA");
        let id = a.add_user(&login, "Ward-Rounds-2026").await;
        people.push((login, id));
    }
    let http = reqwest::Client::new();
    let runs = people.iter().enumerate().map(|(i, (login, id))| {
        let (nodes, viewers, http) = (&nodes, &viewers, &http);
        async move {
            let browser = Browser::new();
            let mut errors = Vec::new();
            let mut sids = Vec::new();
            for (hop, rp) in viewers.iter().enumerate() {
                // Each hop's authorization on one node, its code redeemed on the next, its
                // access token used on the third.
                let (n_auth, n_token, n_user) =
                    ((i + hop) % 3, (i + hop + 1) % 3, (i + hop + 2) % 3);
                let s = rp.start(&["profile"], &[]);
                let url = s.url.replacen(&nodes[0].base, &nodes[n_auth].base, 1);
                let page = browser.get(&url).await;
                let cb = if hop == 0 {
                    browser
                        .login(&nodes[n_auth].base, &page, login, "Ward-Rounds-2026")
                        .await
                } else {
                    if page.is_login_page() {
                        errors.push(format!("{login} hop {hop}: session lost on node {n_auth}"));
                        continue;
                    }
                    page
                };
                let code = rp.code_from(&s, &cb);
                let r = http
                    .post(format!("{}/token", nodes[n_token].base))
                    .basic_auth(&rp.cfg.client_id, rp.cfg.secret.as_deref())
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", rp.cfg.redirect_uri.as_str()),
                        ("code_verifier", s.verifier.secret().as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                if r.status() != 200 {
                    errors.push(format!(
                        "{login} hop {hop}: token {} on node {n_token}",
                        r.status()
                    ));
                    continue;
                }
                let t: serde_json::Value = r.json().await.unwrap();
                let idt = jwt_payload(t["id_token"].as_str().unwrap());
                if idt["sub"].as_str() != Some(id.as_str()) {
                    errors.push(format!("{login} hop {hop}: wrong subject"));
                }
                sids.push(idt["sid"].as_str().unwrap_or_default().to_owned());
                let u = http
                    .get(format!("{}/userinfo", nodes[n_user].base))
                    .bearer_auth(t["access_token"].as_str().unwrap())
                    .send()
                    .await
                    .unwrap();
                if u.status() != 200 {
                    errors.push(format!(
                        "{login} hop {hop}: userinfo {} on node {n_user}",
                        u.status()
                    ));
                }
            }
            sids.dedup();
            if sids.len() != 1 {
                errors.push(format!("{login}: {} sessions for one sign-in", sids.len()));
            }
            (browser, errors)
        }
    });
    let results = futures_util::future::join_all(runs).await;
    let errors: Vec<&String> = results.iter().flat_map(|(_, e)| e).collect();
    assert!(errors.is_empty(), "{errors:?}");

    // A logout on node C ends the session on A and B too.
    let (browser, _) = &results[0];
    let rp = &viewers[0];
    let s = rp.start(&["profile"], &[]);
    let page = browser
        .get(&s.url.replacen(&nodes[0].base, &nodes[1].base, 1))
        .await;
    let code = rp.code_from(&s, &page);
    let t = rp.finish(s, &code).await;
    let bye = browser
        .get(&format!(
            "{}/logout?id_token_hint={}",
            nodes[2].base, t.id_token
        ))
        .await;
    assert_eq!(bye.status, 200);
    for n in 0..2 {
        let s = rp.start(&["profile"], &[]);
        let page = browser
            .get(&s.url.replacen(&nodes[0].base, &nodes[n].base, 1))
            .await;
        assert!(page.is_login_page(), "node {n} still had the session");
    }
}
