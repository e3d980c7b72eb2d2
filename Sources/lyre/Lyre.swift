import ArgumentParser
import LyreCore

/// The `lyre` executable: a subcommand per file (`RunCommand.swift`, `VersionCommand.swift`).
@main
struct Lyre: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lyre",
        abstract: "Lyre: a database server that speaks HarperDB's Operations API.",
        discussion: """
            `lyre run` starts the Operations API (POST / on port 9925) with embedded storage \
            under a root folder. Clients written for Harper 4.x work against it unchanged.
            """,
        version: LyreVersion.string,
        subcommands: [RunCommand.self, VersionCommand.self]
    )
}
