//! The tantivy schema: one stored payload (the normalized record) and one keyword field per
//! blocking key. Keys are untokenized terms built by [`super::keys`], indexed without field
//! norms (every document has length 1), so a candidate's BM25 score is the sum over the keys it
//! shares with the query of the key's IDF times a constant of its field (between 1 and about
//! 1.6, from the field's average number of keys): rare agreements count most, as in the match
//! model. Term frequencies (always 1) are stored only so that tantivy can use block-max WAND.

use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};

/// Handles to every field of the skiptrace schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Record id: indexed for upsert and delete (the payload carries it for display).
    pub record_id: Field,
    /// The normalized record, postcard-encoded (stored only). The field is named `record4` so
    /// that an index written with an earlier payload (JSON, a record without the phone's line
    /// type or the other identifier, or a name without its phonetic codes) is refused as
    /// another schema.
    pub payload: Field,
    /// Given name and the formal names it may stand for.
    pub first: Field,
    /// Surname tokens and the joined surname.
    pub last: Field,
    /// Double Metaphone codes of given name (`f:`) and surname tokens (`l:`).
    pub phonetic: Field,
    /// A given name paired with a surname token or the birth year (`MARY|KNEELAND`,
    /// `MARY|1957`), and the given name's code paired with a surname's (`p:MR|KNLNT`): rare keys
    /// that stand in for the given-name keys in the first retrieval pass, see
    /// [`crate::retrieve`].
    pub name_pair: Field,
    /// Full DOB `YYYYMMDD`.
    pub dob: Field,
    /// DOB pairs of parts (`ym`, `md`, `yd`), so one wrong part still retrieves.
    pub dob_part: Field,
    /// Full SSN.
    pub ssn: Field,
    /// SSN last four (`l`) and first five (`f`), so one typo still retrieves.
    pub ssn_part: Field,
    /// Another personal identifier, canonical.
    pub other_id: Field,
    /// ZIP5.
    pub zip: Field,
    /// House number and street name.
    pub street: Field,
    /// 10-digit phone.
    pub phone: Field,
    /// Canonical email.
    pub email: Field,
    /// The schema itself.
    pub schema: Schema,
}

impl Fields {
    /// Builds the schema.
    pub fn build() -> Fields {
        let mut builder = Schema::builder();
        let key = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                // Frequencies (always 1) are kept only so that tantivy can prune the
                // first-pass disjunction with block-max WAND instead of scoring every posting.
                .set_index_option(IndexRecordOption::WithFreqs)
                .set_fieldnorms(false),
        );
        let record_id = builder.add_text_field("record_id", STRING);
        let payload = builder.add_bytes_field("record4", BytesOptions::default() | STORED);
        let first = builder.add_text_field("first", key.clone());
        let last = builder.add_text_field("last", key.clone());
        let phonetic = builder.add_text_field("phonetic", key.clone());
        let name_pair = builder.add_text_field("name_pair", key.clone());
        let dob = builder.add_text_field("dob", key.clone());
        let dob_part = builder.add_text_field("dob_part", key.clone());
        let ssn = builder.add_text_field("ssn", key.clone());
        let ssn_part = builder.add_text_field("ssn_part", key.clone());
        let other_id = builder.add_text_field("other_id", key.clone());
        let zip = builder.add_text_field("zip", key.clone());
        let street = builder.add_text_field("street", key.clone());
        let phone = builder.add_text_field("phone", key.clone());
        let email = builder.add_text_field("email", key);
        Fields {
            record_id,
            payload,
            first,
            last,
            phonetic,
            name_pair,
            dob,
            dob_part,
            ssn,
            ssn_part,
            other_id,
            zip,
            street,
            phone,
            email,
            schema: builder.build(),
        }
    }

    /// Builds the fields from an existing index's schema.
    ///
    /// # Errors
    /// When the schema lacks a skiptrace field (the directory holds another kind of index).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let get = |name: &str| schema.get_field(name);
        Ok(Fields {
            record_id: get("record_id")?,
            payload: get("record4")?,
            first: get("first")?,
            last: get("last")?,
            phonetic: get("phonetic")?,
            name_pair: get("name_pair")?,
            dob: get("dob")?,
            dob_part: get("dob_part")?,
            ssn: get("ssn")?,
            ssn_part: get("ssn_part")?,
            other_id: get("other_id")?,
            zip: get("zip")?,
            street: get("street")?,
            phone: get("phone")?,
            email: get("email")?,
            schema: schema.clone(),
        })
    }
}
