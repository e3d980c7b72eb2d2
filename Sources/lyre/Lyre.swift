import ArgumentParser
import LyreCore

/// The `lyre` executable: a subcommand per file (`RunCommand.swift`, `ServerCommands.swift`,
/// `OperationCommand.swift`, `VersionCommand.swift`).
@main
struct Lyre: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lyre",
        abstract: "Lyre: a database server that speaks HarperDB's Operations API.",
        usage: """
            lyre <subcommand> [options]
            lyre <operation> [key=value ...] [--url <url>] [--username <name>] [--password <password>]
            """,
        discussion: """
            `lyre run` starts the Operations API (POST / on port 9925) with embedded storage \
            under a root folder; `lyre start` / `lyre stop` / `lyre status` do the same in the \
            background. Clients written for Harper 4.x work against it unchanged.

            Any other first argument is an operation sent to a running server, as with \
            Harper's CLI: `lyre describe_table database=dev table=dog` \
            (see `lyre operation --help`).
            """,
        version: LyreVersion.string,
        subcommands: [RunCommand.self, StartCommand.self, StopCommand.self, StatusCommand.self,
                      OperationCommand.self, VersionCommand.self]
    )

    /// ArgumentParser dispatches on subcommand names only, so a first argument that is
    /// neither a subcommand nor a root flag is taken as an operation name.
    static func main() async {
        await main(commandLine(Array(CommandLine.arguments.dropFirst())))
    }

    /// `arguments` with `operation` inserted in front when they start with an operation name.
    static func commandLine(_ arguments: [String]) -> [String] {
        guard let first = arguments.first else { return arguments }
        let subcommands = Set(configuration.subcommands.map { $0._commandName } + ["help"])
        let rootFlags: Set = ["-h", "--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        if subcommands.contains(first) || rootFlags.contains(first) || first.hasPrefix("--generate-completion-script=") {
            return arguments
        }
        return ["operation"] + arguments
    }
}
