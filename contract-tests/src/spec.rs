//! The checked-in spec (`openapi/network-tokens.yaml`) as a response validator.
//!
//! OpenAPI 3.0 schemas are not JSON Schema, so [`Spec::load`] translates them before the
//! `jsonschema` crate sees them:
//!
//! - `#/components/schemas/X` references become `#/definitions/X` (draft 7);
//! - `nullable: true` becomes a `null` alternative (`type: [T, "null"]`, `null` added to an
//!   `enum`, or `anyOf: [.., {type: null}]` around a bare `$ref`);
//! - `example`, `examples`, `discriminator`, `xml`, `externalDocs`, `readOnly`, `writeOnly`,
//!   `deprecated` are dropped (annotations only, or not JSON Schema at all);
//! - `format` is kept and format validation is switched on (`date-time` is checked by the
//!   validator, OpenAPI's `byte` is checked here as standard base64).
//!
//! ```no_run
//! let spec = contract_tests::spec::Spec::load();
//! assert!(spec.documented_statuses("getNetworkToken").contains(&404));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// The spec, as checked in.
pub const SPEC_YAML: &str = include_str!("../../openapi/network-tokens.yaml");

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One documented response of one operation, with its body schema already translated.
#[derive(Debug, Clone)]
struct DocumentedResponse {
    /// Header names (lower case) the response documents.
    headers: Vec<String>,
    /// Header names (lower case) documented as `required: true`.
    required_headers: Vec<String>,
    /// Media type and its (translated) schema, when the response has content.
    content: Option<(String, Option<Value>)>,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
struct Operation {
    method: String,
    path: String,
    responses: BTreeMap<String, DocumentedResponse>,
}

/// The spec, parsed and translated to JSON Schema (see the module documentation).
pub struct Spec {
    document: Value,
    definitions: Map<String, Value>,
    operations: BTreeMap<String, Operation>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("operations", &self.operations.keys().collect::<Vec<_>>())
            .field("schemas", &self.definitions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Spec {
    /// Parses the checked-in `openapi/network-tokens.yaml`.
    ///
    /// # Panics
    ///
    /// If the checked-in spec is not a well-formed OpenAPI document (a test failure).
    pub fn load() -> Spec {
        Spec::from_yaml(SPEC_YAML).unwrap_or_else(|e| panic!("openapi/network-tokens.yaml: {e}"))
    }

    /// Parses an OpenAPI 3.0 document given as YAML (or JSON, which is YAML).
    pub fn from_yaml(yaml: &str) -> Result<Spec, String> {
        let document: Value =
            serde_yaml::from_str(yaml).map_err(|e| format!("not valid YAML: {e}"))?;
        let version = document
            .get("openapi")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !version.starts_with("3.0") {
            return Err(format!("expected an OpenAPI 3.0 document, got {version:?}"));
        }
        let mut definitions = Map::new();
        if let Some(schemas) = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in schemas {
                definitions.insert(name.clone(), translate_schema(schema));
            }
        }
        let mut operations = BTreeMap::new();
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the document has no paths")?;
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let op_id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{method} {path} has no operationId"))?;
                let mut responses = BTreeMap::new();
                let declared = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .ok_or_else(|| format!("{op_id} has no responses"))?;
                for (status, response) in declared {
                    let response = resolve(&document, response)?;
                    responses.insert(status.clone(), documented_response(&document, response)?);
                }
                let previous = operations.insert(
                    op_id.to_owned(),
                    Operation {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        responses,
                    },
                );
                if previous.is_some() {
                    return Err(format!("operationId {op_id} is used twice"));
                }
            }
        }
        Ok(Spec {
            document,
            definitions,
            operations,
        })
    }

    /// The spec as parsed (untranslated), for tests that want to look at it directly.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The operation ids, sorted.
    pub fn operation_ids(&self) -> Vec<&str> {
        self.operations.keys().map(String::as_str).collect()
    }

    /// The method (upper case) and path template of an operation.
    pub fn operation(&self, op_id: &str) -> Option<(&str, &str)> {
        self.operations
            .get(op_id)
            .map(|op| (op.method.as_str(), op.path.as_str()))
    }

    /// The explicitly documented statuses of an operation, sorted (empty for an unknown id).
    /// Ranges (`5XX`) and `default` are not listed.
    pub fn documented_statuses(&self, op_id: &str) -> Vec<u16> {
        self.operations
            .get(op_id)
            .map(|op| {
                op.responses
                    .keys()
                    .filter_map(|status| status.parse::<u16>().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The header names (lower case) documented for a response of an operation.
    pub fn documented_headers(&self, op_id: &str, status: u16) -> Vec<String> {
        self.operations
            .get(op_id)
            .and_then(|op| op.responses.get(&status.to_string()))
            .map(|response| response.headers.clone())
            .unwrap_or_default()
    }

    /// Every documented `(operation id, status)` pair.
    pub fn documented_pairs(&self) -> BTreeSet<(String, u16)> {
        self.operations
            .keys()
            .flat_map(|op_id| {
                self.documented_statuses(op_id)
                    .into_iter()
                    .map(move |status| (op_id.clone(), status))
            })
            .collect()
    }

    /// The component schema names (`components.schemas`), sorted.
    pub fn schema_names(&self) -> Vec<&str> {
        self.definitions.keys().map(String::as_str).collect()
    }

    /// The translated JSON Schema (draft 7) of a component schema, self-contained: the
    /// schema itself plus every component under `definitions`.
    pub fn json_schema(&self, schema_name: &str) -> Option<Value> {
        self.definitions.get(schema_name)?;
        Some(self.root_schema(&serde_json::json!({
            "$ref": format!("#/definitions/{schema_name}")
        })))
    }

    /// Validates a value against a component schema (`components.schemas.<schema_name>`).
    pub fn validate_schema(&self, schema_name: &str, value: &Value) -> Result<(), String> {
        let schema = self
            .json_schema(schema_name)
            .ok_or_else(|| format!("the spec has no schema {schema_name:?}"))?;
        self.validate_against(&schema, value)
            .map_err(|e| format!("not a valid {schema_name}: {e}"))
    }

    /// Validates a response of operation `op_id` against the spec:
    ///
    /// - the status is documented for the operation (exactly, else by a `NXX` range, else by
    ///   `default`);
    /// - `Cko-Request-Id` is present, non-empty, and so is every header the response
    ///   documents as required;
    /// - when the response documents no content, the body is empty;
    /// - otherwise the `Content-Type` is the documented media type and the body is JSON valid
    ///   against the documented schema.
    pub fn validate_response(
        &self,
        op_id: &str,
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let op = self
            .operations
            .get(op_id)
            .ok_or_else(|| format!("the spec has no operation {op_id:?}"))?;
        let range = format!("{}XX", status / 100);
        let documented = op
            .responses
            .get(&status.to_string())
            .or_else(|| op.responses.get(&range))
            .or_else(|| op.responses.get("default"))
            .ok_or_else(|| {
                format!(
                    "{op_id}: status {status} is not documented (documented: {:?})",
                    op.responses.keys().collect::<Vec<_>>()
                )
            })?;
        let mut required: Vec<&str> = vec!["cko-request-id"];
        required.extend(documented.required_headers.iter().map(String::as_str));
        for name in required {
            match headers.get(name).map(|v| v.to_str()) {
                Some(Ok(value)) if !value.trim().is_empty() => {}
                Some(_) => {
                    return Err(format!(
                        "{op_id} {status}: header {name} is empty or not text"
                    ))
                }
                None => return Err(format!("{op_id} {status}: header {name} is missing")),
            }
        }
        match &documented.content {
            None => {
                if body.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "{op_id} {status}: the spec documents no body, got {} bytes",
                        body.len()
                    ))
                }
            }
            Some((media_type, schema)) => {
                let content_type = headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("{op_id} {status}: no Content-Type"))?;
                let essence = content_type
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if essence != media_type.to_ascii_lowercase() {
                    return Err(format!(
                        "{op_id} {status}: Content-Type {content_type:?}, documented {media_type:?}"
                    ));
                }
                let value: Value = serde_json::from_slice(body).map_err(|e| {
                    format!(
                        "{op_id} {status}: body is not JSON (line {}, column {}, {:?})",
                        e.line(),
                        e.column(),
                        e.classify()
                    )
                })?;
                match schema {
                    Some(schema) => self
                        .validate_against(&self.root_schema(schema), &value)
                        .map_err(|e| format!("{op_id} {status}: {e}")),
                    None => Ok(()),
                }
            }
        }
    }

    /// `schema` with every component under `definitions`.
    fn root_schema(&self, schema: &Value) -> Value {
        let mut root = match schema {
            Value::Object(map) => map.clone(),
            other => {
                let mut map = Map::new();
                map.insert("allOf".to_owned(), Value::Array(vec![other.clone()]));
                map
            }
        };
        root.insert(
            "$schema".to_owned(),
            Value::String("http://json-schema.org/draft-07/schema#".to_owned()),
        );
        root.insert(
            "definitions".to_owned(),
            Value::Object(self.definitions.clone()),
        );
        Value::Object(root)
    }

    fn validate_against(&self, schema: &Value, value: &Value) -> Result<(), String> {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .with_format("byte", is_base64)
            .build(schema)
            .map_err(|e| format!("the translated schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("at {:?}: {}", e.instance_path().as_str(), e.masked()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// OpenAPI's `format: byte`: standard base64 with padding.
fn is_base64(s: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

/// Follows a local `$ref` (`#/components/...`) until a non-reference object.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> Result<&'a Value, String> {
    let mut current = value;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .ok_or_else(|| format!("non-local reference {reference}"))?;
                current = document
                    .pointer(pointer)
                    .ok_or_else(|| format!("dangling reference {reference}"))?;
            }
            None => return Ok(current),
        }
    }
    Err("reference loop".to_owned())
}

fn documented_response(document: &Value, response: &Value) -> Result<DocumentedResponse, String> {
    let mut headers = Vec::new();
    let mut required_headers = Vec::new();
    if let Some(declared) = response.get("headers").and_then(Value::as_object) {
        for (name, header) in declared {
            let header = resolve(document, header)?;
            let name = name.to_ascii_lowercase();
            if header.get("required").and_then(Value::as_bool) == Some(true) {
                required_headers.push(name.clone());
            }
            headers.push(name);
        }
    }
    let content = match response.get("content").and_then(Value::as_object) {
        None => None,
        Some(content) if content.is_empty() => None,
        Some(content) => {
            // The JSON media type if there is one, else the first.
            let (media_type, media) = content
                .iter()
                .find(|(k, _)| k.to_ascii_lowercase().starts_with("application/json"))
                .or_else(|| content.iter().next())
                .ok_or("empty content")?;
            let schema = media.get("schema").map(translate_schema);
            Some((media_type.clone(), schema))
        }
    };
    Ok(DocumentedResponse {
        headers,
        required_headers,
        content,
    })
}

/// Translates an OpenAPI 3.0 schema object to JSON Schema draft 7 (see the module docs).
pub fn translate_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "example" | "examples" | "discriminator" | "xml" | "externalDocs"
                    | "readOnly" | "writeOnly" | "deprecated" | "nullable" => {}
                    "$ref" => {
                        let reference = value.as_str().unwrap_or_default();
                        let reference = match reference.strip_prefix("#/components/schemas/") {
                            Some(name) => format!("#/definitions/{name}"),
                            None => reference.to_owned(),
                        };
                        out.insert(key.clone(), Value::String(reference));
                    }
                    // Maps of schemas.
                    "properties" | "patternProperties" | "definitions" => {
                        let translated = value
                            .as_object()
                            .map(|props| {
                                props
                                    .iter()
                                    .map(|(k, v)| (k.clone(), translate_schema(v)))
                                    .collect::<Map<_, _>>()
                            })
                            .map(Value::Object)
                            .unwrap_or_else(|| value.clone());
                        out.insert(key.clone(), translated);
                    }
                    // Lists of schemas.
                    "allOf" | "anyOf" | "oneOf" => {
                        let translated = value
                            .as_array()
                            .map(|items| items.iter().map(translate_schema).collect())
                            .map(Value::Array)
                            .unwrap_or_else(|| value.clone());
                        out.insert(key.clone(), translated);
                    }
                    // Single schemas (`additionalProperties` may also be a boolean).
                    "items" | "additionalProperties" | "not" => {
                        out.insert(key.clone(), translate_schema(value));
                    }
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            if map.get("nullable").and_then(Value::as_bool) == Some(true) {
                make_nullable(out)
            } else {
                Value::Object(out)
            }
        }
        other => other.clone(),
    }
}

/// Adds `null` as an accepted value to a translated schema.
fn make_nullable(mut schema: Map<String, Value>) -> Value {
    if schema.contains_key("$ref") || !schema.contains_key("type") {
        // A draft-7 `$ref` ignores its siblings, and a schema without `type` may still
        // reject null through `enum` or composition: wrap it.
        return serde_json::json!({ "anyOf": [Value::Object(schema), { "type": "null" }] });
    }
    if let Some(ty) = schema.get_mut("type") {
        match ty {
            Value::String(s) => *ty = serde_json::json!([s.clone(), "null"]),
            Value::Array(types) if !types.iter().any(|t| t == "null") => {
                types.push(Value::String("null".to_owned()));
            }
            _ => {}
        }
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn translation_rewrites_refs_drops_annotations_and_handles_nullable() {
        let schema = json!({
            "type": "object",
            "example": {"a": 1},
            "discriminator": {"propertyName": "type"},
            "properties": {
                "a": {"$ref": "#/components/schemas/A"},
                "b": {"type": "string", "nullable": true, "format": "date-time"},
                "c": {"type": "string", "enum": ["x"], "nullable": true},
                "d": {"type": "array", "items": {"$ref": "#/components/schemas/D"}}
            }
        });
        let translated = translate_schema(&schema);
        assert_eq!(
            translated,
            json!({
                "type": "object",
                "properties": {
                    "a": {"$ref": "#/definitions/A"},
                    "b": {"type": ["string", "null"], "format": "date-time"},
                    "c": {"type": ["string", "null"], "enum": ["x", null]},
                    "d": {"type": "array", "items": {"$ref": "#/definitions/D"}}
                }
            })
        );
        let nullable_ref =
            translate_schema(&json!({"$ref": "#/components/schemas/A", "nullable": true}));
        assert_eq!(
            nullable_ref,
            json!({"anyOf": [{"$ref": "#/definitions/A"}, {"type": "null"}]})
        );
    }

    #[test]
    fn formats_are_validated() {
        let spec = Spec::load();
        let mut token = json!({
            "id": "nt_xgu3isllqfyu7ktpk5z2yxbwna",
            "state": "active",
            "type": "vts",
            "created_on": "2020-02-11T15:57:32.435+00:00",
            "modified_on": "2020-02-11T10:00:00Z"
        });
        spec.validate_schema("NetworkToken", &token).unwrap();
        token["created_on"] = json!("yesterday");
        assert!(spec.validate_schema("NetworkToken", &token).is_err());
        spec.validate_schema("Cryptogram", &json!("AhJ3hnYAoAbVz5zg1e17MAACAAA="))
            .unwrap();
        assert!(spec
            .validate_schema("Cryptogram", &json!("not base64!"))
            .is_err());
    }

    #[test]
    fn the_spec_examples_are_valid() {
        let spec = Spec::load();
        for name in ["TokenDetailsActive", "TokenDetailsRequested"] {
            let example = spec
                .document()
                .pointer(&format!("/components/examples/{name}/value"))
                .unwrap();
            spec.validate_schema("NetworkTokenDetails", example)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(spec
            .validate_schema("NetworkTokenDetails", &json!({"card": {}}))
            .is_err());
    }
}
