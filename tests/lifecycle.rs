//! The quickstart's lifecycle, as a test: the real client against the embedded sandbox.

use checkout_network_tokens::{
    CardDetails, Client, DeleteInitiatedBy, DeleteReason, Error, SourceId, TokenState, TokenType,
    TransactionType,
};
use contract_tests::sandbox::{self, Sandbox};

async fn client(sandbox: &Sandbox) -> Client {
    Client::builder()
        .api_url(sandbox.url())
        .token_url(sandbox.token_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_whole_lifecycle_against_the_sandbox() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox).await;
    let card = CardDetails::new(sandbox::NEW_CARD_NUMBER, 10, 2027)
        .unwrap()
        .with_cvv("123")
        .unwrap();

    let first = client.provision(&card.clone().into()).await.unwrap();
    assert!(first.created);
    assert_eq!(first.meta.status, 201);
    assert!(first.meta.request_id.is_some());
    assert_eq!(first.meta.version.as_deref(), Some("1.0.0"));
    let token = &first.details.network_token;
    assert_eq!(
        (&token.state, &token.type_),
        (&TokenState::Active, &TokenType::Vts)
    );
    assert_eq!(first.details.card.last4.as_str(), "9256");
    let id = token.id.clone();

    let again = client.provision(&card.into()).await.unwrap();
    assert!(!again.created);
    assert_eq!(
        (again.meta.status, again.details.network_token.id.as_str()),
        (200, id.as_str())
    );
    assert_ne!(again.meta.request_id, first.meta.request_id);

    let got = client.get(&id).await.unwrap();
    assert_eq!(got.value.network_token.state, TokenState::Active);
    assert!(got.value.network_token.number.is_some());

    let cryptogram = client
        .request_cryptogram(&id, TransactionType::Ecom)
        .await
        .unwrap();
    assert_eq!(cryptogram.meta.status, 201);
    assert!(!cryptogram.value.cryptogram.expose_secret().is_empty());

    let deleted = client
        .delete(&id, DeleteInitiatedBy::TokenRequestor, DeleteReason::Other)
        .await
        .unwrap();
    assert_eq!(deleted.status, 204);
    let after = client.get(&id).await.unwrap();
    assert_eq!(after.value.network_token.state, TokenState::Inactive);
    let refused = client
        .request_cryptogram(&id, TransactionType::Ecom)
        .await
        .unwrap_err();
    let Error::Validation(details) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(details.error_codes(), ["token_state_invalid"]);

    let stored = client
        .provision(&SourceId::new(sandbox::NEW_SOURCE_ID).unwrap().into())
        .await
        .unwrap();
    assert!(stored.created);

    assert_eq!(
        sandbox.token_requests(),
        1,
        "one token for the whole lifecycle"
    );
}

#[tokio::test]
async fn revoked_tokens_are_refreshed_once_and_triggers_map_to_typed_errors() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox).await;
    client.get(sandbox::ACTIVE_TOKEN_ID).await.unwrap();
    sandbox.revoke_access_tokens();
    client
        .get(sandbox::ACTIVE_TOKEN_ID)
        .await
        .expect("one refresh, one retry");
    assert_eq!(sandbox.token_requests(), 2);

    let error = client.get(sandbox::UNKNOWN_TOKEN_ID).await.unwrap_err();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    let error = client.get(sandbox::FORBIDDEN_TOKEN_ID).await.unwrap_err();
    assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
    let error = client
        .get(sandbox::GATEWAY_TIMEOUT_TOKEN_ID)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SchemeTimeout(_)), "{error:?}");
    let card = CardDetails::new(sandbox::BAD_GATEWAY_CARD_NUMBER, 10, 2030).unwrap();
    let error = client.provision(&card.into()).await.unwrap_err();
    assert!(matches!(error, Error::SchemeError(_)), "{error:?}");
    assert!(error
        .request_id()
        .is_some_and(|id| error.to_string().contains(id)));

    let wrong = Client::builder()
        .api_url(sandbox.url())
        .token_url(sandbox.token_url())
        .client_credentials(sandbox.client_id(), "wrong secret")
        .build()
        .unwrap();
    let error = wrong.get(sandbox::ACTIVE_TOKEN_ID).await.unwrap_err();
    let Error::Auth(auth) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(auth.oauth_error(), Some("invalid_client"));
}
