//! A recursive-descent parser for executable GraphQL documents that keeps what the
//! inventory needs: operations, their variables, and the selections of fragments.

use std::collections::HashMap;

use super::lexer::{Kind, Token, syntax, tokenize};
use super::{GraphqlError, GraphqlLimits, GraphqlOperation, OperationKind, TopField};

/// A selection as parsed.
#[derive(Debug, Clone)]
enum Selection<'a> {
    Field { alias: Option<&'a str>, name: &'a str, arguments: Vec<&'a str>, children: Vec<Selection<'a>> },
    Spread(&'a str),
    Inline(Vec<Selection<'a>>),
}

struct ParsedOperation<'a> {
    kind: OperationKind,
    name: Option<&'a str>,
    variables: Vec<&'a str>,
    selections: Vec<Selection<'a>>,
}

struct Parser<'a, 't> {
    source: &'a str,
    tokens: &'t [Token<'a>],
    position: usize,
    depth: usize,
    max_depth: usize,
}

/// Parses a document and returns its operations in the order written.
pub fn parse_document(source: &str, limits: &GraphqlLimits) -> Result<Vec<GraphqlOperation>, GraphqlError> {
    let tokens = tokenize(source, limits)?;
    let mut parser = Parser { source, tokens: &tokens, position: 0, depth: 0, max_depth: limits.max_depth };
    let mut operations = Vec::new();
    let mut fragments: HashMap<&str, Vec<Selection<'_>>> = HashMap::new();

    if tokens.is_empty() {
        return Err(syntax(source, 0, "empty document: expected an operation"));
    }
    while parser.position < tokens.len() {
        let token = tokens[parser.position];
        match (token.kind, token.text) {
            (Kind::Punct(b'{'), _) => {
                let selections = parser.selection_set()?;
                operations.push(ParsedOperation {
                    kind: OperationKind::Query,
                    name: None,
                    variables: Vec::new(),
                    selections,
                });
            }
            (Kind::Name, "query" | "mutation" | "subscription") => operations.push(parser.operation()?),
            (Kind::Name, "fragment") => {
                let (name, selections) = parser.fragment()?;
                fragments.insert(name, selections);
            }
            _ => return Err(parser.error_here("expected `query`, `mutation`, `subscription`, `fragment` or `{`")),
        }
    }
    if operations.is_empty() {
        return Err(syntax(source, 0, "document has no operation"));
    }

    Ok(operations
        .into_iter()
        .map(|op| {
            let mut fields = Vec::new();
            top_fields(&op.selections, &fragments, &mut Vec::new(), &mut fields);
            let introspection = asks_introspection(&op.selections, &fragments, &mut Vec::new());
            GraphqlOperation {
                kind: op.kind,
                name: op.name.map(String::from),
                arguments: op.variables.iter().map(|v| v.to_string()).collect(),
                fields,
                introspection,
            }
        })
        .collect())
}

/// Fields at the top level, with fragment spreads and inline fragments expanded.
/// `visiting` holds the fragments being expanded, so a fragment cycle stops.
fn top_fields<'a>(
    selections: &[Selection<'a>],
    fragments: &HashMap<&'a str, Vec<Selection<'a>>>,
    visiting: &mut Vec<&'a str>,
    out: &mut Vec<TopField>,
) {
    for selection in selections {
        match selection {
            Selection::Field { alias, name, arguments, .. } => out.push(TopField {
                name: name.to_string(),
                alias: alias.map(String::from),
                arguments: arguments.iter().map(|a| a.to_string()).collect(),
            }),
            Selection::Inline(children) => top_fields(children, fragments, visiting, out),
            Selection::Spread(name) => {
                if visiting.contains(name) {
                    continue;
                }
                if let Some(children) = fragments.get(name) {
                    visiting.push(name);
                    top_fields(children, fragments, visiting, out);
                    visiting.pop();
                }
            }
        }
    }
}

fn asks_introspection<'a>(
    selections: &[Selection<'a>],
    fragments: &HashMap<&'a str, Vec<Selection<'a>>>,
    visiting: &mut Vec<&'a str>,
) -> bool {
    selections.iter().any(|selection| match selection {
        Selection::Field { name, children, .. } => {
            *name == "__schema" || *name == "__type" || asks_introspection(children, fragments, visiting)
        }
        Selection::Inline(children) => asks_introspection(children, fragments, visiting),
        Selection::Spread(name) => {
            if visiting.contains(name) {
                return false;
            }
            let Some(children) = fragments.get(name) else {
                return false;
            };
            visiting.push(name);
            let found = asks_introspection(children, fragments, visiting);
            visiting.pop();
            found
        }
    })
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.position).copied()
    }

    fn error_here(&self, message: &str) -> GraphqlError {
        let offset = self.peek().map_or(self.source.len(), |t| t.offset);
        let found = self.peek().map_or("end of document".to_string(), |t| format!("`{}`", t.text));
        syntax(self.source, offset, &format!("{message}, found {found}"))
    }

    fn is_punct(&self, byte: u8) -> bool {
        self.peek().is_some_and(|t| t.kind == Kind::Punct(byte))
    }

    fn expect_punct(&mut self, byte: u8) -> Result<(), GraphqlError> {
        if self.is_punct(byte) {
            self.position += 1;
            return Ok(());
        }
        Err(self.error_here(&format!("expected `{}`", byte as char)))
    }

    fn name(&mut self) -> Result<&'a str, GraphqlError> {
        match self.peek() {
            Some(token) if token.kind == Kind::Name => {
                self.position += 1;
                Ok(token.text)
            }
            _ => Err(self.error_here("expected a name")),
        }
    }

    fn enter(&mut self) -> Result<(), GraphqlError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(GraphqlError::TooDeep { max: self.max_depth });
        }
        Ok(())
    }

    fn operation(&mut self) -> Result<ParsedOperation<'a>, GraphqlError> {
        let kind = match self.name()? {
            "mutation" => OperationKind::Mutation,
            "subscription" => OperationKind::Subscription,
            _ => OperationKind::Query,
        };
        let name = match self.peek() {
            Some(token) if token.kind == Kind::Name => {
                self.position += 1;
                Some(token.text)
            }
            _ => None,
        };
        let mut variables = Vec::new();
        if self.is_punct(b'(') {
            self.position += 1;
            while !self.is_punct(b')') {
                self.expect_punct(b'$')?;
                variables.push(self.name()?);
                self.expect_punct(b':')?;
                self.type_reference()?;
                if self.is_punct(b'=') {
                    self.position += 1;
                    self.value()?;
                }
                self.directives()?;
            }
            self.position += 1;
            if variables.is_empty() {
                return Err(self.error_here("expected at least one variable between `(` and `)`"));
            }
        }
        self.directives()?;
        let selections = self.selection_set()?;
        Ok(ParsedOperation { kind, name, variables, selections })
    }

    fn fragment(&mut self) -> Result<(&'a str, Vec<Selection<'a>>), GraphqlError> {
        self.position += 1;
        let name = self.name()?;
        if name == "on" {
            return Err(self.error_here("a fragment cannot be named `on`"));
        }
        if self.name()? != "on" {
            self.position -= 1;
            return Err(self.error_here("expected `on`"));
        }
        self.name()?;
        self.directives()?;
        Ok((name, self.selection_set()?))
    }

    fn type_reference(&mut self) -> Result<(), GraphqlError> {
        if self.is_punct(b'[') {
            self.enter()?;
            self.position += 1;
            self.type_reference()?;
            self.expect_punct(b']')?;
            self.depth -= 1;
        } else {
            self.name()?;
        }
        if self.is_punct(b'!') {
            self.position += 1;
        }
        Ok(())
    }

    fn directives(&mut self) -> Result<(), GraphqlError> {
        while self.is_punct(b'@') {
            self.position += 1;
            self.name()?;
            if self.is_punct(b'(') {
                self.arguments()?;
            }
        }
        Ok(())
    }

    fn selection_set(&mut self) -> Result<Vec<Selection<'a>>, GraphqlError> {
        self.enter()?;
        self.expect_punct(b'{')?;
        let mut selections = Vec::new();
        while !self.is_punct(b'}') {
            if self.peek().is_none() {
                return Err(self.error_here("expected `}`"));
            }
            selections.push(self.selection()?);
        }
        self.position += 1;
        if selections.is_empty() {
            return Err(self.error_here("expected at least one selection between `{` and `}`"));
        }
        self.depth -= 1;
        Ok(selections)
    }

    fn selection(&mut self) -> Result<Selection<'a>, GraphqlError> {
        if self.peek().is_some_and(|t| t.kind == Kind::Spread) {
            self.position += 1;
            let next = self.peek();
            return match next {
                Some(token) if token.kind == Kind::Name && token.text != "on" => {
                    self.position += 1;
                    self.directives()?;
                    Ok(Selection::Spread(token.text))
                }
                _ => {
                    if next.is_some_and(|t| t.text == "on") {
                        self.position += 1;
                        self.name()?;
                    }
                    self.directives()?;
                    Ok(Selection::Inline(self.selection_set()?))
                }
            };
        }

        let first = self.name()?;
        let (alias, name) = if self.is_punct(b':') {
            self.position += 1;
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        let arguments = if self.is_punct(b'(') { self.arguments()? } else { Vec::new() };
        self.directives()?;
        let children = if self.is_punct(b'{') { self.selection_set()? } else { Vec::new() };
        Ok(Selection::Field { alias, name, arguments, children })
    }

    fn arguments(&mut self) -> Result<Vec<&'a str>, GraphqlError> {
        self.expect_punct(b'(')?;
        let mut names = Vec::new();
        while !self.is_punct(b')') {
            names.push(self.name()?);
            self.expect_punct(b':')?;
            self.value()?;
        }
        self.position += 1;
        if names.is_empty() {
            return Err(self.error_here("expected at least one argument between `(` and `)`"));
        }
        Ok(names)
    }

    fn value(&mut self) -> Result<(), GraphqlError> {
        let Some(token) = self.peek() else {
            return Err(self.error_here("expected a value"));
        };
        match token.kind {
            Kind::Punct(b'$') => {
                self.position += 1;
                self.name()?;
            }
            Kind::Int | Kind::Float | Kind::String | Kind::Name => self.position += 1,
            Kind::Punct(b'[') => {
                self.enter()?;
                self.position += 1;
                while !self.is_punct(b']') {
                    self.value()?;
                }
                self.position += 1;
                self.depth -= 1;
            }
            Kind::Punct(b'{') => {
                self.enter()?;
                self.position += 1;
                while !self.is_punct(b'}') {
                    self.name()?;
                    self.expect_punct(b':')?;
                    self.value()?;
                }
                self.position += 1;
                self.depth -= 1;
            }
            _ => return Err(self.error_here("expected a value")),
        }
        Ok(())
    }
}
