//! Server-sent events (the `text/event-stream` of `followAgentLogs`), read as the bytes
//! arrive: `event:`, `id:` and `data:` lines make an event, a blank line ends it, lines
//! starting with `:` are comments (keep-alives).

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// `message` when the stream names none.
    pub event: String,
    pub id: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Turns chunks of bytes (cut anywhere, even inside a UTF-8 character) into events.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    event: Option<String>,
    id: Option<String>,
    data: Vec<String>,
}

impl Parser {
    /// The events `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
            let mut line: Vec<u8> = self.buf.drain(..=nl).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if let Some(e) = self.line(&line) {
                out.push(e);
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            if self.data.is_empty() && self.event.is_none() {
                self.id = None;
                return None;
            }
            return Some(Event {
                event: self.event.take().unwrap_or_else(|| "message".into()),
                id: self.id.take(),
                data: std::mem::take(&mut self.data).join("\n"),
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "id" => self.id = Some(value.to_string()),
            "data" => self.data.push(value.to_string()),
            // `retry` and unknown fields: nothing taosctl needs.
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_across_chunks_with_comments() {
        let mut p = Parser::default();
        let stream = ": keep-alive\n\nevent: log\nid: 41\ndata: {\"seq\":41}\n\r\nevent: end\ndata: {\"state\":\"stopped\"}\n\n";
        let mut events = Vec::new();
        for chunk in stream.as_bytes().chunks(5) {
            events.extend(p.push(chunk));
        }
        assert_eq!(
            events,
            vec![
                Event {
                    event: "log".into(),
                    id: Some("41".into()),
                    data: "{\"seq\":41}".into()
                },
                Event {
                    event: "end".into(),
                    id: None,
                    data: "{\"state\":\"stopped\"}".into()
                },
            ]
        );
    }

    #[test]
    fn multi_line_data_and_a_character_cut_in_two() {
        let mut p = Parser::default();
        let text = "data: a\ndata: ünï\n\n".as_bytes();
        let mut events = p.push(&text[..11]);
        events.extend(p.push(&text[11..]));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "message");
        assert_eq!(events[0].data, "a\nünï");
    }
}
