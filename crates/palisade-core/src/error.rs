//! Wording of errors from other libraries for log lines and messages.

/// Joins the sources of `error` with `: `, or returns `error`'s own message when it has
/// none. HTTP clients repeat the request URL in their top-level message, which can contain
/// a secret, while the sources give the reason the request failed.
pub fn error_sources(error: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        parts.push(cause.to_string());
        current = cause.source();
    }
    if parts.is_empty() {
        return error.to_string();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|inner| inner as &dyn std::error::Error)
        }
    }

    #[test]
    fn sources_replace_the_top_message() {
        let error = Layer(
            "request to https://x.example/?token=s failed",
            Some(Box::new(Layer("connect", Some(Box::new(Layer("refused", None)))))),
        );
        assert_eq!(error_sources(&error), "connect: refused");
        assert_eq!(error_sources(&Layer("timed out", None)), "timed out");
    }
}
