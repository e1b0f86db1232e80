//! Every command this process sends, counted by name and collection
//! (`aistudio_mongo_commands_total{command,collection}`)
//! and timed (`aistudio_mongo_command_duration_seconds{command}`), from the driver's command
//! monitoring: round trips per operation are measured, not guessed (`bench-publish` prints them
//! per published post).

use mongodb::event::EventHandler;
use mongodb::event::command::CommandEvent;

/// The driver's command event handler that records the metrics.
pub(super) fn handler() -> EventHandler<CommandEvent> {
    EventHandler::callback(|event: CommandEvent| {
        let (name, duration) = match event {
            CommandEvent::Started(started) => {
                // CRUD commands name their collection first (`{find: "posts", ...}`).
                let collection = started
                    .command
                    .iter()
                    .next()
                    .and_then(|(_, value)| value.as_str())
                    .unwrap_or("")
                    .to_string();
                metrics::counter!(
                    "aistudio_mongo_commands_total",
                    "command" => started.command_name,
                    "collection" => collection
                )
                .increment(1);
                return;
            }
            CommandEvent::Succeeded(done) => (done.command_name, done.duration),
            CommandEvent::Failed(failed) => (failed.command_name, failed.duration),
            _ => return,
        };
        metrics::histogram!("aistudio_mongo_command_duration_seconds", "command" => name)
            .record(duration.as_secs_f64());
    })
}
