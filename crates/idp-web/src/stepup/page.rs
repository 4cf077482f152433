//! The demo's page of codes sent.

use super::*;

/// GET /demo/codes: the last codes written to the outbox, for a newcomer trying the demo
/// (only when `stepup.demo_codes_page` is on, which the `demo` command sets).
#[tracing::instrument(skip_all)]
pub async fn demo_codes(State(p): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let locale = web::http::locale(&headers, None);
    let (true, Some(outbox)) = (p.stepup.demo_codes_page, p.outbox.as_ref()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let a = AccountText::get(locale);
    let v = View {
        title: a.demo_codes_title.into(),
        table_head: vec!["UTC".into(), a.phone.into(), a.code.into()],
        table: outbox
            .recent()
            .into_iter()
            .map(|(at, d)| {
                vec![
                    (String::new(), web::widgets::datetime(at)),
                    (String::new(), step_up::codes::masked(&d.to)),
                    (String::new(), d.text),
                ]
            })
            .collect(),
        ..View::default()
    };
    web::widgets::send(&p, &headers, locale, &v, StatusCode::OK)
}
