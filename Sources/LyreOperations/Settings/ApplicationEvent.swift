/// What the application asks of the process that hosts it, on `Application.events`.
///
/// The executable must listen for the application's lifetime and react:
///
/// ```swift
/// Task {
///     for await event in app.events {
///         switch event {
///         case .restart(let configuration), .restartService(_, let configuration):
///             // 1. stop accepting connections on the old listener (in-flight requests,
///             //    including the restart answer itself, are allowed to finish);
///             // 2. bind a new listener on configuration.host:configuration.port
///             //    and serve `app.handle` again — within 2 seconds;
///             // storage, jobs and `app` itself stay as they are: nothing is reopened.
///         }
///     }
/// }
/// ```
///
/// By the time an event arrives the application has already re-read
/// `harperdb-config.yaml` (with `Configuration.environment` overrides) into
/// `app.configuration` and applied the new log level and destinations; the payload is
/// that new configuration.
public enum ApplicationEvent: Sendable {
    /// `restart`: restart the whole server (the HTTP layer; storage stays open).
    case restart(Configuration)
    /// `restart_service`: restart one service (`http_workers`, `http`, `harperdb`,
    /// `custom_functions`, `clustering`, `clustering_config`); every one of them means
    /// the HTTP layer for Lyre today.
    case restartService(String, Configuration)
}

/// Which restart an operation asked for.
enum RestartKind: Sendable {
    case restart
    case restartService(String)
}

extension Application {
    /// After a short delay (so the answer is written first), reloads the configuration and
    /// announces the restart. A configuration that fails to load is logged; the old one stays
    /// and the restart still happens (the server comes back on its previous settings).
    func scheduleRestart(_ kind: RestartKind) {
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(100))
            let configuration: Configuration
            do {
                configuration = try reloadConfiguration()
            } catch {
                logger.error("restart: configuration not reloaded: \(error)")
                configuration = self.configuration
            }
            // The clustering engine follows the new settings; a failure is logged and shown
            // by `cluster_status`, and the restart goes on.
            // (On a thread of its own: starting the NATS servers waits for them.)
            _ = try? await ClusteringOperations.blocking { [self] in
                try cluster.apply(configuration, storage: storage, logger: logger) { [authenticator] in authenticator.invalidate() }
            }
            // Harper compacts during a restart when `storage.compactOnStart` is set; Lyre's
            // databases stay open, so they are compacted online.
            if case .restart = kind, configuration.compactOnStart {
                await CompactionOperations.compactAll(self, keepBackup: configuration.compactOnStartKeepBackup)
            }
            logger.notice("restarting: \(kind)")
            switch kind {
            case .restart: eventSink.yield(.restart(configuration))
            case .restartService(let service): eventSink.yield(.restartService(service, configuration))
            }
        }
    }
}
