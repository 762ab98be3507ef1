//! What callers give the client: the card or stored source to provision, checked when built.

use crate::error::InvalidInput;
use crate::generated::types;
use crate::sensitive::{CardNumber, Cvv};

/// What to provision a network token for.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ProvisionSource {
    /// Raw card details.
    Card(CardDetails),
    /// A card stored with Checkout.com, by its source id.
    Stored(SourceId),
}

impl From<CardDetails> for ProvisionSource {
    fn from(card: CardDetails) -> Self {
        Self::Card(card)
    }
}

impl From<SourceId> for ProvisionSource {
    fn from(id: SourceId) -> Self {
        Self::Stored(id)
    }
}

/// Card details, checked when built: number (digits, 12–19 long, Luhn), month 1–12,
/// four-digit year, CVV 3–4 digits. `Debug` shows only the last four digits.
#[derive(Clone, Debug)]
pub struct CardDetails {
    number: CardNumber,
    expiry_month: u8,
    expiry_year: u16,
    cvv: Option<Cvv>,
}

impl CardDetails {
    /// Checks and wraps card details.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the field and rule; it never contains the value.
    pub fn new(
        number: impl Into<String>,
        expiry_month: u8,
        expiry_year: u16,
    ) -> Result<Self, InvalidInput> {
        let number = CardNumber::new(number)?;
        if !(1..=12).contains(&expiry_month) {
            return Err(InvalidInput::new("expiry month", "must be 1 to 12"));
        }
        if !(1000..=9999).contains(&expiry_year) {
            return Err(InvalidInput::new("expiry year", "must have four digits"));
        }
        Ok(Self {
            number,
            expiry_month,
            expiry_year,
            cvv: None,
        })
    }

    /// Adds the CVV (3 or 4 digits).
    ///
    /// # Errors
    /// [`InvalidInput`] when the CVV is not 3 or 4 digits.
    pub fn with_cvv(mut self, cvv: impl Into<String>) -> Result<Self, InvalidInput> {
        self.cvv = Some(Cvv::new(cvv)?);
        Ok(self)
    }

    /// The card number.
    pub fn number(&self) -> &CardNumber {
        &self.number
    }

    /// The expiry month, 1–12.
    pub fn expiry_month(&self) -> u8 {
        self.expiry_month
    }

    /// The four-digit expiry year.
    pub fn expiry_year(&self) -> u16 {
        self.expiry_year
    }
}

/// The id of a card stored with Checkout.com: `src_` and 26 ASCII word characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceId(String);

impl SourceId {
    /// Checks the id against `^(src)_(\w{26})$` (ASCII `\w`).
    ///
    /// # Errors
    /// [`InvalidInput`] when the id does not match.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidInput> {
        let id = id.into();
        let valid = id.strip_prefix("src_").is_some_and(|rest| {
            rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if valid {
            Ok(Self(id))
        } else {
            Err(InvalidInput::new(
                "source id",
                "must be `src_` followed by 26 letters, digits or `_`",
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ProvisionSource {
    /// The generated request body.
    pub(crate) fn to_request(&self) -> Result<types::ProvisionNetworkTokenRequest, InvalidInput> {
        let source =
            match self {
                Self::Card(card) => {
                    types::NetworkTokensRequestSource::CardSource(types::NetworkTokensCardSource {
                        type_: types::NetworkTokensCardSourceType::Card,
                        number: card.number.clone(),
                        expiry_month: format!("{:02}", card.expiry_month)
                            .parse()
                            .map_err(|_| InvalidInput::new("expiry month", "must be 1 to 12"))?,
                        expiry_year: card.expiry_year.to_string().parse().map_err(|_| {
                            InvalidInput::new("expiry year", "must have four digits")
                        })?,
                        cvv: card.cvv.clone(),
                    })
                }
                Self::Stored(id) => {
                    types::NetworkTokensRequestSource::IdSource(types::NetworkTokensIdSource {
                        type_: types::NetworkTokensIdSourceType::Id,
                        id: id.0.parse().map_err(|_| {
                            InvalidInput::new(
                                "source id",
                                "must be `src_` followed by 26 letters, digits or `_`",
                            )
                        })?,
                    })
                }
            };
        Ok(types::ProvisionNetworkTokenRequest { source })
    }
}
