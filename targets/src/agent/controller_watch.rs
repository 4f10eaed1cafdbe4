//! `run --stop-on-eof`: the controller keeps the agent's stdin open until
//! it has the result. Stdin reaching its end before then means the
//! controller, or its SSH connection, is gone; the agent stops at once
//! rather than load the device while something else is measured there.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A thread reading the controller's stdin to its end.
#[derive(Debug)]
pub struct ControllerWatch {
    finished: Arc<AtomicBool>,
}

impl ControllerWatch {
    /// Reads and discards `input` on a thread; at its end (or on a read
    /// error) calls `on_close`, unless [`ControllerWatch::finish`] was
    /// called first.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn start(
        mut input: impl Read + Send + 'static,
        on_close: impl FnOnce() + Send + 'static,
    ) -> io::Result<ControllerWatch> {
        let finished = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&finished);
        std::thread::Builder::new()
            .name("controller-watch".to_owned())
            .spawn(move || {
                let mut buf = [0u8; 512];
                loop {
                    match input.read(&mut buf) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                if !seen.load(Ordering::SeqCst) {
                    on_close();
                }
            })?;
        Ok(ControllerWatch { finished })
    }

    /// Says the result is about to be written: the controller closing
    /// stdin after this is its normal goodbye, not a loss.
    pub fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn the_end_of_input_calls_back_unless_finished() {
        let (tx, rx) = mpsc::channel();
        let _watch = ControllerWatch::start(&b"extra bytes are ignored"[..], move || {
            let _ = tx.send(());
        })
        .unwrap();
        assert!(rx.recv_timeout(Duration::from_secs(10)).is_ok());

        // The input stays open until the test closes it, after finish().
        let (tx, rx) = mpsc::channel();
        let (writer_tx, reader) = pipe();
        let watch = ControllerWatch::start(reader, move || {
            let _ = tx.send(());
        })
        .unwrap();
        watch.finish();
        drop(writer_tx);
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    }

    /// A reader that ends when the returned sender is dropped.
    fn pipe() -> (mpsc::Sender<u8>, impl Read + Send + 'static) {
        struct Channel(mpsc::Receiver<u8>);
        impl Read for Channel {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.recv() {
                    Ok(b) if !buf.is_empty() => {
                        buf[0] = b;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let (tx, rx) = mpsc::channel();
        (tx, Channel(rx))
    }
}
